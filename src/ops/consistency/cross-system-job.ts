/**
 * The scheduled comparison of the achievement system with governance (CB_CROSS_SYSTEM_SCHEDULE,
 * hourly at :23 by default; `off` disables it): job `ops.cross-system`, run by one worker (pg-boss
 * fires a schedule once across instances), checks the whole community with the governance weight
 * set in force, records the run (cross_system_runs) and exports it at once; every process's sampler
 * exports the latest run after that. It only reports: asking for missing mints is
 * `cb reconcile systems --fix`, an operator's decision.
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
  options: { trigger: CrossSystemTrigger; fix?: boolean; limit?: number; graceSeconds?: number },
): Promise<CrossSystemReport> {
  const startedAt = new Date();
  const fix = options.fix === true;
  let report: CrossSystemReport;
  try {
    report = await checkCrossSystem(deps.db, await deps.weights(), {
      fix,
      limit: options.limit,
      graceSeconds: options.graceSeconds,
    });
  } catch (err) {
    await recordCrossSystemRun(deps.db, {
      trigger: options.trigger,
      fix,
      startedAt,
      outcome: { error: err as Error },
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
  jobs.register(crossSystemJob(cron), async () => {
    await runRecordedCrossSystem(deps, { trigger: 'schedule' });
  });
}
