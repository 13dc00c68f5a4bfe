/**
 * The record of chain reconciliations (seed 5.2: 定期比对链上状态和数据库记录 — compare the chain's
 * state with the database regularly, the chain being the truth).
 *
 * Every run — the scheduled job `chain.reconcile` and `cb reconcile chain` alike — is kept in
 * `chain_reconcile_runs`: when, at which block, how many tokens, the differences by kind and how
 * many a fix left, or the error that stopped it. Every process samples the latest run of its
 * contract into `cb_chain_reconcile_*` (so the result survives the worker that produced it, and a
 * manual `--fix` clears the alert at once), and `/v1/ops/chain` shows it.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { redactString } from '../../platform/redact.ts';
import { sampleEvery } from '../../platform/sample-every.ts';
import type { ReconcileRunShape } from '../ops/chain-status-shape.ts';
import type { ChainDifference, ReconcileChainReport } from './reconcile-chain.ts';

export type ReconcileTrigger = 'schedule' | 'cli';

/** One reconciliation as recorded. */
export type ReconcileRun = ReconcileRunShape;

/** Records a finished run (its report) or a failed one (its error). */
export async function recordReconcileRun(
  db: Queryable,
  run: {
    contract: string;
    trigger: ReconcileTrigger;
    fix: boolean;
    startedAt: Date;
    outcome: { report: ReconcileChainReport } | { error: Error };
  },
): Promise<void> {
  const report = 'report' in run.outcome ? run.outcome.report : undefined;
  const byKind: Partial<Record<ChainDifference['kind'], number>> = {};
  for (const d of report?.differences ?? []) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  await db.query(
    `insert into chain_reconcile_runs
       (contract, trigger, fix, started_at, block, checked_tokens, differences, differences_left, changes, error)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      run.contract.toLowerCase(),
      run.trigger,
      run.fix,
      run.startedAt,
      report?.block.toString() ?? null,
      report?.checkedTokens ?? null,
      report ? JSON.stringify(byKind) : null,
      report ? (run.fix ? report.unfixed.length : report.differences.length) : null,
      report ? report.changes.length : null,
      'error' in run.outcome ? errorText(run.outcome.error) : null,
    ],
  );
}

/**
 * An error as one line for operators: viem's short message and details (its message spans lines
 * and names the library version), URLs redacted (an RPC URL may carry an API key).
 */
function errorText(err: Error): string {
  const e = err as Error & { shortMessage?: string; details?: string };
  const text = e.shortMessage
    ? `${e.shortMessage.replace(/\.$/, '')}${e.details ? `: ${e.details}` : ''}`
    : e.message;
  return redactString(text.replace(/\s*\n\s*/g, ' · ')).slice(0, 2000);
}

/** The newest runs of `contract`, newest first. */
export async function readReconcileRuns(db: Queryable, contract: string, limit = 1): Promise<ReconcileRun[]> {
  const { rows } = await db.query<{
    id: string;
    trigger: ReconcileTrigger;
    fix: boolean;
    started_at: Date;
    finished_at: Date;
    block: string | null;
    checked_tokens: number | null;
    differences: Record<string, number> | null;
    differences_left: number | null;
    changes: number | null;
    error: string | null;
  }>(
    `select id::text as id, trigger, fix, started_at, finished_at, block::text as block, checked_tokens,
            differences, differences_left, changes, error
       from chain_reconcile_runs where contract = $1 order by id desc limit $2`,
    [contract.toLowerCase(), limit],
  );
  return rows.map((r) => ({
    id: r.id,
    trigger: r.trigger,
    fix: r.fix,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: new Date(r.finished_at).toISOString(),
    block: r.block,
    checkedTokens: r.checked_tokens,
    differences: r.differences ?? {},
    differencesLeft: r.differences_left,
    changes: r.changes,
    error: r.error,
  }));
}

/**
 * Sets the `cb_chain_reconcile_*` gauges from the runs of `contract` (none yet: left absent). The
 * differences are those of the latest run that compared: a failed run found nothing either way.
 */
export async function sampleReconcileRuns(db: Queryable, metrics: Metrics, contract: string): Promise<void> {
  const { rows } = await db.query<{ finished_at: Date; failed: boolean; left: number | null }>(
    `select latest.finished_at, latest.error is not null as failed,
            (select differences_left from chain_reconcile_runs
              where contract = $1 and differences_left is not null order by id desc limit 1) as left
       from (select finished_at, error from chain_reconcile_runs where contract = $1 order by id desc limit 1) latest`,
    [contract.toLowerCase()],
  );
  const latest = rows[0];
  if (!latest) return;
  metrics.chainReconcileTimestamp.set(new Date(latest.finished_at).getTime() / 1000);
  metrics.chainReconcileFailed.set(latest.failed ? 1 : 0);
  if (latest.left !== null) metrics.chainReconcileDifferences.set(latest.left);
}

/** Samples every `intervalMs` (and once now); returns the stop function. */
export function startReconcileSampler(options: {
  db: Queryable;
  metrics: Metrics;
  logger: Logger;
  contract: string;
  intervalMs: number;
}): () => void {
  return sampleEvery(
    options.intervalMs,
    () => sampleReconcileRuns(options.db, options.metrics, options.contract),
    {
      logger: options.logger,
      message: 'chain reconciliation sampling failed',
    },
  );
}
