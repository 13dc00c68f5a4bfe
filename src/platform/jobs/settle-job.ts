/**
 * The outcome of one attempt, written to pg-boss, counted and logged (in the job's trace):
 *
 * - completed → `cb_jobs_total{result="completed"}`, DEBUG;
 * - failed with a retryable error and retries left → pg-boss retries it after its (backoff)
 *   delay: `result="retried"`, WARN;
 * - failed with retries used up, or with a non-retryable error (`BaseError.retryable === false`,
 *   an invalid payload) → dead-lettered at once: `result="failed"`, ERROR. A non-retryable job's
 *   `retry_limit` is lowered to its `retry_count` in the same transaction as pg-boss's fail, so
 *   pg-boss's own fail path moves it to the dead-letter queue without spending the retries.
 *
 * Errors that are not a `BaseError` are retried: nothing says a retry cannot help.
 */
import type PgBoss from 'pg-boss';
import type { Db } from '../db/create-db.ts';
import { BaseError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { redact } from '../redact.ts';
import { runWithTrace, type TraceContext } from '../trace.ts';
import { inTransaction } from './boss-db.ts';

export interface SettleContext {
  boss: PgBoss;
  db: Db;
  schema: string;
  logger: Logger;
  metrics: Metrics;
}

/** The facts of a fetched job that settling needs. */
export interface AttemptFacts {
  queue: string;
  id: string;
  retryCount: number;
  retryLimit: number;
  deadLetter: string | null;
  /** The job's trace: its log lines carry it even when settled from a batch. */
  trace: TraceContext;
}

export type FailureOutcome = 'retried' | 'failed';

/** Whether trying again can help: a `BaseError` says so; anything else is assumed transient. */
export function isRetryable(error: unknown): boolean {
  return error instanceof BaseError ? error.retryable : true;
}

interface CommandResult {
  affected?: number;
}

function attemptFields(job: AttemptFacts, durationMs: number | undefined) {
  return {
    context: { queue: job.queue, jobId: job.id },
    metrics: {
      retryCount: job.retryCount,
      retryLimit: job.retryLimit,
      ...(durationMs === undefined ? {} : { durationMs: Math.round(durationMs) }),
    },
  };
}

/** Marks successful jobs (of one queue) completed in one statement. */
export async function completeJobs(
  ctx: SettleContext,
  jobs: readonly AttemptFacts[],
  durationMs: number,
): Promise<void> {
  const first = jobs[0];
  if (!first) return;
  const result = (await ctx.boss.complete(
    first.queue,
    jobs.map((j) => j.id),
  )) as unknown as CommandResult;
  for (const job of jobs) {
    ctx.metrics.jobs.inc({ queue: job.queue, result: 'completed' });
    runWithTrace(job.trace, () => ctx.logger.debug('job completed', attemptFields(job, durationMs)));
  }
  if (result?.affected !== undefined && result.affected < jobs.length) {
    ctx.logger.warn('completed jobs were no longer active (expired and retried meanwhile?)', {
      context: { queue: first.queue },
      metrics: { requested: jobs.length, affected: result.affected },
    });
  }
}

/** Records a failed attempt: retried with backoff, or dead-lettered. */
export async function failJob(
  ctx: SettleContext,
  job: AttemptFacts,
  error: unknown,
  durationMs: number | undefined,
): Promise<FailureOutcome> {
  const retryable = isRetryable(error);
  const output = { ...(redact(describeError(error)) as Record<string, unknown>), retryable };
  const fields = attemptFields(job, durationMs);

  if (retryable && job.retryCount < job.retryLimit) {
    await ctx.boss.fail(job.queue, job.id, output);
    ctx.metrics.jobs.inc({ queue: job.queue, result: 'retried' });
    runWithTrace(job.trace, () => ctx.logger.warn('job failed, will retry', { ...fields, err: error }));
    return 'retried';
  }

  if (retryable) {
    await ctx.boss.fail(job.queue, job.id, output);
  } else {
    await inTransaction(ctx.db, async (tx) => {
      await tx.executeSql(
        `update ${ctx.schema}.job set retry_limit = retry_count where name = $1 and id = $2 and state = 'active'`,
        [job.queue, job.id],
      );
      await ctx.boss.fail(job.queue, job.id, output, { db: tx });
    });
  }
  ctx.metrics.jobs.inc({ queue: job.queue, result: 'failed' });
  const reason = retryable ? 'retries exhausted' : 'not retryable';
  runWithTrace(job.trace, () =>
    ctx.logger.error(job.deadLetter ? 'job dead-lettered' : 'job failed for good', {
      context: { ...fields.context, deadLetter: job.deadLetter, reason },
      metrics: fields.metrics,
      err: error,
    }),
  );
  return 'failed';
}
