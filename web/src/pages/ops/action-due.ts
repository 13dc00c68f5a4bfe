/**
 * Due dates of action items: the form picks a day, the API takes a date-time. An item is due by the
 * end of its day where the operator sits (the API calls it overdue once that instant has passed),
 * and is shown as that day again.
 */

/** `YYYY-MM-DD` → the ISO instant of 23:59:59.999 that day in the browser's zone; undefined if not a day. */
export function dueAtOfDay(day: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(y, mo - 1, d, 23, 59, 59, 999);
  return at.getFullYear() === y && at.getMonth() === mo - 1 && at.getDate() === d
    ? at.toISOString()
    : undefined;
}

/** A due date as a day (`Jan 15, 2030`), in the browser's zone; `—` when there is none. */
export function formatDueDay(iso: string | null): string {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleDateString('en', { dateStyle: 'medium' });
}

/** Whole days from `iso` to `now` (0 on the day itself). */
export function daysLate(iso: string, now: Date = new Date()): number {
  return Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 86_400_000));
}
