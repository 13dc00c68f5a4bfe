/**
 * The scheduled chain reconciliation (CB_CHAIN_RECONCILE_SCHEDULE, daily by default): job
 * `chain.reconcile`, run by one worker (pg-boss fires a schedule once across instances), compares
 * the database with the chain as `cb reconcile chain` does — and repairs it too with
 * CB_CHAIN_RECONCILE_FIX. The run is recorded (reconcile-runs.ts) whatever its outcome; what it
 * left shows as cb_chain_reconcile_differences, and ChainStateDiverged fires on any. A run that
 * fails (the chain or database unreachable) is recorded with its error and retried once, ten
 * minutes later. A run past the job's 6-hour expiry follows the job's signal: it sends no further
 * reads, starts no repair, and is recorded as failed (ChainReconcileFailed) instead of going on
 * alongside its retry.
 */
import { Type } from 'typebox';
import { defineJob, type Jobs } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ChainSyncContext } from '../listener/index.ts';
import { type ReconcileChainOptions, type ReconcileChainReport, reconcileChain } from './reconcile-chain.ts';
import { recordReconcileRun } from './reconcile-runs.ts';

export function chainReconcileJob(cron: string) {
  return defineJob({
    queue: 'chain.reconcile',
    payload: Type.Object({}),
    retryLimit: 1,
    retryDelaySeconds: 600,
    retryBackoff: false,
    expireInSeconds: 6 * 3600,
    schedule: { cron, tz: 'UTC', payload: {} },
  });
}

export interface ChainReconcileJobDeps {
  /** The listener's context: same database, chain and contract. */
  ctx: ChainSyncContext;
  config: { chainReconcileSchedule: string | undefined; chainReconcileFix: boolean };
  logger: Logger;
}

/**
 * Registers the job when the schedule is on (before `jobs.start()`), else removes a schedule saved
 * while it was; returns its definition.
 */
export function registerChainReconcileJob(
  jobs: Jobs,
  deps: ChainReconcileJobDeps,
): ReturnType<typeof chainReconcileJob> | undefined {
  const { chainReconcileSchedule: cron, chainReconcileFix: fix } = deps.config;
  if (!cron) {
    // Turned off: a schedule saved while it was on must stop firing.
    jobs.unschedule('chain.reconcile');
    return undefined;
  }
  const def = chainReconcileJob(cron);
  jobs.register(def, async (job) => {
    await runRecordedReconcile(deps.ctx, {
      trigger: 'schedule',
      fix,
      logger: deps.logger,
      signal: job.signal,
    });
  });
  return def;
}

/**
 * Runs a reconciliation and records it — its report, or the error that stopped it (rethrown).
 * Differences left are logged as a warning, with their count by kind.
 */
export async function runRecordedReconcile(
  ctx: ChainSyncContext,
  options: {
    trigger: 'schedule' | 'cli';
    fix: boolean;
    logger: Logger;
    onProgress?: ReconcileChainOptions['onProgress'];
    signal?: AbortSignal | undefined;
  },
): Promise<ReconcileChainReport> {
  const startedAt = new Date();
  const base = { contract: ctx.badgeAddress, trigger: options.trigger, fix: options.fix, startedAt };
  let report: ReconcileChainReport;
  try {
    report = await reconcileChain(ctx, {
      fix: options.fix,
      onProgress: options.onProgress,
      signal: options.signal,
    });
  } catch (err) {
    await recordReconcileRun(ctx.db, { ...base, outcome: { error: err as Error } }).catch((recordErr) =>
      options.logger.warn('chain reconciliation not recorded', { err: recordErr }),
    );
    throw err;
  }
  // The comparison (and a fix) is done: a record that cannot be written is logged, not thrown, so
  // the report of what changed is not lost and a scheduled fix does not run again.
  await recordReconcileRun(ctx.db, { ...base, outcome: { report } }).catch((err: unknown) =>
    options.logger.error('chain reconciliation not recorded', { err }),
  );
  const left = options.fix ? report.unfixed : report.differences;
  const byKind: Record<string, number> = {};
  for (const d of left) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  const fields = {
    context: { block: report.block.toString(), trigger: options.trigger, fix: options.fix, byKind },
    metrics: {
      checkedTokens: report.checkedTokens,
      differences: left.length,
      changes: report.changes.length,
    },
  };
  if (left.length > 0) options.logger.warn('chain reconciliation found differences', fields);
  else options.logger.info('chain reconciliation done', fields);
  return report;
}
