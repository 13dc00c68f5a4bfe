import { describe, expect, test } from 'vitest';
import { isoWeekIndex, isoWeekLabel } from './iso-week.ts';

const week = (date: string) => isoWeekLabel(isoWeekIndex(Date.parse(`${date}T00:00:00Z`) / 86_400_000));

describe('isoWeekIndex', () => {
  test('default: weeks run Monday to Sunday', () => {
    expect(week('2026-03-02')).toBe('2026-W10'); // Monday
    expect(week('2026-03-08')).toBe('2026-W10'); // Sunday
    expect(week('2026-03-09')).toBe('2026-W11'); // Monday
    expect(week('1970-01-01')).toBe('1970-W01');
    expect(isoWeekIndex(-3)).toBe(0); // Monday 1969-12-29
    expect(isoWeekIndex(-4)).toBe(-1);
  });

  test('behavior: the ISO week-numbering year at year boundaries', () => {
    expect(week('2020-12-28')).toBe('2020-W53');
    expect(week('2020-12-31')).toBe('2020-W53');
    expect(week('2021-01-03')).toBe('2020-W53');
    expect(week('2021-01-04')).toBe('2021-W01');
    expect(week('2024-12-30')).toBe('2025-W01');
    expect(week('2026-12-31')).toBe('2026-W53');
    expect(week('2027-01-03')).toBe('2026-W53');
    expect(week('2027-01-04')).toBe('2027-W01');
    expect(week('2025-12-28')).toBe('2025-W52');
    expect(week('2025-12-29')).toBe('2026-W01');
  });

  test('behavior: consecutive weeks are consecutive indexes across the year boundary', () => {
    const w53 = isoWeekIndex(Date.parse('2020-12-31T00:00:00Z') / 86_400_000);
    const w01 = isoWeekIndex(Date.parse('2021-01-04T00:00:00Z') / 86_400_000);
    expect(w01 - w53).toBe(1);
  });
});
