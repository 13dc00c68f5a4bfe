import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Db } from '../db/create-db.ts';
import { createJobs, type Jobs, type JobsOptions } from './create-jobs.ts';
import { defineJob } from './define-job.ts';
import type { Job } from './job.ts';
import { createTestCommon, createTestDb, metricValue, type TestCommon } from './test-support.ts';

let db: Db;
let close: () => Promise<void>;
const started: Jobs[] = [];

beforeAll(async () => {
  ({ db, close } = await createTestDb(createTestCommon()));
});

afterAll(async () => {
  for (const j of started) await j.stop();
  await close?.();
});

// pg-boss looks for due schedules every second here (default 30 s) and turns them into jobs
// every second (default 5 s), so an every-minute schedule runs within a few seconds of start.
const fast: JobsOptions = {
  cronMonitorIntervalSeconds: 1,
  cronWorkerIntervalSeconds: 1,
  sampleIntervalMs: 100,
  registerShutdown: false,
};

async function startInstance(common: TestCommon, register: (jobs: Jobs) => void, options: JobsOptions = {}) {
  const jobs = createJobs({ common, db, options: { ...fast, ...options } });
  register(jobs);
  started.push(jobs);
  await jobs.start();
  return jobs;
}

describe('schedules', () => {
  test('default: a cron schedule runs its job and records the run', async () => {
    const common = createTestCommon({ instance: 'cron-a' });
    const tick = defineJob({
      queue: 'c.tick',
      payload: Type.Object({ source: Type.String() }),
      schedule: { cron: '* * * * *', payload: { source: 'cron' } },
    });
    const runs: Job<{ source: string }>[] = [];
    const t0 = Date.now();
    await startInstance(common, (jobs) =>
      jobs.register(tick, (job) => {
        runs.push(job);
      }),
    );
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 20_000, interval: 100 });
    expect(runs[0]).toMatchObject({ schedule: 'c.tick', payload: { source: 'cron' } });

    await vi.waitFor(async () => {
      const { rows } = await db.query<{ last_started_at: Date | null; last_success_at: Date | null }>(
        'select last_started_at, last_success_at from cb_schedules where name = $1',
        ['c.tick'],
      );
      expect(rows[0]!.last_success_at).toBeInstanceOf(Date);
      expect(rows[0]!.last_started_at!.getTime()).toBeGreaterThanOrEqual(t0 - 1000);
    });
    const lastSuccess = await metricValue(common, 'cb_scheduled_job_last_success_timestamp_seconds', {
      schedule: 'c.tick',
    });
    expect(lastSuccess).toBeGreaterThanOrEqual(t0 / 1000 - 1);
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    // The row is settled a moment before the count: pg-boss commits, then the worker counts.
    await vi.waitFor(async () =>
      expect(await metricValue(common, 'cb_jobs_total', { queue: 'c.tick', result: 'completed' })).toBe(1),
    );
    // pg-boss fires an every-minute schedule once per minute, however often it looks (here every second).
    await new Promise((r) => setTimeout(r, 2500));
    const minutesTouched = Math.floor(Date.now() / 60_000) - Math.floor(t0 / 60_000) + 1;
    expect(runs.length).toBeLessThanOrEqual(minutesTouched);
  });

  test('behavior: a missed run is counted exactly once across instances', async () => {
    // A daily schedule and a clock two days ahead: the last expected run never started.
    const daily = defineJob({
      queue: 'c.daily',
      payload: Type.Object({}),
      schedule: { cron: '0 3 * * *', tz: 'Europe/Berlin' },
    });
    let clock = Date.now() + 2 * 86_400_000;
    const options: JobsOptions = { now: () => clock, missedRunCheckIntervalMs: 50, missedRunGraceMs: 60_000 };
    const a = createTestCommon({ instance: 'sched-a' });
    const b = createTestCommon({ instance: 'sched-b' });
    await startInstance(a, (jobs) => jobs.register(daily, () => {}), options);
    await startInstance(b, (jobs) => jobs.register(daily, () => {}), options);

    const total = async () =>
      ((await metricValue(a, 'cb_scheduled_job_missed_total', { schedule: 'c.daily' })) ?? 0) +
      ((await metricValue(b, 'cb_scheduled_job_missed_total', { schedule: 'c.daily' })) ?? 0);
    await vi.waitFor(async () => expect(await total()).toBe(1), { timeout: 5000, interval: 50 });
    // Both instances keep checking (every 50 ms); the same expected run is not counted again.
    await new Promise((r) => setTimeout(r, 500));
    expect(await total()).toBe(1);

    clock += 86_400_000;
    await vi.waitFor(async () => expect(await total()).toBe(2), { timeout: 5000, interval: 50 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await total()).toBe(2);
  });
});
