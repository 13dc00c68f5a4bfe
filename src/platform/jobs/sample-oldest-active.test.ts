import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Db } from '../db/create-db.ts';
import { createJobs, type Jobs } from './create-jobs.ts';
import { defineJob } from './define-job.ts';
import type { RunningJob } from './run-worker.ts';
import { sampleOldestActive } from './sample-oldest-active.ts';
import { createTestCommon, createTestDb, metricValue } from './test-support.ts';

const N = Type.Object({ n: Type.Number() });
const AGE = 'cb_job_oldest_active_seconds';

/** A gate a handler waits on: the test knows when it began and says when it may end. */
function gate() {
  let began!: () => void;
  let open!: () => void;
  const begun = new Promise<void>((r) => {
    began = r;
  });
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { began, begun, open, opened };
}

describe('sampleOldestActive', () => {
  const job = (queue: string, startedAt: number): RunningJob => ({
    queue,
    id: `${queue}-${startedAt}`,
    controller: new AbortController(),
    startedAt,
    claimed: false,
  });

  test('default: the oldest running job of each worked queue, 0 for an idle one', async () => {
    const common = createTestCommon();
    sampleOldestActive({
      metrics: common.metrics,
      queues: ['a', 'b', 'idle'],
      running: [job('a', 50_000), job('a', 10_000), job('b', 99_000)],
      now: 100_000,
    });
    expect(await metricValue(common, AGE, { queue: 'a' })).toBe(90);
    expect(await metricValue(common, AGE, { queue: 'b' })).toBe(1);
    expect(await metricValue(common, AGE, { queue: 'idle' })).toBe(0);
  });

  test('behavior: a clock stepped back gives 0, not a negative age', async () => {
    const common = createTestCommon();
    sampleOldestActive({ metrics: common.metrics, queues: ['a'], running: [job('a', 5_000)], now: 1_000 });
    expect(await metricValue(common, AGE, { queue: 'a' })).toBe(0);
  });
});

describe('cb_job_oldest_active_seconds of running workers', () => {
  let db: Db;
  let close: () => Promise<void>;
  const live: Jobs[] = [];
  /** Added to the real clock of the jobs below: moves their running jobs' age without waiting. */
  let skewMs = 0;
  const now = () => Date.now() + skewMs;

  beforeAll(async () => {
    ({ db, close } = await createTestDb(createTestCommon()));
  });

  afterAll(async () => {
    for (const j of live) await j.stop();
    await close?.();
  });

  /** A worker "process" of its own (Common, metrics) on the shared database. */
  function instance(name: string, options: { workers?: boolean } = {}) {
    const common = createTestCommon({ instance: name });
    const jobs = createJobs({
      common,
      db,
      options: { registerShutdown: false, sampleIntervalMs: 50, heartbeatIntervalMs: 200, now },
    });
    live.push(jobs);
    return { common, jobs, start: () => jobs.start(options) };
  }

  test('default: a job that blocks shows its age until it ends, in the process running it; the other processes report 0', async () => {
    const def = defineJob({ queue: 'o.hang', payload: N, retryLimit: 0 });
    const idleDef = defineJob({ queue: 'o.idle', payload: N });
    const g = gate();
    const ran: string[] = [];
    const workers = ['hang-a', 'hang-b'].map((name) => {
      const w = instance(name);
      w.jobs.register(def, async () => {
        ran.push(name);
        g.began();
        await g.opened;
      });
      w.jobs.register(idleDef, () => {});
      return { name, ...w };
    });
    for (const w of workers) await w.start();
    const api = instance('hang-api', { workers: false });
    await api.start();

    for (const w of workers) {
      await vi.waitFor(async () => expect(await metricValue(w.common, AGE, { queue: 'o.hang' })).toBe(0));
      expect(await metricValue(w.common, AGE, { queue: 'o.idle' })).toBe(0);
    }
    await workers[0]!.jobs.send(def, { n: 1 });
    await g.begun;
    // Two hours pass while the handler hangs.
    skewMs += 2 * 3600 * 1000;

    const [runner, other] = ran[0] === 'hang-a' ? [workers[0]!, workers[1]!] : [workers[1]!, workers[0]!];
    await vi.waitFor(
      async () =>
        expect(await metricValue(runner.common, AGE, { queue: 'o.hang' })).toBeGreaterThanOrEqual(7200),
      { timeout: 5_000, interval: 50 },
    );
    expect(await metricValue(runner.common, AGE, { queue: 'o.hang' })).toBeLessThan(7200 + 60);
    // Another queue of the same process, and the same queue in another process, run nothing.
    expect(await metricValue(runner.common, AGE, { queue: 'o.idle' })).toBe(0);
    expect(await metricValue(other.common, AGE, { queue: 'o.hang' })).toBe(0);
    // A process without workers runs no job and exports no age.
    expect(await metricValue(api.common, AGE, { queue: 'o.hang' })).toBeUndefined();
    // Nothing was recorded in the duration histogram: only the gauge can see this job.
    expect(await metricValue(runner.common, 'cb_job_duration_seconds', { queue: 'o.hang' }, '_count')).toBe(
      undefined,
    );

    g.open();
    await vi.waitFor(async () => expect(await metricValue(runner.common, AGE, { queue: 'o.hang' })).toBe(0), {
      timeout: 5_000,
      interval: 50,
    });
    expect(await metricValue(runner.common, 'cb_job_duration_seconds', { queue: 'o.hang' }, '_count')).toBe(
      1,
    );
    expect(ran).toHaveLength(1);

    // A stopped process works the queue no more: it drops the series instead of keeping a stale one.
    await runner.jobs.stop();
    expect(await metricValue(runner.common, AGE, { queue: 'o.hang' })).toBeUndefined();
  });

  test('behavior: jobs handled as a batch count from when the batch was taken', async () => {
    const def = defineJob({ queue: 'o.batch', payload: N, batchSize: 5, retryLimit: 0 });
    const g = gate();
    const w = instance('batch-a');
    w.jobs.registerBatch(def, async () => {
      g.began();
      await g.opened;
    });
    await w.start();
    await w.jobs.send(def, { n: 1 });
    await w.jobs.send(def, { n: 2 });
    await g.begun;
    skewMs += 1800 * 1000;
    await vi.waitFor(
      async () => expect(await metricValue(w.common, AGE, { queue: 'o.batch' })).toBeGreaterThanOrEqual(1800),
      { timeout: 5_000, interval: 50 },
    );
    g.open();
    await vi.waitFor(async () => expect(await metricValue(w.common, AGE, { queue: 'o.batch' })).toBe(0), {
      timeout: 5_000,
      interval: 50,
    });
  });

  test('behavior: a job that times out leaves the gauge when its timeout is recorded, though its handler ignores the abort', async () => {
    const def = defineJob({ queue: 'o.expire', payload: N, retryLimit: 0, expireInSeconds: 1 });
    const g = gate();
    const w = instance('expire-a');
    w.jobs.register(def, async () => {
      g.began();
      await g.opened;
    });
    await w.start();
    await w.jobs.send(def, { n: 1 });
    await g.begun;
    await vi.waitFor(
      async () => expect(await metricValue(w.common, AGE, { queue: 'o.expire' })).toBeGreaterThan(0),
      { timeout: 5_000, interval: 20 },
    );
    await vi.waitFor(
      async () => {
        expect(await metricValue(w.common, 'cb_jobs_total', { queue: 'o.expire', result: 'failed' })).toBe(1);
        expect(await metricValue(w.common, AGE, { queue: 'o.expire' })).toBe(0);
      },
      { timeout: 5_000, interval: 50 },
    );
    g.open();
  });
});
