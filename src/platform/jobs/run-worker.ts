/**
 * One worker: a loop that fetches up to `batchSize` jobs of a queue, runs them, records each
 * outcome, and polls again (at once after work, after `pollIntervalMs` when idle) until the jobs
 * subsystem stops. `concurrency` such loops run per queue and process.
 *
 * Our own loop over pg-boss's fetch/complete/fail rather than pg-boss's `work()`: each job of a
 * batch needs its own outcome (retry or dead-letter), its own trace, a time limit that frees the
 * loop, and a stop that hands unfinished jobs back instead of failing them.
 *
 * Every outcome is recorded once: by the handler's return, by the timeout, or by `stop()` (which
 * releases the job). Whoever claims a job first decides; a late handler result is ignored.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/create-db.ts';
import { contextFromTraceparent, newSpanId, runWithTrace, type TraceContext } from '../trace.ts';
import type { JobDefinition } from './define-job.ts';
import { unwrapPayload } from './envelope.ts';
import type { BatchJobHandler, Job, JobHandler } from './job.ts';
import { JobTimeoutError } from './job-errors.ts';
import { markScheduleRun } from './schedules.ts';
import { type AttemptFacts, completeJobs, failJob, type SettleContext } from './settle-job.ts';

/** A job being handled in this process. */
export interface RunningJob {
  readonly queue: string;
  readonly id: string;
  readonly controller: AbortController;
  /** When this process took the job (Unix ms, by `WorkerContext.now`); `cb_job_oldest_active_seconds` reads it. */
  readonly startedAt: number;
  /** Set by whoever records the outcome first (handler result, timeout, or stop). */
  claimed: boolean;
}

export interface WorkerContext extends SettleContext {
  db: Db;
  pollIntervalMs: number;
  /** Aborted when `stop()` begins: loops fetch no more. */
  stopping: AbortSignal;
  running: Set<RunningJob>;
  /** Clock of `RunningJob.startedAt` (Unix ms). */
  now: () => number;
  /** Outcome writes in progress; `stop()` waits for them. */
  settling: Set<Promise<void>>;
}

export type WorkerRegistration =
  | { kind: 'single'; def: JobDefinition<unknown>; handler: JobHandler<unknown> }
  | { kind: 'batch'; def: JobDefinition<unknown>; handler: BatchJobHandler<unknown> };

/** A row of pg-boss's fetch with `includeMetadata`. */
interface FetchedRow {
  id: string;
  name: string;
  data: unknown;
  expireInSeconds: number | string;
  retryLimit: number;
  retryCount: number;
  startAfter: Date;
  startedOn: Date;
  createdOn: Date;
  deadLetter: string | null;
}

interface Prepared {
  facts: AttemptFacts;
  rawPayload: unknown;
  schedule: string | undefined;
  waitMs: number;
  expireMs: number;
  job: Omit<Job<unknown>, 'payload'>;
}

/** Runs one worker loop until `ctx.stopping` is aborted. Never throws. */
export async function runWorkerLoop(ctx: WorkerContext, reg: WorkerRegistration): Promise<void> {
  const { queue, batchSize } = reg.def;
  while (!ctx.stopping.aborted) {
    let rows: FetchedRow[] = [];
    try {
      // pg-boss's fetch swallows database errors and returns no job; an outage shows as idle workers.
      rows = (await ctx.boss.fetch(queue, { batchSize, includeMetadata: true })) as unknown as FetchedRow[];
    } catch (err) {
      ctx.logger.warn('fetching jobs failed', { context: { queue }, err });
    }
    if (rows.length === 0) {
      await sleep(ctx.pollIntervalMs, undefined, { signal: ctx.stopping }).catch(() => {});
      continue;
    }
    if (reg.kind === 'single') await Promise.all(rows.map((row) => runOne(ctx, reg.def, reg.handler, row)));
    else await runBatch(ctx, reg.def, reg.handler, rows);
  }
}

function prepare(row: FetchedRow, signal: AbortSignal): Prepared {
  const { payload, meta } = unwrapPayload(row.data);
  const trace = contextFromTraceparent(meta.traceparent);
  if (meta.userId !== undefined) trace.userId = meta.userId;
  const expireSeconds = Number(row.expireInSeconds);
  return {
    facts: {
      queue: row.name,
      id: row.id,
      retryCount: row.retryCount,
      retryLimit: row.retryLimit,
      deadLetter: row.deadLetter,
      trace,
    },
    rawPayload: payload,
    schedule: meta.schedule,
    waitMs: Math.max(0, row.startedOn.getTime() - row.startAfter.getTime()),
    expireMs: Number.isFinite(expireSeconds) && expireSeconds > 0 ? expireSeconds * 1000 : 900_000,
    job: {
      id: row.id,
      queue: row.name,
      retryCount: row.retryCount,
      retryLimit: row.retryLimit,
      createdAt: row.createdOn,
      startAfter: row.startAfter,
      trace,
      schedule: meta.schedule,
      signal,
    },
  };
}

