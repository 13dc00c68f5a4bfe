/**
 * The local calendar date of an instant in an IANA time zone, as days since 1970-01-01 (so
 * consecutive local dates are consecutive integers, whatever the length of the day: a 23- or 25-hour
 * day across a DST change is still one day). `undefined` for a time outside the `Date` range.
 *
 * This is not `floor(ms / 86_400_000)`: 23:30 UTC is already the next day in Asia/Tokyo.
 * `timeZone` must be valid (see `checkTimeZone`); an invalid one throws a `RangeError`.
 */
export function localDayIndex(occurredAtMs: number, timeZone: string): number | undefined {
  if (!Number.isFinite(occurredAtMs) || Math.abs(occurredAtMs) > MAX_DATE_MS) return undefined;
  let year = 0;
  let month = 0;
  let day = 0;
  let before = false;
  for (const part of formatterFor(timeZone).formatToParts(occurredAtMs)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
    else if (part.type === 'era') before = part.value === 'B';
  }
  // The Gregorian calendar has no year 0: 1 BC is astronomical year 0.
  const utc = new Date(0);
  utc.setUTCFullYear(before ? 1 - year : year, month - 1, day);
  return Math.round(utc.getTime() / DAY_MS);
}

const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;

/**
 * Formatters by time zone. Building one costs far more than using it, and the set of time zones
 * is small and fixed, so this memo is bounded and shared safely (formatters are immutable).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      era: 'narrow',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}
