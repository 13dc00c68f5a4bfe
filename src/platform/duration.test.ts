import { describe, expect, test } from 'vitest';
import { parseDurationSeconds, parseSince } from './duration.ts';

describe('durations as typed', () => {
  test('default: a whole number with s, m, h or d', () => {
    expect(['90s', '15m', '24h', '7d', ' 2h '].map((t) => parseDurationSeconds(t))).toEqual([
      90, 900, 86_400, 604_800, 7200,
    ]);
  });

  test('edge: a bare number is seconds only when asked; anything else is not a duration', () => {
    expect(parseDurationSeconds('30')).toBeUndefined();
    expect(parseDurationSeconds('30', true)).toBe(30);
    for (const t of ['', 'h', '1.5h', '-1h', '1w', '24 h', '12345678s'])
      expect(parseDurationSeconds(t)).toBeUndefined();
  });

  test('default: since is a duration back from now, or a time', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(parseSince('24h', now)?.toISOString()).toBe('2026-11-26T12:00:00.000Z');
    expect(parseSince('2026-11-20T08:30:00Z', now)?.toISOString()).toBe('2026-11-20T08:30:00.000Z');
    for (const t of ['yesterday', '2026-13-45', '1700000000']) expect(parseSince(t, now)).toBeUndefined();
  });
});
