import { describe, expect, test } from 'vitest';
import { readField } from './read-field.ts';

describe('readField', () => {
  const data = { amount: 5, item: { kind: 'badge', tags: ['a', 'b'] }, zero: 0, nothing: null };

  test('default: a top-level field', () => {
    expect(readField(data, 'amount')).toBe(5);
  });

  test('args: dot paths into objects and arrays', () => {
    expect(readField(data, 'item.kind')).toBe('badge');
    expect(readField(data, 'item.tags.1')).toBe('b');
    expect(readField(data, 'zero')).toBe(0);
    expect(readField(data, 'nothing')).toBeNull();
  });

  test('behavior: a missing step gives undefined', () => {
    expect(readField(data, 'missing')).toBeUndefined();
    expect(readField(data, 'item.missing.deeper')).toBeUndefined();
    expect(readField(data, 'amount.value')).toBeUndefined();
    expect(readField(data, 'nothing.value')).toBeUndefined();
    expect(readField(data, 'item.tags.2')).toBeUndefined();
  });

  test('behavior: never reads the prototype or array internals', () => {
    expect(readField(data, 'constructor')).toBeUndefined();
    expect(readField(data, '__proto__')).toBeUndefined();
    expect(readField(data, 'item.toString')).toBeUndefined();
    expect(readField(data, 'item.tags.length')).toBeUndefined();
    expect(readField(data, 'item.tags.01')).toBeUndefined();
  });
});
