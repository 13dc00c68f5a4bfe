import { describe, expect, test } from 'vitest';
import { generateApiKey, hashApiKey, hashesEqual, parseApiKey, randomBase62 } from './key-format.ts';

describe('generateApiKey', () => {
  test('default: cbk_<12 base62>_<32 base62>, parsed back to its id', () => {
    const { id, key } = generateApiKey();
    expect(key).toMatch(/^cbk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    expect(parseApiKey(key)).toEqual({ id });
  });

  test('behavior: every base62 character occurs, none more than chance allows', () => {
    const text = randomBase62(62_000);
    const counts = new Map<string, number>();
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1000 each; modulo bias would push the first 8 characters to ~1250.
    for (const count of counts.values()) expect(count).toBeLessThan(1180);
  });

  test('error: malformed keys parse to undefined', () => {
    const { key } = generateApiKey();
    for (const bad of ['', key.slice(1), `${key}A`, key.replace('cbk_', 'cbx_'), key.replace(/_/g, '-')])
      expect(parseApiKey(bad)).toBeUndefined();
  });
});

describe('hashesEqual', () => {
  test('default: equal digests match, others and malformed ones do not', () => {
    const a = hashApiKey('a');
    expect(hashesEqual(a, hashApiKey('a'))).toBe(true);
    expect(hashesEqual(a, hashApiKey('b'))).toBe(false);
    expect(hashesEqual(a, 'zz')).toBe(false);
  });
});