/** Claims the not-yet-claimed jobs and records their outcome with `write`; tracked for `stop()`. */
function settle(
  ctx: WorkerContext,
  jobs: readonly RunningJob[],
  write: (claimed: readonly RunningJob[]) => Promise<void>,
): Promise<void> {
  const mine = jobs.filter((j) => !j.claimed);
  if (mine.length === 0) return Promise.resolve();
  for (const j of mine) j.claimed = true;
  const p = write(mine).catch((err: unknown) => {
    ctx.logger.error('recording a job outcome failed; the job stays active until it expires', {
      context: { queue: mine[0]!.queue, jobIds: mine.map((j) => j.id) },
      err,
    });
  });
  ctx.settling.add(p);
  void p.finally(() => ctx.settling.delete(p));
  return p;
}

async function started(ctx: WorkerContext, p: Prepared): Promise<void> {
  ctx.metrics.jobWait.observe({ queue: p.facts.queue }, p.waitMs / 1000);
  ctx.logger.debug('job started', {
    context: { queue: p.facts.queue, jobId: p.facts.id, ...(p.schedule ? { schedule: p.schedule } : {}) },
    metrics: { retryCount: p.facts.retryCount, waitMs: Math.round(p.waitMs) },
  });
  if (p.schedule) {
    try {
      await markScheduleRun(ctx.db, p.schedule, 'started');
    } catch (err) {
      ctx.logger.warn('recording a scheduled run failed', { context: { schedule: p.schedule }, err });
    }
  }
}

async function recordSuccess(
  ctx: WorkerContext,
  preps: readonly Prepared[],
  durationMs: number,
): Promise<void> {
  for (const p of preps) ctx.metrics.jobDuration.observe({ queue: p.facts.queue }, durationMs / 1000);
  await completeJobs(
    ctx,
    preps.map((p) => p.facts),
    durationMs,
  );
  for (const p of preps) {
    if (!p.schedule) continue;
    const at = await markScheduleRun(ctx.db, p.schedule, 'success');
    if (at) ctx.metrics.scheduledJobLastSuccess.set({ schedule: p.schedule }, at.getTime() / 1000);
  }
}

async function recordFailure(
  ctx: WorkerContext,
  p: Prepared,
  error: unknown,
  durationMs: number | undefined,
): Promise<void> {
  if (durationMs !== undefined) ctx.metrics.jobDuration.observe({ queue: p.facts.queue }, durationMs / 1000);
  await failJob(ctx, p.facts, error, durationMs);
  if (p.schedule) await markScheduleRun(ctx.db, p.schedule, 'failure');
}

type Raced =
  | { aborted: true }
  | { aborted: false; ok: true; value: unknown }
  | { aborted: false; ok: false; error: unknown };

/** The handler's outcome, or `aborted` as soon as the signal fires (the handler is left to finish alone). */
function raceAbort(work: () => unknown, signal: AbortSignal): Promise<Raced> {
  // Stopped or timed out before the handler began: it never runs.
  if (signal.aborted) return Promise.resolve({ aborted: true });
  const done = Promise.resolve()
    .then(work)
    .then(
      (value): Raced => ({ aborted: false, ok: true, value }),
      (error: unknown): Raced => ({ aborted: false, ok: false, error }),
    );
  const aborted = new Promise<Raced>((resolve) =>
    signal.addEventListener('abort', () => resolve({ aborted: true }), { once: true }),
  );
  return Promise.race([done, aborted]);
}

