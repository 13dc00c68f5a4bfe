/**
 * Missed scheduled runs: a run is missed when the last time its cron expression should have fired
 * (as of `now - grace`) is later than the schedule's last started run. Each missed expected run is
 * counted exactly once across all instances: the instance whose conditional UPDATE moves
 * `cb_schedules.last_missed_for` to that expected time increments its counter; the others find the
 * row already moved and count nothing.
 *
 * Only the latest expected run is judged, so after a long outage one miss is counted, not one per
 * period; and when a schedule fires more often than the grace, a later run that did start hides
 * an earlier one that did not.
 */
import cronParser from 'cron-parser';
import type { Db } from '../db/create-db.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

export interface ScheduleTiming {
  name: string;
  cron: string;
  tz: string;
}

export interface DetectMissedRunsOptions {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  schedules: readonly ScheduleTiming[];
  /** The current time (Unix ms); injected so tests can move the clock. */
  now: number;
  /** How late a run may start before it counts as missed. */
  graceMs: number;
}

/** The last time `cron` fired at or before `at`. */
export function lastExpectedRun(cron: string, tz: string, at: Date): Date {
  // prev() excludes currentDate itself; one ms later makes a fire time exactly at `at` count.
  return cronParser
    .parseExpression(cron, { currentDate: new Date(at.getTime() + 1), tz })
    .prev()
    .toDate();
}

/** Counts the newly missed runs into `cb_scheduled_job_missed_total`; returns them. */
export async function detectMissedRuns(
  options: DetectMissedRunsOptions,
): Promise<{ name: string; expectedAt: Date }[]> {
  const missed: { name: string; expectedAt: Date }[] = [];
  for (const s of options.schedules) {
    const expectedAt = lastExpectedRun(s.cron, s.tz, new Date(options.now - options.graceMs));
    const { rows } = await options.db.query<{ name: string }>(
      `update cb_schedules set last_missed_for = $2
       where name = $1
         and updated_at < $2
         and (last_started_at is null or last_started_at < $2)
         and (last_missed_for is null or last_missed_for < $2)
       returning name`,
      [s.name, expectedAt],
    );
    if (rows.length === 0) continue;
    options.metrics.scheduledJobMissed.inc({ schedule: s.name });
    options.logger.error('scheduled run missed', {
      context: { schedule: s.name, cron: s.cron, tz: s.tz, expectedAt: expectedAt.toISOString() },
      metrics: { graceMs: options.graceMs },
    });
    missed.push({ name: s.name, expectedAt });
  }
  return missed;
}
