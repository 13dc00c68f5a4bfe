/**
 * The record of cross-system comparisons (seed 5.2 多服务数据同步: 定期比对成就系统和治理系统数据 —
 * compare the two systems regularly). Every whole-community run — the scheduled job
 * `ops.cross-system` and `cb reconcile systems` without `--member` — is kept in
 * `cross_system_runs`. Every process samples the latest into `cb_cross_system_differences{kind}`
 * and `cb_cross_system_last_run_timestamp_seconds`, so the result survives the worker that produced
 * it and a manual `--fix` clears the alert at the next sample.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { sampleEvery } from '../../platform/sample-every.ts';
import { CROSS_SYSTEM_KINDS, type CrossSystemReport } from './cross-system.ts';

export type CrossSystemTrigger = 'schedule' | 'cli';

/** Records a finished run (its report) or a failed one (its error); keeps the newest 1,000. */
export async function recordCrossSystemRun(
  db: Queryable,
  run: {
    trigger: CrossSystemTrigger;
    fix: boolean;
    startedAt: Date;
    outcome: { report: CrossSystemReport } | { error: Error };
  },
): Promise<void> {
  const report = 'report' in run.outcome ? run.outcome.report : undefined;
  await db.query(
    `insert into cross_system_runs
       (trigger, fix, started_at, differences, members_affected, minting, mint_requested, error)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      run.trigger,
      run.fix,
      run.startedAt,
      report ? JSON.stringify(report.counts) : null,
      report?.membersAffected ?? null,
      report?.minting ?? null,
      report?.mintRequested ?? null,
      'error' in run.outcome ? run.outcome.error.message.slice(0, 2000) : null,
    ],
  );
  await db.query(
    'delete from cross_system_runs where id <= (select id from cross_system_runs order by id desc offset 1000 limit 1)',
  );
}

/**
 * Sets the gauges from the latest run that compared (a failed run found nothing either way); the
 * timestamp is that run's, so a check that keeps failing shows as overdue. None yet: left absent.
 */
export async function sampleCrossSystemRuns(db: Queryable, metrics: Metrics): Promise<void> {
  const { rows } = await db.query<{ finished_at: Date; differences: Record<string, number> }>(
    `select finished_at, differences from cross_system_runs
      where differences is not null order by id desc limit 1`,
  );
  const latest = rows[0];
  if (!latest) return;
  metrics.crossSystemLastRun.set(new Date(latest.finished_at).getTime() / 1000);
  for (const kind of CROSS_SYSTEM_KINDS)
    metrics.crossSystemDifferences.set({ kind }, latest.differences[kind] ?? 0);
}

/** Samples every `intervalMs` (and once now); returns the stop function. */
export function startCrossSystemSampler(options: {
  db: Queryable;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
}): () => void {
  return sampleEvery(options.intervalMs, () => sampleCrossSystemRuns(options.db, options.metrics), {
    logger: options.logger,
    message: 'cross-system comparison sampling failed',
  });
}
