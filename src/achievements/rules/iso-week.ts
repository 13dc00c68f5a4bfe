/**
 * ISO 8601 weeks (Monday to Sunday; week 1 is the week holding the year's first Thursday), as
 * indexes: consecutive weeks are consecutive integers, across year boundaries too (2020-12-31 and
 * 2021-01-03 are both in 2020-W53; 2021-01-04 starts 2021-W01).
 *
 * 1970-01-01 was a Thursday, so week 0 runs from Monday 1969-12-29 (day -3) to Sunday 1970-01-04.
 */

/** The ISO week index of a day index (days since 1970-01-01). */
export function isoWeekIndex(dayIndex: number): number {
  return Math.floor((dayIndex + 3) / 7);
}

/** The ISO label of a week index, e.g. `2020-W53`: for messages and tests. */
export function isoWeekLabel(weekIndex: number): string {
  // A week belongs to the ISO year of its Thursday, which is day `7 * weekIndex`.
  const thursday = new Date(weekIndex * 7 * 86_400_000);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000);
  const week = Math.floor(dayOfYear / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
