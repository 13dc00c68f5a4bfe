import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Db } from '../db/create-db.ts';
import { BaseError, UnavailableError } from '../errors.ts';
import { contextFromTraceparent, currentTrace, runWithTrace } from '../trace.ts';
import { createJobs, type Jobs } from './create-jobs.ts';
import { defineJob } from './define-job.ts';
import type { Job } from './job.ts';
import { createTestCommon, createTestDb, metricValue } from './test-support.ts';

const common = createTestCommon({ instance: 'jobs-a' }, true);
let db: Db;
let close: () => Promise<void>;
let jobs: Jobs;
const schema = common.config.jobsSchema;

const N = Type.Object({ n: Type.Number() });
const okDef = defineJob({ queue: 't.ok', payload: N });
const flakyDef = defineJob({ queue: 't.flaky', payload: N, retryLimit: 2, retryDelaySeconds: 1 });
const fatalDef = defineJob({ queue: 't.fatal', payload: N, retryLimit: 3, retryDelaySeconds: 1 });
const strictDef = defineJob({
  queue: 't.strict',
  payload: Type.Object({ id: Type.String() }),
  retryLimit: 3,
});
// Same queue, no check: how a bad payload can reach a worker (an older producer, a manual insert).
const looseDef = defineJob({ queue: 't.strict', payload: (v: unknown) => v as { id: string } });
const batchDef = defineJob({ queue: 't.batch', payload: N, batchSize: 10, retryLimit: 0 });
const traceDef = defineJob({ queue: 't.trace', payload: N });

const seen = {
  ok: [] as Job<{ n: number }>[],
  flaky: [] as { retryCount: number; startAfter: Date; at: number; ok: boolean }[],
  fatal: 0,
  strict: 0,
  batches: [] as { size: number; traceId: string | undefined }[],
  trace: [] as { n: number; traceId: string | undefined }[],
};
let flakyHealed = false;

beforeAll(async () => {
  ({ db, close } = await createTestDb(common));
  jobs = createJobs({
    common,
    db,
    options: { sampleIntervalMs: 100, heartbeatIntervalMs: 200, registerShutdown: false },
  });
  jobs.register(okDef, (job) => {
    seen.ok.push(job);
  });
  jobs.register(flakyDef, (job) => {
    seen.flaky.push({
      retryCount: job.retryCount,
      startAfter: job.startAfter,
      at: Date.now(),
      ok: flakyHealed,
    });
    if (!flakyHealed) throw new UnavailableError('T_DOWNSTREAM', 'downstream unavailable');
  });
  jobs.register(fatalDef, () => {
    seen.fatal++;
    throw new BaseError('T_REFUSED', 'downstream refused this for good', { retryable: false });
  });
  jobs.register(strictDef, () => {
    seen.strict++;
  });
  jobs.registerBatch(batchDef, (batch) => {
    seen.batches.push({ size: batch.length, traceId: currentTrace()?.traceId });
    const bad = batch.find((j) => j.payload.n === 3);
    return bad
      ? { failed: [{ id: bad.id, error: new BaseError('T_BAD_ITEM', 'item 3 is bad') }] }
      : undefined;
  });
  jobs.register(traceDef, (job) => {
    common.logger.child('handler').info('handling traced job', { context: { jobId: job.id } });
    seen.trace.push({ n: job.payload.n, traceId: currentTrace()?.traceId });
  });
  await jobs.start();
});

afterAll(async () => {
  await jobs?.stop();
  await close?.();
});

const jobRow = async (queue: string, id: string) =>
  (
    await db.query<{ state: string; retry_count: number; output: Record<string, unknown> | null }>(
      `select state::text as state, retry_count, output from ${schema}.job where name = $1 and id = $2`,
      [queue, id],
    )
  ).rows[0];

