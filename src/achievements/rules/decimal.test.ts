import { describe, expect, test } from 'vitest';
import { addDecimals, compareDecimals, decimalOf, isDecimalString } from './decimal.ts';

describe('decimal', () => {
  test('default: a number reads as the decimal it prints as', () => {
    expect(decimalOf(0.1)).toBe('0.1');
    expect(decimalOf(12)).toBe('12');
    expect(decimalOf(-0)).toBe('0');
    expect(decimalOf(-2.5)).toBe('-2.5');
  });

  test('args: exponent forms become plain decimals', () => {
    expect(decimalOf(1e-7)).toBe('0.0000001');
    expect(decimalOf(1.5e21)).toBe('1500000000000000000000');
    expect(decimalOf(-2.5e-8)).toBe('-0.000000025');
    expect(decimalOf(5e-324)).toBe(`0.${'0'.repeat(323)}5`);
  });

  test('behavior: sums are exact', () => {
    expect(addDecimals(decimalOf(0.1), decimalOf(0.2))).toBe('0.3');
    expect(addDecimals('0.7', '0.3')).toBe('1');
    expect(addDecimals('9007199254740993', '1')).toBe('9007199254740994');
    expect(addDecimals('-1.25', '1.25')).toBe('0');
    let total = '0';
    for (let i = 0; i < 1000; i++) total = addDecimals(total, decimalOf(0.001));
    expect(total).toBe('1');
  });

  test('behavior: comparison is exact', () => {
    expect(compareDecimals('0.3', decimalOf(0.3))).toBe(0);
    expect(compareDecimals('0.30000000000000001', '0.3')).toBe(1);
    expect(compareDecimals('2', '10')).toBe(-1);
    expect(compareDecimals('-3', '-2.5')).toBe(-1);
  });

  test('behavior: canonical strings only', () => {
    for (const ok of ['0', '12', '-0.5', '0.3']) expect(isDecimalString(ok)).toBe(true);
    for (const bad of ['-0', '0.30', '01', '1e3', '', ' 1', '.5', 5])
      expect(isDecimalString(bad)).toBe(false);
  });

  test('error: a non-finite number', () => {
    expect(() => decimalOf(Number.NaN)).toThrow(RangeError);
    expect(() => decimalOf(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
