/**
 * Cron schedules: pg-boss fires them (`schedule()`, deduplicated across instances per minute);
 * `cb_schedules` records what happened to each run — last started, succeeded, failed, and the
 * expected run last counted as missed — so operators and the missed-run check see the same facts.
 */
import type PgBoss from 'pg-boss';
import type { Db } from '../db/create-db.ts';
import type { JobDefinition } from './define-job.ts';
import { wrapPayload } from './envelope.ts';

/** Registers `def.schedule` with pg-boss and in `cb_schedules` (the schedule is named after the queue). */
export async function registerSchedule(boss: PgBoss, db: Db, def: JobDefinition<unknown>): Promise<void> {
  const schedule = def.schedule;
  if (!schedule) return;
  const data = wrapPayload(schedule.payload, { queue: def.queue, schedule: def.queue });
  await boss.schedule(def.queue, schedule.cron, data, { tz: schedule.tz });
  // updated_at moves only when the timing changes: runs expected before it are not "missed".
  await db.query(
    `insert into cb_schedules (name, cron, tz) values ($1, $2, $3)
     on conflict (name) do update set cron = excluded.cron, tz = excluded.tz,
       updated_at = case when cb_schedules.cron = excluded.cron and cb_schedules.tz = excluded.tz
                         then cb_schedules.updated_at else now() end`,
    [def.queue, schedule.cron, schedule.tz],
  );
}

/** Removes the schedule named after `queue` from pg-boss and `cb_schedules` (none: nothing happens). */
export async function removeSchedule(boss: PgBoss, db: Db, queue: string): Promise<void> {
  await boss.unschedule(queue);
  await db.query('delete from cb_schedules where name = $1', [queue]);
}

export type ScheduleEvent = 'started' | 'success' | 'failure';

const COLUMN: Record<ScheduleEvent, string> = {
  started: 'last_started_at',
  success: 'last_success_at',
  failure: 'last_failure_at',
};

/** Stamps a run's event with the database clock; returns the time written. */
export async function markScheduleRun(db: Db, name: string, event: ScheduleEvent): Promise<Date | undefined> {
  const column = COLUMN[event];
  const { rows } = await db.query<{ at: Date }>(
    `update cb_schedules set ${column} = now() where name = $1 returning ${column} as at`,
    [name],
  );
  return rows[0]?.at;
}

/** Last successful run of every schedule that has one. */
export async function readScheduleSuccesses(db: Db): Promise<{ name: string; lastSuccessAt: Date }[]> {
  const { rows } = await db.query<{ name: string; last_success_at: Date }>(
    'select name, last_success_at from cb_schedules where last_success_at is not null',
  );
  return rows.map((r) => ({ name: r.name, lastSuccessAt: r.last_success_at }));
}
