import { describe, expect, test } from 'vitest';
import { deserializeJson, serializeJson } from './json-codec.ts';

describe('serializeJson / deserializeJson', () => {
  test('default: JSON values and bigints survive the round trip', () => {
    const value = {
      power: 340282366920938463463374607431768211455n,
      negative: -5n,
      list: [1n, 'x', null, true, 1.5],
      nested: { votes: '1000000000000000000000' },
    };
    expect(deserializeJson(serializeJson(value))).toEqual(value);
    expect(deserializeJson(serializeJson(7n))).toBe(7n);
  });

  test('behavior: lossy JSON conversions are kept as JSON makes them', () => {
    const at = new Date('2025-01-02T03:04:05.678Z');
    expect(deserializeJson(serializeJson({ at, n: Number.NaN, gone: undefined }))).toEqual({
      at: at.toISOString(),
      n: null,
    });
  });

  test('behavior: an object that only looks like a tagged bigint stays an object', () => {
    const value = { $bigint: '12', other: 1 };
    expect(deserializeJson(serializeJson(value))).toEqual(value);
    expect(deserializeJson('{"$bigint":"not a number"}')).toEqual({ $bigint: 'not a number' });
  });

  test('error: what JSON would lose silently is refused', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [undefined, () => 1, new Map(), { s: new Set([1]) }, cyclic, Symbol('s')]) {
      expect(() => serializeJson(bad)).toThrow(
        expect.objectContaining({ code: 'CB_CACHE_VALUE_UNSERIALIZABLE' }),
      );
    }
  });
});
