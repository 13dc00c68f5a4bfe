import { describe, expect, test } from 'vitest';
import { daysLate, dueAtOfDay, formatDueDay } from './action-due.ts';

describe('dueAtOfDay', () => {
  test('default: the end of that day in the local zone', () => {
    const at = new Date(dueAtOfDay('2030-01-15')!);
    expect([at.getFullYear(), at.getMonth(), at.getDate(), at.getHours(), at.getMinutes()]).toEqual([
      2030, 0, 15, 23, 59,
    ]);
    expect(formatDueDay(at.toISOString())).toBe('Jan 15, 2030');
  });

  test('error: not a day', () => {
    expect(dueAtOfDay('')).toBeUndefined();
    expect(dueAtOfDay('2030-02-30')).toBeUndefined();
    expect(dueAtOfDay('15/01/2030')).toBeUndefined();
  });
});

describe('daysLate', () => {
  test('default: whole days past the due instant, never negative', () => {
    const now = new Date('2030-01-20T12:00:00Z');
    expect(daysLate('2030-01-15T12:00:00Z', now)).toBe(5);
    expect(daysLate('2030-01-20T00:00:00Z', now)).toBe(0);
    expect(daysLate('2030-02-01T00:00:00Z', now)).toBe(0);
  });
});

describe('formatDueDay', () => {
  test('args: none', () => {
    expect(formatDueDay(null)).toBe('—');
  });
});
