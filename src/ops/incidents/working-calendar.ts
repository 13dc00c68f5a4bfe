/**
 * The working-hours calendar of the on-call rota (seed 3.1: response targets differ inside and
 * outside working hours): an IANA time zone, the working weekdays, the daily hours, and holidays.
 * Pure functions of an instant — the caller passes the clock — so they are tested with fixed times
 * (weekends, holidays, after hours, DST changes).
 *
 * Hours are local wall-clock times: 09:00-18:00 in Europe/Berlin is 08:00-17:00 UTC in winter and
 * 07:00-16:00 UTC in summer; on the days the clocks change the window is computed for that day.
 */
import {
  addDays,
  formatLocalDate,
  isTimeZone,
  type LocalDate,
  localDateOf,
  weekdayOf,
  zonedTimeToInstant,
} from './zoned-time.ts';

/** How a calendar is described (options, settings). */
export interface WorkingCalendarSpec {
  /** IANA time zone of the hours and holidays. @defaultValue `'UTC'` */
  timeZone?: string;
  /** ISO weekdays that are working days (1 = Monday … 7 = Sunday). @defaultValue `[1, 2, 3, 4, 5]` */
  weekdays?: readonly number[];
  /** Local start of the working day, `HH:MM`. @defaultValue `'09:00'` */
  start?: string;
  /** Local end of the working day, `HH:MM` (`24:00` allowed), after `start`. @defaultValue `'18:00'` */
  end?: string;
  /** Local dates (`YYYY-MM-DD`) that are not working days. @defaultValue `[]` */
  holidays?: readonly string[];
}

/** A checked calendar. */
export interface WorkingCalendar {
  readonly timeZone: string;
  readonly weekdays: ReadonlySet<number>;
  /** Minutes after local midnight. */
  readonly startMinute: number;
  readonly endMinute: number;
  readonly holidays: ReadonlySet<string>;
}

/** A calendar with no working day in this many consecutive days is refused (it would never end). */
const SEARCH_DAYS = 3 * 366;

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function minuteOf(value: string): number | undefined {
  const m = HHMM.exec(value.trim());
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes > 24 * 60 ? undefined : minutes;
}

/** The problems of a calendar spec; empty when it is valid. */
export function calendarProblems(spec: WorkingCalendarSpec): string[] {
  const issues: string[] = [];
  const timeZone = spec.timeZone ?? 'UTC';
  if (!isTimeZone(timeZone)) issues.push(`time zone "${timeZone}" is not an IANA zone`);
  const weekdays = spec.weekdays ?? [1, 2, 3, 4, 5];
  if (weekdays.length === 0) issues.push('at least one working weekday is needed');
  for (const d of weekdays)
    if (!Number.isInteger(d) || d < 1 || d > 7) issues.push(`weekday ${d} must be 1 (Monday) to 7 (Sunday)`);
  const start = minuteOf(spec.start ?? '09:00');
  const end = minuteOf(spec.end ?? '18:00');
  if (start === undefined) issues.push(`start "${spec.start}" must be HH:MM`);
  if (end === undefined) issues.push(`end "${spec.end}" must be HH:MM (24:00 allowed)`);
  if (start !== undefined && end !== undefined && end <= start)
    issues.push(`end ${spec.end} must be after start ${spec.start} (overnight shifts are not supported)`);
  for (const h of spec.holidays ?? []) {
    const m = DATE.exec(h);
    const valid =
      m !== null &&
      formatLocalDate(addDays({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, 0)) === h;
    if (!valid) issues.push(`holiday "${h}" must be a date YYYY-MM-DD`);
  }
  return issues;
}

/** Checks and builds a calendar; throws `Error` listing every problem. */
export function createWorkingCalendar(spec: WorkingCalendarSpec = {}): WorkingCalendar {
  const issues = calendarProblems(spec);
  if (issues.length > 0) throw new Error(`working calendar: ${issues.join('; ')}`);
  return Object.freeze({
    timeZone: spec.timeZone ?? 'UTC',
    weekdays: new Set(spec.weekdays ?? [1, 2, 3, 4, 5]),
    startMinute: minuteOf(spec.start ?? '09:00')!,
    endMinute: minuteOf(spec.end ?? '18:00')!,
    holidays: new Set(spec.holidays ?? []),
  });
}

/** True when `date` is a working day (a working weekday and not a holiday). */
export function isWorkingDay(calendar: WorkingCalendar, date: LocalDate): boolean {
  return calendar.weekdays.has(weekdayOf(date)) && !calendar.holidays.has(formatLocalDate(date));
}

/** The working window of `date` as instants `[start, end)` (Unix ms), or undefined on a day off. */
export function workingWindow(calendar: WorkingCalendar, date: LocalDate): [number, number] | undefined {
  if (!isWorkingDay(calendar, date)) return undefined;
  const at = (minute: number) =>
    minute === 24 * 60
      ? zonedTimeToInstant(addDays(date, 1), 0, 0, calendar.timeZone)
      : zonedTimeToInstant(date, Math.floor(minute / 60), minute % 60, calendar.timeZone);
  return [at(calendar.startMinute), at(calendar.endMinute)];
}

/** True when `at` falls inside working hours. */
export function isWorkingTime(calendar: WorkingCalendar, at: Date): boolean {
  const ms = at.getTime();
  const w = workingWindow(calendar, localDateOf(ms, calendar.timeZone));
  return w !== undefined && ms >= w[0] && ms < w[1];
}

/**
 * The instant when `durationMs` of working time has passed since `from`: the clock runs only inside
 * working hours (a duration of 0 gives the next working instant, `from` itself when inside hours).
 */
export function addWorkingTime(calendar: WorkingCalendar, from: Date, durationMs: number): Date {
  if (!(durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${durationMs}`);
  let remaining = durationMs;
  const t = from.getTime();
  // Start a day early: a window of the previous local date cannot contain `from`, but starting
  // there costs nothing and keeps the loop simple around midnight.
  let date = addDays(localDateOf(t, calendar.timeZone), -1);
  for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, 1)) {
    const w = workingWindow(calendar, date);
    if (!w) continue;
    const begin = Math.max(t, w[0]);
    if (begin >= w[1]) continue;
    const available = w[1] - begin;
    if (remaining <= available) return new Date(begin + remaining);
    remaining -= available;
  }
  throw new RangeError(`no working time found within ${SEARCH_DAYS} days of ${from.toISOString()}`);
}

/** The next instant at or after `from` inside working hours. */
export function nextWorkingTime(calendar: WorkingCalendar, from: Date): Date {
  return addWorkingTime(calendar, from, 0);
}

/** Working time between `from` and `to` (ms; 0 when `to` is not after `from`). */
export function workingTimeBetween(calendar: WorkingCalendar, from: Date, to: Date): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b <= a) return 0;
  let total = 0;
  let date = addDays(localDateOf(a, calendar.timeZone), -1);
  const last = localDateOf(b, calendar.timeZone);
  for (let i = 0; i < SEARCH_DAYS * 10; i++, date = addDays(date, 1)) {
    const w = workingWindow(calendar, date);
    if (w) total += Math.max(0, Math.min(b, w[1]) - Math.max(a, w[0]));
    if (formatLocalDate(date) === formatLocalDate(last)) break;
  }
  return total;
}
