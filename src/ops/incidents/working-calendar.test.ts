import { describe, expect, test } from 'vitest';
import { ackDeadline, DEFAULT_RESPONSE_TARGETS, parseResponseTargets } from './response-targets.ts';
import {
  addWorkingTime,
  calendarProblems,
  createWorkingCalendar,
  isWorkingTime,
  nextWorkingTime,
  workingTimeBetween,
  workingWindow,
} from './working-calendar.ts';
import { zonedParts, zonedTimeToInstant } from './zoned-time.ts';

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const HOUR = 3_600_000;

// 2026: Mar 6 is a Friday, Mar 8 (US) and Mar 29 (EU) start summer time, Oct 25 (EU) and Nov 1
// (US) end it.
const utc = createWorkingCalendar();

describe('zoned time', () => {
  test('default: local parts and the instant of a local time', () => {
    expect(zonedParts(Date.parse('2026-03-06T23:30:00Z'), 'Asia/Tokyo')).toMatchObject({
      year: 2026,
      month: 3,
      day: 7,
      hour: 8,
      minute: 30,
      weekday: 6,
    });
    expect(iso(new Date(zonedTimeToInstant({ year: 2026, month: 1, day: 15 }, 9, 0, 'Europe/Berlin')))).toBe(
      '2026-01-15T08:00:00.000Z',
    );
    expect(iso(new Date(zonedTimeToInstant({ year: 2026, month: 7, day: 15 }, 9, 0, 'Europe/Berlin')))).toBe(
      '2026-07-15T07:00:00.000Z',
    );
  });

  test('behavior: a local time skipped by the spring change moves forward; a repeated one takes the first', () => {
    // Berlin 2026-03-29: 02:00 → 03:00. 02:30 does not exist; a wall clock shows 03:30 CEST.
    expect(iso(new Date(zonedTimeToInstant({ year: 2026, month: 3, day: 29 }, 2, 30, 'Europe/Berlin')))).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // Berlin 2026-10-25: 03:00 → 02:00. 02:30 happens at 00:30Z (CEST) and 01:30Z (CET).
    expect(
      iso(new Date(zonedTimeToInstant({ year: 2026, month: 10, day: 25 }, 2, 30, 'Europe/Berlin'))),
    ).toBe('2026-10-25T00:30:00.000Z');
    // New York 2026-03-08 02:30 does not exist either.
    expect(
      iso(new Date(zonedTimeToInstant({ year: 2026, month: 3, day: 8 }, 2, 30, 'America/New_York'))),
    ).toBe('2026-03-08T07:30:00.000Z');
  });
});

