/**
 * Creates a definition's queue and its dead-letter queue in pg-boss, and brings the queue's
 * retry/expiry/dead-letter settings up to date with the code (pg-boss's create is "if absent", so a
 * changed retryLimit would otherwise never reach an existing queue). Idempotent; safe when several
 * instances start together.
 */
import type PgBoss from 'pg-boss';
import type { JobDefinition } from './define-job.ts';

export async function ensureQueue(boss: PgBoss, def: JobDefinition<unknown>): Promise<void> {
  await boss.createQueue(def.deadLetter, { name: def.deadLetter });
  const settings = {
    name: def.queue,
    retryLimit: def.retryLimit,
    retryDelay: def.retryDelaySeconds,
    retryBackoff: def.retryBackoff,
    expireInSeconds: def.expireInSeconds,
    deadLetter: def.deadLetter,
  };
  await boss.createQueue(def.queue, settings);
  await boss.updateQueue(def.queue, settings);
}
