/**
 * Queue statistics from pg-boss's tables, grouped in one pass over the job table. Jobs waiting in
 * a dead-letter queue are attributed to the queue they were sent to (the envelope keeps it), so a
 * dead-letter queue shared by several queues still tells whose jobs failed.
 */
import type { Db } from '../db/create-db.ts';
import type { QueueStats } from './queue-stats-shape.ts';

export type { QueueStats };

const STATES = ['created', 'retry', 'active', 'completed', 'failed', 'cancelled'] as const;
type State = (typeof STATES)[number];

/**
 * Statistics of every queue except dead-letter and pg-boss's internal ones. `waitingOnly` counts
 * only created and retry jobs (what the depth gauges need; served by pg-boss's fetch index).
 */
export async function readQueueStats(
  db: Db,
  schema: string,
  options: { waitingOnly?: boolean } = {},
): Promise<QueueStats[]> {
  const queues = await db.query<{ name: string; dead_letter: string | null }>(
    `select name, dead_letter from ${schema}.queue where name not like '\\_\\_pgboss%' order by name`,
  );
  const counts = await db.query<{ name: string; state: State; source: string; n: number }>(
    `select name, state::text as state, coalesce(data->'meta'->>'queue', name) as source, count(*)::int as n
     from ${schema}.job
     where ${options.waitingOnly ? `state < 'active'` : 'true'}
     group by 1, 2, 3`,
  );
  const deadLetterQueues = new Set(queues.rows.map((q) => q.dead_letter).filter((d) => d !== null));
  const stats = new Map<string, QueueStats>();
  for (const q of queues.rows) {
    if (deadLetterQueues.has(q.name)) continue;
    stats.set(q.name, {
      queue: q.name,
      deadLetterQueue: q.dead_letter,
      created: 0,
      retry: 0,
      active: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      deadLettered: 0,
    });
  }
  for (const row of counts.rows) {
    if (deadLetterQueues.has(row.name)) {
      const source = stats.get(row.source);
      if (source && source.deadLetterQueue === row.name && (row.state === 'created' || row.state === 'retry'))
        source.deadLettered += row.n;
      continue;
    }
    const s = stats.get(row.name);
    if (s && STATES.includes(row.state)) s[row.state] += row.n;
  }
  return [...stats.values()];
}
