/**
 * Operator actions on dead-lettered jobs (the console and CLI call these through `Jobs`): list the
 * jobs of a queue waiting in its dead-letter queue, and move one back to its queue. Moving deletes
 * the dead-letter copy and sends a new job (fresh retries, same payload and original trace) in one
 * transaction, so a job is never in both places nor lost between them.
 */
import type PgBoss from 'pg-boss';
import type { Db } from '../db/create-db.ts';
import { NotFoundError } from '../errors.ts';
import { type BossDb, inTransaction } from './boss-db.ts';
import { unwrapPayload } from './envelope.ts';

export interface DeadLetter {
  /** Id of the dead-letter copy (not of the original job). */
  id: string;
  /** Queue the job was sent to. */
  queue: string;
  deadLetterQueue: string;
  payload: unknown;
  /** What the last attempt failed with (`describeError` + `retryable`), as stored on the job. */
  error: unknown;
  /** The sender's traceparent, to find the original request's logs. */
  traceparent: string | undefined;
  deadLetteredAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function deadLetterQueueOf(db: BossDb, schema: string, queue: string): Promise<string> {
  const { rows } = await db.executeSql(`select dead_letter from ${schema}.queue where name = $1`, [queue]);
  const dlq = rows[0]?.dead_letter;
  if (rows.length === 0)
    throw new NotFoundError(`no queue named ${queue}`, 'CB_JOB_QUEUE_NOT_FOUND', { queue });
  if (typeof dlq !== 'string')
    throw new NotFoundError(`queue ${queue} has no dead-letter queue`, 'CB_JOB_QUEUE_NOT_FOUND', { queue });
  return dlq;
}

/** Dead-lettered jobs of `queue`, oldest first. */
export async function listDeadLetters(
  db: Db,
  schema: string,
  queue: string,
  page: { limit?: number; offset?: number } = {},
): Promise<DeadLetter[]> {
  const dlq = await deadLetterQueueOf(
    { executeSql: (text, values) => db.query(text, values) },
    schema,
    queue,
  );
  const { rows } = await db.query<{ id: string; data: unknown; output: unknown; created_on: Date }>(
    `select id, data, output, created_on from ${schema}.job
     where name = $1 and state < 'active' and data->'meta'->>'queue' = $2
     order by created_on, id limit $3 offset $4`,
    [dlq, queue, Math.min(Math.max(page.limit ?? 50, 1), 1000), Math.max(page.offset ?? 0, 0)],
  );
  return rows.map((r) => {
    const { payload, meta } = unwrapPayload(r.data);
    return {
      id: r.id,
      queue,
      deadLetterQueue: dlq,
      payload,
      error: r.output,
      traceparent: meta.traceparent,
      deadLetteredAt: r.created_on,
    };
  });
}

/** Moves one dead-lettered job back to `queue`; returns the new job's id. */
export async function retryDeadLetter(
  db: Db,
  boss: PgBoss,
  schema: string,
  queue: string,
  id: string,
): Promise<string> {
  const notFound = () =>
    new NotFoundError(`no dead-lettered job ${id} of ${queue}`, 'CB_JOB_NOT_FOUND', { queue, id });
  if (!UUID.test(id)) throw notFound();
  return inTransaction(db, async (tx) => {
    const dlq = await deadLetterQueueOf(tx, schema, queue);
    const { rows } = await tx.executeSql(
      `delete from ${schema}.job
       where name = $1 and id = $2 and state < 'active' and data->'meta'->>'queue' = $3
       returning data`,
      [dlq, id, queue],
    );
    if (rows.length === 0) throw notFound();
    const newId = await boss.send(queue, rows[0]!.data as object, { db: tx });
    if (newId === null) throw notFound();
    return newId;
  });
}