async function runOne(
  ctx: WorkerContext,
  def: JobDefinition<unknown>,
  handler: JobHandler<unknown>,
  row: FetchedRow,
): Promise<void> {
  const controller = new AbortController();
  const p = prepare(row, controller.signal);
  const running: RunningJob = {
    queue: p.facts.queue,
    id: p.facts.id,
    controller,
    startedAt: ctx.now(),
    claimed: false,
  };
  ctx.running.add(running);
  try {
    await runWithTrace(p.facts.trace, async () => {
      await started(ctx, p);
      let payload: unknown;
      try {
        payload = def.parse(p.rawPayload);
      } catch (err) {
        await settle(ctx, [running], () => recordFailure(ctx, p, err, undefined));
        return;
      }
      const t0 = performance.now();
      let timedOut: Promise<void> | undefined;
      const timer = setTimeout(() => {
        const err = new JobTimeoutError(p.facts.queue, p.expireMs / 1000);
        timedOut = settle(ctx, [running], () => recordFailure(ctx, p, err, performance.now() - t0));
        controller.abort(err);
      }, p.expireMs);
      const outcome = await raceAbort(() => handler({ ...p.job, payload }), controller.signal);
      clearTimeout(timer);
      if (outcome.aborted) {
        await timedOut;
        return;
      }
      const ms = performance.now() - t0;
      await settle(ctx, [running], () =>
        outcome.ok ? recordSuccess(ctx, [p], ms) : recordFailure(ctx, p, outcome.error, ms),
      );
    });
  } finally {
    ctx.running.delete(running);
  }
}

/** The senders' trace when all jobs share one (a new span of it), else a new trace. */
function batchTrace(preps: readonly Prepared[]): TraceContext {
  const first = preps[0]!.facts.trace;
  return preps.every((p) => p.facts.trace.traceId === first.traceId)
    ? { ...first, spanId: newSpanId() }
    : contextFromTraceparent(undefined);
}

async function runBatch(
  ctx: WorkerContext,
  def: JobDefinition<unknown>,
  handler: BatchJobHandler<unknown>,
  rows: readonly FetchedRow[],
): Promise<void> {
  const controller = new AbortController();
  const startedAt = ctx.now();
  const entries = rows.map((row) => {
    const p = prepare(row, controller.signal);
    const running: RunningJob = {
      queue: p.facts.queue,
      id: p.facts.id,
      controller,
      startedAt,
      claimed: false,
    };
    ctx.running.add(running);
    return { p, running, job: undefined as Job<unknown> | undefined };
  });
  try {
    for (const e of entries) {
      await runWithTrace(e.p.facts.trace, async () => {
        await started(ctx, e.p);
        try {
          e.job = { ...e.p.job, payload: def.parse(e.p.rawPayload) };
        } catch (err) {
          await settle(ctx, [e.running], () => recordFailure(ctx, e.p, err, undefined));
        }
      });
    }
    const valid = entries.filter((e) => e.job !== undefined);
    if (valid.length === 0) return;

    await runWithTrace(batchTrace(valid.map((e) => e.p)), async () => {
      const t0 = performance.now();
      const failEach = (error: unknown, ms: number | undefined, of = valid) =>
        Promise.all(
          of.map((e) =>
            runWithTrace(e.p.facts.trace, () =>
              settle(ctx, [e.running], () => recordFailure(ctx, e.p, error, ms)),
            ),
          ),
        );
      let timedOut: Promise<unknown> | undefined;
      const expireMs = Math.max(...valid.map((e) => e.p.expireMs));
      const timer = setTimeout(() => {
        const err = new JobTimeoutError(def.queue, expireMs / 1000);
        timedOut = failEach(err, performance.now() - t0);
        controller.abort(err);
      }, expireMs);
      const outcome = await raceAbort(
        () =>
          handler(
            valid.map((e) => e.job!),
            { signal: controller.signal },
          ),
        controller.signal,
      );
      clearTimeout(timer);
      if (outcome.aborted) {
        await timedOut;
        return;
      }
      const ms = performance.now() - t0;
      if (!outcome.ok) {
        await failEach(outcome.error, ms);
        return;
      }
      const failures = new Map<string, unknown>();
      for (const f of (outcome.value as { failed?: readonly { id: string; error: unknown }[] } | undefined)
        ?.failed ?? []) {
        failures.set(f.id, f.error);
      }
      const succeeded = valid.filter((e) => !failures.has(e.p.facts.id));
      await Promise.all([
        settle(
          ctx,
          succeeded.map((e) => e.running),
          (mine) =>
            recordSuccess(
              ctx,
              succeeded.filter((e) => mine.includes(e.running)).map((e) => e.p),
              ms,
            ),
        ),
        ...valid
          .filter((e) => failures.has(e.p.facts.id))
          .map((e) => failEach(failures.get(e.p.facts.id), ms, [e])),
      ]);
    });
  } finally {
    for (const e of entries) ctx.running.delete(e.running);
  }
}
