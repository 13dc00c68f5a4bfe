/**
 * The scheduled comparison of the achievement system with governance (CB_CROSS_SYSTEM_SCHEDULE,
 * hourly at :23 by default; `off` disables it): job `ops.cross-system`, run by one worker (pg-boss
 * fires a schedule once across instances), checks the whole community with the governance weight
 * set in force, records the run (cross_system_runs) and exports it at once; every process's sampler
 * exports the latest run after that. It only reports: asking for missing mints is
 * `cb reconcile systems --fix`, an operator's decision.
 *
 * A run past the job's 15-minute expiry (or a stop's grace period) follows the job's signal: it
 * sends no further statement, writes no fix, and is recorded as failed with the signal's reason
 * (the last comparison stays exported) instead of going on alongside its retry.
 */
import { Type } from 'typebox';
import type { Db } from '../../platform/db/create-db.ts';
import { defineJob, type Jobs } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type CrossSystemReport, type CrossSystemWeights, checkCrossSystem } from './cross-system.ts';
import { type CrossSystemTrigger, recordCrossSystemRun, sampleCrossSystemRuns } from './cross-system-runs.ts';

export function crossSystemJob(cron: string) {
  return defineJob({
    queue: 'ops.cross-system',
    payload: Type.Object({}),
    retryLimit: 1,
    retryDelaySeconds: 300,
    retryBackoff: false,
    expireInSeconds: 900,
    schedule: { cron, tz: 'UTC', payload: {} },
  });
}

export interface CrossSystemRunDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** The governance weight set in force (keys ↔ achievements, weights). */
  weights: () => Promise<CrossSystemWeights>;
}

/**
 * One whole-community comparison, recorded (failed or not) and exported at once. The job and
 * `cb reconcile systems` without `--member` both run through here.
 */
export async function runRecordedCrossSystem(
  deps: CrossSystemRunDeps,
  options: {
    trigger: CrossSystemTrigger;
    fix?: boolean;
    limit?: number;
    graceSeconds?: number;
    /**
     * The job's signal: once aborted, no further statement and no fix write; the run is recorded
     * as failed with its reason, which is thrown. `cb reconcile systems` passes none.
     */
    signal?: AbortSignal | undefined;
  },
): Promise<CrossSystemReport> {
  const startedAt = new Date();
  const fix = options.fix === true;
  const signal = options.signal;
  let report: CrossSystemReport;
  try {
    signal?.throwIfAborted();
    const weights = await deps.weights();
    report = await checkCrossSystem(deps.db, weights, {
      fix,
      limit: options.limit,
      graceSeconds: options.graceSeconds,
      signal,
    });
    // Aborted during the last read: the job already counts as failed and is retried, so this run
    // records the abort, not a result that would land beside its retry's.
    signal?.throwIfAborted();
  } catch (err) {
    await recordCrossSystemRun(deps.db, {
      trigger: options.trigger,
      fix,
      startedAt,
      outcome: { error: asError(err) },
    });
    throw err;
  }
  await recordCrossSystemRun(deps.db, { trigger: options.trigger, fix, startedAt, outcome: { report } });
  await sampleCrossSystemRuns(deps.db, deps.metrics);
  const log = report.total > 0 ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
  log(
    report.total > 0
      ? 'the achievement system and governance disagree'
      : 'the achievement system and governance agree',
    {
      context: { trigger: options.trigger, fix, counts: report.counts },
      metrics: {
        differences: report.total,
        membersAffected: report.membersAffected,
        minting: report.minting,
        mintRequested: report.mintRequested,
        durationMs: Date.now() - startedAt.getTime(),
      },
    },
  );
  return report;
}

/**
 * Registers the job when the schedule is on (before `jobs.start()`), else removes a schedule saved
 * while it was.
 */
export function registerCrossSystemJob(
  jobs: Jobs,
  deps: CrossSystemRunDeps & { config: { crossSystemSchedule: string | undefined } },
): void {
  const cron = deps.config.crossSystemSchedule;
  if (!cron) {
    jobs.unschedule('ops.cross-system');
    return;
  }
  jobs.register(crossSystemJob(cron), async (job) => {
    await runRecordedCrossSystem(deps, { trigger: 'schedule', signal: job.signal });
  });
}

/** An abort's reason may be any value (`abort()` without one gives a DOMException). */
const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