describe('working calendar', () => {
  test('default: Monday to Friday 09:00-18:00 UTC', () => {
    expect(isWorkingTime(utc, at('2026-03-04T10:00:00Z'))).toBe(true); // Wednesday
    expect(isWorkingTime(utc, at('2026-03-04T08:59:59Z'))).toBe(false);
    expect(isWorkingTime(utc, at('2026-03-04T09:00:00Z'))).toBe(true);
    expect(isWorkingTime(utc, at('2026-03-04T17:59:59.999Z'))).toBe(true);
    expect(isWorkingTime(utc, at('2026-03-04T18:00:00Z'))).toBe(false);
    expect(isWorkingTime(utc, at('2026-03-07T12:00:00Z'))).toBe(false); // Saturday
    expect(isWorkingTime(utc, at('2026-03-08T12:00:00Z'))).toBe(false); // Sunday
  });

  test('behavior: working time stops for the weekend', () => {
    // Friday 17:00 + 2 h: one hour on Friday, one on Monday.
    expect(iso(addWorkingTime(utc, at('2026-03-06T17:00:00Z'), 2 * HOUR))).toBe('2026-03-09T10:00:00.000Z');
    // From Saturday: Monday morning.
    expect(iso(addWorkingTime(utc, at('2026-03-07T03:00:00Z'), 2 * HOUR))).toBe('2026-03-09T11:00:00.000Z');
    expect(iso(nextWorkingTime(utc, at('2026-03-07T03:00:00Z')))).toBe('2026-03-09T09:00:00.000Z');
    // Inside hours, the next working instant is now.
    expect(iso(nextWorkingTime(utc, at('2026-03-09T12:34:00Z')))).toBe('2026-03-09T12:34:00.000Z');
    // Ending exactly at the end of the day stays on that day.
    expect(iso(addWorkingTime(utc, at('2026-03-06T16:00:00Z'), 2 * HOUR))).toBe('2026-03-06T18:00:00.000Z');
  });

  test('behavior: after hours the clock waits for the next morning', () => {
    expect(iso(addWorkingTime(utc, at('2026-03-04T20:00:00Z'), 30 * 60_000))).toBe(
      '2026-03-05T09:30:00.000Z',
    );
    expect(iso(addWorkingTime(utc, at('2026-03-04T05:00:00Z'), 30 * 60_000))).toBe(
      '2026-03-04T09:30:00.000Z',
    );
  });

  test('behavior: holidays are skipped like weekends', () => {
    const cal = createWorkingCalendar({ holidays: ['2026-03-09', '2026-03-10'] });
    expect(isWorkingTime(cal, at('2026-03-09T10:00:00Z'))).toBe(false);
    expect(iso(addWorkingTime(cal, at('2026-03-06T17:00:00Z'), 2 * HOUR))).toBe('2026-03-11T10:00:00.000Z');
  });

  test('behavior: a long duration spans several working days', () => {
    // 24 working hours from Monday 09:00 with 9-hour days: 9 + 9 + 6 → Wednesday 15:00.
    expect(iso(addWorkingTime(utc, at('2026-03-09T09:00:00Z'), 24 * HOUR))).toBe('2026-03-11T15:00:00.000Z');
    expect(workingTimeBetween(utc, at('2026-03-09T09:00:00Z'), at('2026-03-11T15:00:00Z'))).toBe(24 * HOUR);
    expect(workingTimeBetween(utc, at('2026-03-06T17:00:00Z'), at('2026-03-09T10:00:00Z'))).toBe(2 * HOUR);
    expect(workingTimeBetween(utc, at('2026-03-09T10:00:00Z'), at('2026-03-06T17:00:00Z'))).toBe(0);
  });

  test('behavior: local hours follow the time zone through the DST change (Europe/Berlin)', () => {
    const berlin = createWorkingCalendar({ timeZone: 'Europe/Berlin' });
    // Before the change 09:00 CET is 08:00Z; after it 09:00 CEST is 07:00Z.
    expect(workingWindow(berlin, { year: 2026, month: 3, day: 27 })!.map((t) => iso(new Date(t)))).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-27T17:00:00.000Z',
    ]);
    expect(workingWindow(berlin, { year: 2026, month: 3, day: 30 })!.map((t) => iso(new Date(t)))).toEqual([
      '2026-03-30T07:00:00.000Z',
      '2026-03-30T16:00:00.000Z',
    ]);
    // Friday 17:30 CET + 2 h: 30 min on Friday, 90 min from Monday 09:00 CEST → 10:30 CEST.
    expect(iso(addWorkingTime(berlin, at('2026-03-27T16:30:00Z'), 2 * HOUR))).toBe(
      '2026-03-30T08:30:00.000Z',
    );
    // Autumn: Friday 23 Oct 17:30 CEST + 2 h → Monday 26 Oct 10:30 CET = 09:30Z.
    expect(iso(addWorkingTime(berlin, at('2026-10-23T15:30:00Z'), 2 * HOUR))).toBe(
      '2026-10-26T09:30:00.000Z',
    );
  });

  test('behavior: a 24/7 calendar counts the real length of the 23- and 25-hour days', () => {
    const always = createWorkingCalendar({
      timeZone: 'Europe/Berlin',
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      start: '00:00',
      end: '24:00',
    });
    const day = (d: string, next: string) =>
      workingTimeBetween(
        always,
        new Date(zonedTimeToInstant(parse(d), 0, 0, 'Europe/Berlin')),
        new Date(zonedTimeToInstant(parse(next), 0, 0, 'Europe/Berlin')),
      );
    expect(day('2026-03-29', '2026-03-30')).toBe(23 * HOUR);
    expect(day('2026-10-25', '2026-10-26')).toBe(25 * HOUR);
    // 00:30 local (23:30Z the day before) + 2 h of working time = 2 h of real time.
    expect(iso(addWorkingTime(always, at('2026-03-28T23:30:00Z'), 2 * HOUR))).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    expect(isWorkingTime(always, at('2026-10-25T01:30:00Z'))).toBe(true);
  });

  test('behavior: America/New_York, Friday afternoon to the first Monday of summer time', () => {
    const ny = createWorkingCalendar({ timeZone: 'America/New_York', start: '09:00', end: '17:00' });
    // Friday 16:00 EST (21:00Z) + 2 h: 1 h on Friday, 1 h from Monday 09:00 EDT (13:00Z).
    expect(iso(addWorkingTime(ny, at('2026-03-06T21:00:00Z'), 2 * HOUR))).toBe('2026-03-09T14:00:00.000Z');
    // After the autumn change, 09:00 EST is 14:00Z.
    expect(iso(nextWorkingTime(ny, at('2026-11-01T12:00:00Z')))).toBe('2026-11-02T14:00:00.000Z');
  });

  test('behavior: Asia/Shanghai with the National Day holidays', () => {
    const cn = createWorkingCalendar({
      timeZone: 'Asia/Shanghai',
      holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
    });
    // 30 Sep 17:30 CST + 2 h: 30 min that day, then 8 Oct 09:00-10:30 CST (02:30Z).
    expect(iso(addWorkingTime(cn, at('2026-09-30T09:30:00Z'), 2 * HOUR))).toBe('2026-10-08T02:30:00.000Z');
  });

  test('error: every problem of a calendar is listed', () => {
    expect(
      calendarProblems({
        timeZone: 'Mars/Olympus',
        weekdays: [0, 8],
        start: '18:00',
        end: '09:00',
        holidays: ['2026-02-30', 'tomorrow'],
      }),
    ).toEqual([
      'time zone "Mars/Olympus" is not an IANA zone',
      'weekday 0 must be 1 (Monday) to 7 (Sunday)',
      'weekday 8 must be 1 (Monday) to 7 (Sunday)',
      'end 09:00 must be after start 18:00 (overnight shifts are not supported)',
      'holiday "2026-02-30" must be a date YYYY-MM-DD',
      'holiday "tomorrow" must be a date YYYY-MM-DD',
    ]);
    expect(calendarProblems({ weekdays: [], start: '9am' })).toEqual([
      'at least one working weekday is needed',
      'start "9am" must be HH:MM',
    ]);
    expect(() => createWorkingCalendar({ end: '25:00' })).toThrow(/end "25:00"/);
    expect(() => addWorkingTime(utc, at('2026-03-04T10:00:00Z'), -1)).toThrow(RangeError);
  });
});

