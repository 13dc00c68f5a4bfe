import { describe, expect, test } from 'vitest';
import { localDayIndex } from './local-day-index.ts';

const at = (iso: string) => Date.parse(iso);
/** The day index of a calendar date, for expectations. */
const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

describe('localDayIndex', () => {
  test('default: days since 1970-01-01 in UTC', () => {
    expect(localDayIndex(0, 'UTC')).toBe(0);
    expect(localDayIndex(at('1970-01-01T23:59:59.999Z'), 'UTC')).toBe(0);
    expect(localDayIndex(at('2026-01-02T00:00:00Z'), 'UTC')).toBe(day('2026-01-02'));
    expect(localDayIndex(at('1969-12-31T12:00:00Z'), 'UTC')).toBe(-1);
  });

  test('args: the local calendar date of the time zone', () => {
    const instant = at('2026-01-01T23:30:00Z');
    expect(localDayIndex(instant, 'UTC')).toBe(day('2026-01-01'));
    expect(localDayIndex(instant, 'Asia/Tokyo')).toBe(day('2026-01-02'));
    expect(localDayIndex(at('2026-01-02T05:00:00Z'), 'America/Los_Angeles')).toBe(day('2026-01-01'));
    expect(localDayIndex(at('2026-01-01T18:45:00Z'), 'Asia/Kathmandu')).toBe(day('2026-01-02'));
  });

  test('behavior: a 23-hour day (America/New_York, 2026-03-08) is one day', () => {
    const tz = 'America/New_York';
    expect(localDayIndex(at('2026-03-07T23:59:00-05:00'), tz)).toBe(day('2026-03-07'));
    expect(localDayIndex(at('2026-03-08T00:01:00-05:00'), tz)).toBe(day('2026-03-08'));
    expect(localDayIndex(at('2026-03-08T23:59:00-04:00'), tz)).toBe(day('2026-03-08'));
    expect(localDayIndex(at('2026-03-09T00:01:00-04:00'), tz)).toBe(day('2026-03-09'));
  });

  test('behavior: a 25-hour day (America/New_York, 2026-11-01) is one day', () => {
    const tz = 'America/New_York';
    const first = at('2026-11-01T00:10:00-04:00');
    const last = at('2026-11-01T23:50:00-05:00');
    expect(last - first).toBe(24 * 3_600_000 + 40 * 60_000);
    expect(localDayIndex(first, tz)).toBe(day('2026-11-01'));
    expect(localDayIndex(last, tz)).toBe(day('2026-11-01'));
    expect(localDayIndex(at('2026-11-02T00:00:00-05:00'), tz)).toBe(day('2026-11-02'));
  });

  test('behavior: Europe/Berlin spring forward (2026-03-29)', () => {
    const tz = 'Europe/Berlin';
    expect(localDayIndex(at('2026-03-28T23:30:00+01:00'), tz)).toBe(day('2026-03-28'));
    expect(localDayIndex(at('2026-03-29T00:30:00+01:00'), tz)).toBe(day('2026-03-29'));
    expect(localDayIndex(at('2026-03-29T03:30:00+02:00'), tz)).toBe(day('2026-03-29'));
    expect(localDayIndex(at('2026-03-29T23:30:00+02:00'), tz)).toBe(day('2026-03-29'));
  });

  test('behavior: years before the common era (astronomical year 0 is 1 BC)', () => {
    for (const year of [0, -100]) {
      const noon = new Date(0);
      noon.setUTCFullYear(year, 5, 15);
      noon.setUTCHours(12);
      expect(localDayIndex(noon.getTime(), 'UTC')).toBe(Math.floor(noon.getTime() / 86_400_000));
    }
  });

  test('error: no date outside the Date range', () => {
    expect(localDayIndex(Number.NaN, 'UTC')).toBeUndefined();
    expect(localDayIndex(9e15, 'UTC')).toBeUndefined();
    expect(() => localDayIndex(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});
