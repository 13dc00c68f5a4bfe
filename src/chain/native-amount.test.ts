import { describe, expect, test } from 'vitest';
import { nativeAmount } from './native-amount.ts';

describe('nativeAmount', () => {
  test('default: wei as the native unit, cut to 4 decimals', () => {
    expect(nativeAmount(9_999_978_123_000_000_000_000n)).toBe('9999.9781');
    expect(nativeAmount('10000000000000000000')).toBe('10');
    expect(nativeAmount(1_500_000_000_000_000_000n)).toBe('1.5');
  });

  test('behavior: never rounds up what the account does not have, and shows 0 for dust', () => {
    expect(nativeAmount(999_999_999_999_999_999n)).toBe('0.9999');
    expect(nativeAmount(1n)).toBe('0');
    expect(nativeAmount(0n)).toBe('0');
  });
});
