/**
 * The daily capacity sample (CB_CAPACITY_SCHEDULE, 05:47 UTC by default; `off` disables it): job
 * `ops.capacity`, run by one worker (pg-boss fires a schedule once across instances), measures the
 * database, its tables and disk, the watched mounts and the worker's CPU, memory and network
 * traffic of the last 24 hours, writes the day's row of `capacity_samples` (a rerun the same day replaces it) and deletes
 * rows past 400 days. A worker starting on a day without a sample sends the job at once, so a new
 * install has its first point on day one (its CPU and network figures follow with the scheduled run).
 *
 * A run past the job's 15-minute expiry (or a stop's grace period) follows the job's signal: it
 * sends no further statement, writes no sample and prunes nothing, and throws the signal's reason
 * (the job is retried; a rerun that day writes the day's row). A run that fails is not recorded:
 * `capacity_samples` holds measurements only, and a day without one is a gap in the history.
 */
import { Type } from 'typebox';
import type { Db } from '../../platform/db/create-db.ts';
import { defineJob, type Jobs } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { sampleCapacity } from './capacity-sampler.ts';
import {
  type MeasureCapacityOptions,
  measureCapacity,
  pruneCapacitySamples,
  recordCapacitySample,
  sampledToday,
} from './capacity-samples.ts';

export function capacityJob(cron: string) {
  return defineJob({
    queue: 'ops.capacity',
    payload: Type.Object({}),
    retryLimit: 2,
    retryDelaySeconds: 600,
    retryBackoff: false,
    expireInSeconds: 900,
    schedule: { cron, tz: 'UTC', payload: {} },
  });
}

export interface CapacityJobDeps extends Omit<MeasureCapacityOptions, 'dataDir' | 'signal'> {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  config: { capacitySchedule: string | undefined; dataDir: string; instance: string };
}

/**
 * One run: measure, write today's row, prune, and export the forecast at once. Returns the day
 * written. Once `signal` is aborted, nothing further is sent or written: it throws the reason.
 */
export async function runCapacityJob(
  deps: CapacityJobDeps,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<{ day: string; pruned: number }> {
  const { signal } = options;
  const m = await measureCapacity(deps.db, { ...deps, dataDir: deps.config.dataDir, signal });
  // Expired while measuring: the job already counts as failed and is retried; its retry writes the row.
  signal?.throwIfAborted();
  const day = await recordCapacitySample(deps.db, m, { instance: deps.config.instance });
  signal?.throwIfAborted();
  const pruned = await pruneCapacitySamples(deps.db);
  deps.logger.info('capacity sampled', {
    context: {
      day,
      dbDisk: m.dbDisk?.path ?? m.dbDiskNote,
      mounts: m.disks.map((d) => d.mount),
    },
    metrics: {
      databaseBytes: m.databaseBytes,
      tables: Object.keys(m.tables).length,
      ...(m.dbDisk ? { dbDiskAvailBytes: m.dbDisk.availBytes } : {}),
      ...(m.hostCpuPeak !== null ? { hostCpuPeak: m.hostCpuPeak } : {}),
      ...(m.network
        ? {
            networkPeakBytesPerSecond: m.network.rxPeakBytesPerSecond + m.network.txPeakBytesPerSecond,
            ...(m.network.linkBytesPerSecond !== null
              ? { networkLinkBytesPerSecond: m.network.linkBytesPerSecond }
              : {}),
          }
        : {}),
      usageObservedSeconds: m.usageObservedSeconds,
      pruned,
    },
  });
  await sampleCapacity(deps.db, deps.metrics);
  return { day, pruned };
}

/**
 * Registers the job when the schedule is on (before `jobs.start()`), else removes a schedule saved
 * while it was; returns its definition.
 */
export function registerCapacityJob(
  jobs: Jobs,
  deps: CapacityJobDeps,
): ReturnType<typeof capacityJob> | undefined {
  const cron = deps.config.capacitySchedule;
  if (!cron) {
    jobs.unschedule('ops.capacity');
    return undefined;
  }
  const def = capacityJob(cron);
  jobs.register(def, async (job) => {
    await runCapacityJob(deps, { signal: job.signal });
  });
  return def;
}

/**
 * At a worker's start: a day without a sample (a new install, a worker down at the scheduled time)
 * gets the job now. Once an hour at most across workers (a crash loop does not pile jobs up; once
 * the row is written, starts that day send nothing). Returns whether it sent one.
 */
export async function sendCapacityJobIfNoSampleToday(deps: {
  db: Db;
  jobs: Jobs;
  def: ReturnType<typeof capacityJob> | undefined;
}): Promise<boolean> {
  if (!deps.def || (await sampledToday(deps.db))) return false;
  const id = await deps.jobs.send(
    deps.def,
    {},
    { singletonKey: `day-${new Date().toISOString().slice(0, 10)}`, singletonSeconds: 3600 },
  );
  return id !== null;
}
