import { describe, expect, test } from 'vitest';
import { copyField, copyRows } from './copy-text.ts';

describe('copyField', () => {
  test('plain text, numbers and bigints go in as they are; null and undefined are \\N', () => {
    expect(copyField('0xAbC')).toBe('0xAbC');
    expect(copyField(42)).toBe('42');
    expect(copyField(12345678901234567890n)).toBe('12345678901234567890');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
  });

  test('backslash, tab, newline and carriage return are escaped; other characters are not', () => {
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField('{"k": "é \\"q\\""}')).toBe('{"k": "é \\\\"q\\\\""}');
    expect(copyField('\\N')).toBe('\\\\N');
  });
});

describe('copyRows', () => {
  test('columns become tab-separated lines, each ending in a newline', () => {
    expect(
      copyRows(
        [
          ['a', 'b'],
          [1, null],
        ],
        2,
      ),
    ).toBe('a\t1\nb\t\\N\n');
    expect(copyRows([['a']], 0)).toBe('');
  });

  test('a short column is a caller bug', () => {
    expect(() => copyRows([['a', 'b'], [1]], 2)).toThrow(/a column has 1 values, not 2/);
  });
});