describe('createJobs', () => {
  test('default: a sent job is handled once with its typed payload and completed', async () => {
    const id = await jobs.send(okDef, { n: 42 });
    await vi.waitFor(() => expect(seen.ok.map((j) => j.id)).toContain(id), { timeout: 5000, interval: 50 });
    const job = seen.ok.find((j) => j.id === id)!;
    expect(job).toMatchObject({ queue: 't.ok', payload: { n: 42 }, retryCount: 0, retryLimit: 3 });
    await vi.waitFor(async () => expect((await jobRow('t.ok', id!))?.state).toBe('completed'));
    // The row is settled a moment before the count: pg-boss commits, then the worker counts.
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 't.ok', result: 'completed' })).toBe(1),
    );
  });

  test('behavior: a retryable failure is retried with growing delays, then dead-lettered; moved back, it runs again', async () => {
    const id = await jobs.send(flakyDef, { n: 7 });
    await vi.waitFor(async () => expect(await jobs.listDeadLetters('t.flaky')).toHaveLength(1), {
      timeout: 15_000,
      interval: 100,
    });
    // retryLimit 2: the first attempt and two retries.
    expect(seen.flaky.map((a) => a.retryCount)).toEqual([0, 1, 2]);
    const [first, second, third] = seen.flaky as [
      (typeof seen.flaky)[0],
      (typeof seen.flaky)[0],
      (typeof seen.flaky)[0],
    ];
    // The delay pg-boss scheduled after each failure: retryDelay × 2^n × (0.5…1) with n = 1, 2.
    const delay1 = second.startAfter.getTime() - first.at;
    const delay2 = third.startAfter.getTime() - second.at;
    expect(delay1).toBeGreaterThanOrEqual(900);
    expect(delay1).toBeLessThan(2_500);
    expect(delay2).toBeGreaterThanOrEqual(1_900);
    expect(delay2).toBeGreaterThan(delay1);

    const row = await jobRow('t.flaky', id!);
    expect(row).toMatchObject({ state: 'failed', retry_count: 2 });
    expect(row!.output).toMatchObject({ code: 'T_DOWNSTREAM', retryable: true });
    const [dead] = await jobs.listDeadLetters('t.flaky');
    expect(dead).toMatchObject({
      queue: 't.flaky',
      deadLetterQueue: 't.flaky.dlq',
      payload: { n: 7 },
      error: { code: 'T_DOWNSTREAM', message: 'downstream unavailable', retryable: true },
    });
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 't.flaky', result: 'retried' })).toBe(2),
    );
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 't.flaky', result: 'failed' })).toBe(1),
    );
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_queue_dead_letter_depth', { queue: 't.flaky' })).toBe(1),
    );
    const logged = common.lines().filter((l) => l.context.jobId === id && l.level !== 'DEBUG');
    expect(logged.map((l) => [l.level, l.message, l.metrics.retryCount])).toEqual([
      ['WARN', 'job failed, will retry', 0],
      ['WARN', 'job failed, will retry', 1],
      ['ERROR', 'job dead-lettered', 2],
    ]);
    expect(logged[2]!.context).toMatchObject({ queue: 't.flaky', reason: 'retries exhausted' });
    expect(logged[2]!.context.error).toMatchObject({ code: 'T_DOWNSTREAM' });

    flakyHealed = true;
    const newId = await jobs.retryDeadLetter('t.flaky', dead!.id);
    await vi.waitFor(async () => expect((await jobRow('t.flaky', newId))?.state).toBe('completed'), {
      timeout: 5000,
    });
    expect(seen.flaky.at(-1)).toMatchObject({ retryCount: 0, ok: true });
    expect(await jobs.listDeadLetters('t.flaky')).toEqual([]);
    await expect(jobs.retryDeadLetter('t.flaky', dead!.id)).rejects.toMatchObject({
      code: 'CB_JOB_NOT_FOUND',
    });
  });

  test('behavior: a non-retryable failure is dead-lettered at once, without spending retries', async () => {
    const id = await jobs.send(fatalDef, { n: 1 });
    await vi.waitFor(async () => expect(await jobs.listDeadLetters('t.fatal')).toHaveLength(1), {
      timeout: 5000,
      interval: 50,
    });
    expect(seen.fatal).toBe(1);
    expect(await jobRow('t.fatal', id!)).toMatchObject({ state: 'failed', retry_count: 0 });
    const [dead] = await jobs.listDeadLetters('t.fatal');
    expect(dead!.error).toMatchObject({ code: 'T_REFUSED', retryable: false });
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 't.fatal', result: 'failed' })).toBe(1),
    );
    expect(
      await metricValue(common, 'cb_jobs_total', { queue: 't.fatal', result: 'retried' }),
    ).toBeUndefined();
    const line = common.lines().find((l) => l.context.jobId === id && l.level === 'ERROR');
    expect(line).toMatchObject({ message: 'job dead-lettered', context: { reason: 'not retryable' } });
  });

  test('behavior: a payload failing validation at the worker is dead-lettered without running the handler', async () => {
    const id = await jobs.send(looseDef, { id: 5 } as unknown as { id: string });
    await vi.waitFor(async () => expect(await jobs.listDeadLetters('t.strict')).toHaveLength(1), {
      timeout: 5000,
      interval: 50,
    });
    expect(seen.strict).toBe(0);
    expect(await jobRow('t.strict', id!)).toMatchObject({ state: 'failed', retry_count: 0 });
    const [dead] = await jobs.listDeadLetters('t.strict');
    expect(dead).toMatchObject({
      payload: { id: 5 },
      error: { code: 'CB_JOB_PAYLOAD_INVALID', retryable: false },
    });
  });

  test('behavior: the job runs in the sender’s trace; every line of it carries the traceId', async () => {
    const request = contextFromTraceparent(undefined);
    const id = await runWithTrace(request, () => jobs.send(traceDef, { n: 1 }));
    const loneId = await jobs.send(traceDef, { n: 2 });
    await vi.waitFor(() => expect(seen.trace).toHaveLength(2), { timeout: 5000, interval: 50 });
    await vi.waitFor(() =>
      expect(common.lines().filter((l) => l.message === 'job completed')).not.toHaveLength(0),
    );

    const linesOf = (jobId: string | null) => common.lines().filter((l) => l.context.jobId === jobId);
    await vi.waitFor(() => expect(linesOf(loneId).map((l) => l.message)).toContain('job completed'));
    const traced = linesOf(id);
    expect(traced.map((l) => l.message)).toEqual(['job started', 'handling traced job', 'job completed']);
    for (const line of traced) expect(line.traceId).toBe(request.traceId);
    expect(seen.trace.find((t) => t.n === 1)!.traceId).toBe(request.traceId);

    // Sent outside any trace: a trace of its own, shared by its lines, not the process's boot trace.
    const lone = linesOf(loneId);
    expect(new Set(lone.map((l) => l.traceId)).size).toBe(1);
    const bootTraceId = common.lines().find((l) => l.message === 'jobs started')!.traceId;
    expect(lone[0]!.traceId).not.toBe(bootTraceId);
    expect(lone[0]!.traceId).not.toBe(request.traceId);
  });

  test('behavior: a batch handler gets the jobs due together at once; one listed failure fails only that job', async () => {
    const request = contextFromTraceparent(undefined);
    const startAfter = new Date(Date.now() + 1000);
    const ids = await runWithTrace(request, () =>
      Promise.all([1, 2, 3, 4, 5].map((n) => jobs.send(batchDef, { n }, { startAfter }))),
    );
    await vi.waitFor(async () => expect(await jobs.listDeadLetters('t.batch')).toHaveLength(1), {
      timeout: 5000,
      interval: 50,
    });
    expect(seen.batches).toEqual([{ size: 5, traceId: request.traceId }]);
    const states = await Promise.all(ids.map(async (id) => (await jobRow('t.batch', id!))?.state));
    expect(states).toEqual(['completed', 'completed', 'failed', 'completed', 'completed']);
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 't.batch', result: 'completed' })).toBe(4),
    );
    expect((await jobs.listDeadLetters('t.batch'))[0]).toMatchObject({
      payload: { n: 3 },
      error: { code: 'T_BAD_ITEM' },
    });
  });

  test('behavior: a singletonKey deduplicates sends within its window', async () => {
    const startAfter = 3600;
    const first = await jobs.send(okDef, { n: 1 }, { singletonKey: 'same', startAfter });
    const second = await jobs.send(okDef, { n: 2 }, { singletonKey: 'same', startAfter });
    const other = await jobs.send(okDef, { n: 3 }, { singletonKey: 'other', startAfter });
    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
    expect(other).toEqual(expect.any(String));
  });

  test('behavior: gauges and histograms after the scenarios', async () => {
    // Two delayed t.ok jobs wait (previous test); one t.flaky job moved back has completed.
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_queue_depth', { queue: 't.ok' })).toBe(2),
    );
    expect(await metricValue(common, 'cb_queue_depth', { queue: 't.flaky' })).toBe(0);
    expect(await metricValue(common, 'cb_queue_dead_letter_depth', { queue: 't.flaky' })).toBe(0);
    expect(await metricValue(common, 'cb_queue_dead_letter_depth', { queue: 't.fatal' })).toBe(1);
    expect(await metricValue(common, 'cb_queue_dead_letter_depth', { queue: 't.batch' })).toBe(1);
    // Dead-letter queues are reported under their source queue, never as queues of their own.
    expect(await metricValue(common, 'cb_queue_depth', { queue: 't.fatal.dlq' })).toBeUndefined();
    expect(await metricValue(common, 'cb_queue_consumers', { queue: 't.ok' })).toBe(1);
    expect(await metricValue(common, 'cb_queue_consumers', { queue: 't.batch' })).toBe(1);
    expect(await metricValue(common, 'cb_job_wait_seconds', { queue: 't.flaky' }, '_count')).toBe(4);
    expect(await metricValue(common, 'cb_job_duration_seconds', { queue: 't.flaky' }, '_count')).toBe(4);
    expect(await metricValue(common, 'cb_job_duration_seconds', { queue: 't.batch' }, '_count')).toBe(5);
    // The invalid payload never ran a handler: waited, but no duration.
    expect(await metricValue(common, 'cb_job_wait_seconds', { queue: 't.strict' }, '_count')).toBe(1);
    expect(
      await metricValue(common, 'cb_job_duration_seconds', { queue: 't.strict' }, '_count'),
    ).toBeUndefined();

    const stats = await jobs.stats();
    expect(stats.find((s) => s.queue === 't.batch')).toMatchObject({
      completed: 4,
      failed: 1,
      deadLettered: 1,
    });
    expect(stats.map((s) => s.queue)).not.toContain('t.batch.dlq');
  });

  test('behavior: an instance started without workers sends but does not consume', async () => {
    const other = createTestCommon({ instance: 'api-b' });
    const api = createJobs({
      common: other,
      db,
      options: { sampleIntervalMs: 100, registerShutdown: false },
    });
    const sendOnly = defineJob({ queue: 't.sendonly', payload: N });
    api.register(sendOnly, () => {
      throw new Error('must not run');
    });
    await api.start({ workers: false });
    try {
      const id = await api.send(sendOnly, { n: 1 });
      await new Promise((r) => setTimeout(r, 700));
      expect(await jobRow('t.sendonly', id!)).toMatchObject({ state: 'created' });
      await vi.waitFor(async () =>
        expect(await metricValue(other, 'cb_queue_depth', { queue: 't.sendonly' })).toBe(1),
      );
      expect(await metricValue(other, 'cb_queue_consumers', { queue: 't.sendonly' })).toBe(0);
      // The worker instance's consumers are visible from here too (read from the heartbeats).
      expect(await metricValue(other, 'cb_queue_consumers', { queue: 't.ok' })).toBe(1);
    } finally {
      await api.stop();
    }
  });

  test('error: sending a payload that fails validation throws CB_JOB_PAYLOAD_INVALID', async () => {
    await expect(jobs.send(strictDef, { id: 1 } as unknown as { id: string })).rejects.toMatchObject({
      code: 'CB_JOB_PAYLOAD_INVALID',
      retryable: false,
    });
  });

  test('error: lifecycle misuse and unknown queues', async () => {
    expect(() => jobs.register(defineJob({ queue: 't.late', payload: N }), () => {})).toThrow(
      expect.objectContaining({ code: 'CB_JOBS_ALREADY_STARTED' }),
    );
    const idle = createJobs({ common: createTestCommon(), db });
    expect(() => idle.register(okDef, () => {})).not.toThrow();
    expect(() => idle.register(okDef, () => {})).toThrow(
      expect.objectContaining({ code: 'CB_JOB_ALREADY_REGISTERED' }),
    );
    await expect(idle.send(okDef, { n: 1 })).rejects.toMatchObject({
      code: 'CB_JOBS_NOT_RUNNING',
      retryable: true,
    });
    await idle.stop();
    await expect(jobs.listDeadLetters('t.nope')).rejects.toMatchObject({ code: 'CB_JOB_QUEUE_NOT_FOUND' });
    await expect(jobs.retryDeadLetter('t.ok', 'not-a-uuid')).rejects.toMatchObject({
      code: 'CB_JOB_NOT_FOUND',
    });
    expect(() => createJobs({ common, db, options: { pollIntervalMs: 10 } })).toThrow(
      expect.objectContaining({ code: 'CB_JOBS_OPTIONS_INVALID' }),
    );
  });
});