describe('ackDeadline', () => {
  const deadline = (severity: 'P0' | 'P1' | 'P2' | 'P3', when: string) =>
    iso(ackDeadline(severity, at(when), utc, DEFAULT_RESPONSE_TARGETS));

  test('default: P0 is due at once, any time of the week', () => {
    expect(deadline('P0', '2026-03-04T10:00:00Z')).toBe('2026-03-04T10:05:00.000Z');
    expect(deadline('P0', '2026-03-07T03:00:00Z')).toBe('2026-03-07T03:05:00.000Z');
  });

  test('behavior: P1 is 30 minutes in working hours, 2 hours outside', () => {
    expect(deadline('P1', '2026-03-04T10:00:00Z')).toBe('2026-03-04T10:30:00.000Z');
    // Late in the day the 30 minutes run past the end of hours (a wall-clock target).
    expect(deadline('P1', '2026-03-04T17:50:00Z')).toBe('2026-03-04T18:20:00.000Z');
    expect(deadline('P1', '2026-03-04T20:00:00Z')).toBe('2026-03-04T22:00:00.000Z');
    expect(deadline('P1', '2026-03-07T03:00:00Z')).toBe('2026-03-07T05:00:00.000Z');
  });

  test('behavior: P2 is 2 working hours: the next working day when raised outside hours', () => {
    expect(deadline('P2', '2026-03-04T10:00:00Z')).toBe('2026-03-04T12:00:00.000Z');
    expect(deadline('P2', '2026-03-04T17:00:00Z')).toBe('2026-03-05T10:00:00.000Z');
    expect(deadline('P2', '2026-03-04T20:00:00Z')).toBe('2026-03-05T11:00:00.000Z');
    expect(deadline('P2', '2026-03-06T22:00:00Z')).toBe('2026-03-09T11:00:00.000Z');
  });

  test('behavior: P3 is 24 working hours', () => {
    expect(deadline('P3', '2026-03-09T09:00:00Z')).toBe('2026-03-11T15:00:00.000Z');
    expect(deadline('P3', '2026-03-07T12:00:00Z')).toBe('2026-03-11T15:00:00.000Z');
  });

  test('args: targets from the settings format', () => {
    const targets = parseResponseTargets('P1=10/60, p2=15w');
    expect(targets.P1).toEqual({
      inHours: { minutes: 10, clock: 'wall' },
      offHours: { minutes: 60, clock: 'wall' },
    });
    expect(targets.P2).toEqual({
      inHours: { minutes: 15, clock: 'working' },
      offHours: { minutes: 15, clock: 'working' },
    });
    expect(targets.P0).toEqual(DEFAULT_RESPONSE_TARGETS.P0);
    expect(iso(ackDeadline('P2', at('2026-03-04T20:00:00Z'), utc, targets))).toBe('2026-03-05T09:15:00.000Z');
    expect(parseResponseTargets('P0=0.05').P0.inHours.minutes).toBe(0.05);
  });

  test('error: a malformed targets setting names the bad part', () => {
    expect(() => parseResponseTargets('P5=10')).toThrow('"P5=10" must look like P1=30/120');
    expect(() => parseResponseTargets('P1=ten')).toThrow('P1: "ten" must be minutes');
  });
});

function parse(d: string) {
  const [year, month, day] = d.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}
