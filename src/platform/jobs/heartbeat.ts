/**
 * Consumer heartbeats: each process upserts `cb_job_consumers(instance, queue, workers,
 * last_seen_at)` for the queues it works, every heartbeat interval, and deletes its rows when it
 * stops. Workers whose heartbeat is fresh are counted live across all instances; a process that
 * died stops counting after the staleness window. Times are the database's, so instance clocks
 * do not matter.
 */
import type { Db } from '../db/create-db.ts';

export interface ConsumerCount {
  queue: string;
  workers: number;
}

/** Records that `instance` runs these workers now. */
export async function beat(db: Db, instance: string, consumers: readonly ConsumerCount[]): Promise<void> {
  if (consumers.length === 0) return;
  await db.query(
    `insert into cb_job_consumers (instance, queue, workers, last_seen_at)
     select $1, t.queue, t.workers, now() from unnest($2::text[], $3::int[]) as t(queue, workers)
     on conflict (instance, queue) do update set workers = excluded.workers, last_seen_at = excluded.last_seen_at`,
    [instance, consumers.map((c) => c.queue), consumers.map((c) => c.workers)],
  );
}

/** Removes `instance`'s rows (it stopped consuming). */
export async function removeConsumers(db: Db, instance: string): Promise<void> {
  await db.query('delete from cb_job_consumers where instance = $1', [instance]);
}

/** Live workers per queue: heartbeats younger than `staleAfterMs`. Older rows are pruned after a day. */
export async function liveConsumers(db: Db, staleAfterMs: number): Promise<Map<string, number>> {
  await db.query(`delete from cb_job_consumers where last_seen_at < now() - interval '1 day'`);
  const { rows } = await db.query<{ queue: string; workers: number }>(
    `select queue, sum(workers)::int as workers from cb_job_consumers
     where last_seen_at > now() - $1 * interval '1 millisecond'
     group by queue`,
    [staleAfterMs],
  );
  return new Map(rows.map((r) => [r.queue, r.workers]));
}
