import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Db } from '../db/create-db.ts';
import { createJobs, type Jobs, type JobsOptions } from './create-jobs.ts';
import { defineJob, type JobDefinition } from './define-job.ts';
import type { Job } from './job.ts';
import { createTestCommon, createTestDb, metricValue } from './test-support.ts';

let db: Db;
let close: () => Promise<void>;
const schema = createTestCommon().config.jobsSchema;
const live: Jobs[] = [];

beforeAll(async () => {
  ({ db, close } = await createTestDb(createTestCommon()));
});

afterAll(async () => {
  for (const j of live) await j.stop();
  await close?.();
});

const N = Type.Object({ n: Type.Number() });

/** A new "process": its own Common (metrics, logger) and Jobs on the shared database. */
async function instance<P>(
  name: string,
  def: JobDefinition<P>,
  handler: (job: Job<P>) => Promise<void> | void,
  options: JobsOptions = {},
) {
  const common = createTestCommon({ instance: name });
  const jobs = createJobs({ common, db, options: { registerShutdown: false, ...options } });
  jobs.register(def, handler);
  live.push(jobs);
  await jobs.start();
  return { jobs, common };
}

const rowOf = async (queue: string, id: string) =>
  (
    await db.query<{ state: string; retry_count: number; started_on: Date | null }>(
      `select state::text as state, retry_count, started_on from ${schema}.job where name = $1 and id = $2`,
      [queue, id],
    )
  ).rows[0];

describe('stop', () => {
  test('default: a handler that finishes within the grace period completes its job', async () => {
    const def = defineJob({ queue: 's.quick', payload: N });
    let begun!: () => void;
    const running = new Promise<void>((r) => {
      begun = r;
    });
    const { jobs, common } = await instance(
      'quick-a',
      def,
      async () => {
        begun();
        await sleep(400);
      },
      { graceMs: 5_000 },
    );
    const id = await jobs.send(def, { n: 1 });
    await running;
    await jobs.stop();
    expect(await rowOf('s.quick', id!)).toMatchObject({ state: 'completed' });
    // stop() returned: the attempt is settled and counted.
    expect(await metricValue(common, 'cb_jobs_total', { queue: 's.quick', result: 'completed' })).toBe(1);
    // Its heartbeat rows are gone: it no longer counts as a consumer anywhere.
    const { rows } = await db.query('select * from cb_job_consumers where instance = $1', ['quick-a']);
    expect(rows).toEqual([]);
    await expect(jobs.send(def, { n: 2 })).rejects.toMatchObject({ code: 'CB_JOBS_NOT_RUNNING' });
  });

  test('behavior: a job still running when the grace runs out is handed back and completed by the next process', async () => {
    const def = defineJob({ queue: 's.slow', payload: N, retryLimit: 0 });
    let begun!: (job: Job<{ n: number }>) => void;
    const running = new Promise<Job<{ n: number }>>((r) => {
      begun = r;
    });
    const first = await instance(
      'slow-a',
      def,
      async (job) => {
        begun(job);
        await sleep(10_000, undefined, { signal: job.signal });
      },
      { graceMs: 300 },
    );
    const id = await first.jobs.send(def, { n: 1 });
    const job = await running;

    const t0 = performance.now();
    await first.jobs.stop();
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(job.signal.aborted).toBe(true);
    expect(job.signal.reason).toMatchObject({ code: 'CB_JOBS_STOPPING' });
    // Back in the queue, due now, no retry spent (retryLimit 0 would otherwise dead-letter it).
    expect(await rowOf('s.slow', id!)).toMatchObject({ state: 'created', retry_count: 0, started_on: null });
    expect(
      await metricValue(first.common, 'cb_jobs_total', { queue: 's.slow', result: 'failed' }),
    ).toBeUndefined();

    const done: Job<{ n: number }>[] = [];
    await instance('slow-b', def, (j) => {
      done.push(j);
    });
    await vi.waitFor(async () => expect((await rowOf('s.slow', id!))?.state).toBe('completed'), {
      timeout: 5_000,
      interval: 50,
    });
    expect(done.map((j) => [j.id, j.retryCount, j.payload])).toEqual([[id, 0, { n: 1 }]]);
  });

  test('behavior: a job left active by a process that died is expired by pg-boss and retried elsewhere', async () => {
    const def = defineJob({
      queue: 's.orphan',
      payload: N,
      expireInSeconds: 1,
      retryLimit: 2,
      retryDelaySeconds: 0,
      retryBackoff: false,
    });
    // What a worker that crashed mid-job leaves: the job active, started long ago, never settled.
    const sender = createJobs({ common: createTestCommon(), db, options: { registerShutdown: false } });
    live.push(sender);
    await sender.start({ workers: false });
    const id = await sender.send(def, { n: 9 });
    await db.query(
      `update ${schema}.job set state = 'active', started_on = now() - interval '1 minute' where name = $1 and id = $2`,
      ['s.orphan', id],
    );

    const done: Job<{ n: number }>[] = [];
    await instance(
      'orphan-b',
      def,
      (j) => {
        done.push(j);
      },
      { maintenanceIntervalSeconds: 1 },
    );
    await vi.waitFor(async () => expect((await rowOf('s.orphan', id!))?.state).toBe('completed'), {
      timeout: 8_000,
      interval: 100,
    });
    // The expiry counted as a failed attempt: the job came back as its first retry.
    expect(done.map((j) => [j.id, j.retryCount])).toEqual([[id, 1]]);
  });

  test('behavior: a handler running past expireInSeconds is aborted and its job retried', async () => {
    const def = defineJob({
      queue: 's.hang',
      payload: N,
      expireInSeconds: 1,
      retryDelaySeconds: 0,
      retryBackoff: false,
    });
    const attempts: Job<{ n: number }>[] = [];
    const { jobs, common } = await instance('hang-a', def, async (job) => {
      attempts.push(job);
      if (job.retryCount === 0) await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
    });
    const id = await jobs.send(def, { n: 1 });
    await vi.waitFor(async () => expect((await rowOf('s.hang', id!))?.state).toBe('completed'), {
      timeout: 6_000,
      interval: 50,
    });
    expect(attempts.map((j) => j.retryCount)).toEqual([0, 1]);
    expect(attempts[0]!.signal.reason).toMatchObject({ code: 'CB_JOB_TIMEOUT', retryable: true });
    // The row is settled a moment before the count: pg-boss commits, then the worker counts.
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 's.hang', result: 'retried' })).toBe(1),
    );
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 's.hang', result: 'completed' })).toBe(1),
    );
  });

  test('behavior: start() registers stop() with the shutdown registry', async () => {
    const def = defineJob({ queue: 's.shutdown', payload: N });
    const common = createTestCommon({ instance: 'shutdown-a' });
    const jobs = createJobs({ common, db });
    jobs.register(def, () => {});
    live.push(jobs);
    await jobs.start();
    expect(jobs.running).toBe(true);
    expect(await common.shutdown.run('SIGTERM')).toEqual({ timedOut: false, unfinished: [] });
    expect(jobs.running).toBe(false);
  });
});
