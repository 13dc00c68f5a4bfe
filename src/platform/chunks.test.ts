import { describe, expect, test } from 'vitest';
import { chunks } from './chunks.ts';

describe('chunks', () => {
  test('default: consecutive pieces of size, the last one shorter; none for no items', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([1, 2], 5)).toEqual([[1, 2]]);
    expect(chunks([], 3)).toEqual([]);
  });

  test('error: a size that is not a whole number ≥ 1', () => {
    expect(() => chunks([1], 0)).toThrow(/size must be a whole number/);
    expect(() => chunks([1], 1.5)).toThrow(/size must be a whole number/);
  });
});
