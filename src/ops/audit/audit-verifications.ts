/**
 * The record of the audit trail's verifications (seed 7.3 保护日志不被篡改: the hash chain is only
 * evidence if someone keeps checking it).
 *
 * Every verification that finishes — the job `ops.audit` and `cb audit verify` alike — is kept in
 * `audit_verifications`: when, by which, ok or not, the first broken record and what is wrong with
 * it, how many records were checked, and an anchor's result. Every process samples the latest into
 * `cb_audit_chain_ok` and `cb_audit_last_verify_timestamp_seconds` (0: never verified), so the
 * result is exported everywhere and survives restarts and the worker that produced it; the alerts
 * AuditTrailBroken and AuditVerificationOverdue read them.
 *
 * A verification that does not finish is not recorded — neither one the database failed under nor
 * one stopped by its signal (the job's expiry, a stop): it has no result, and recording it as
 * broken would page for a chain nobody found broken. The age of the latest recorded verification
 * shows it (AuditVerificationOverdue).
 *
 * `ok` is the chain's own state. An anchor that does not match (`cb audit verify --anchor`) is
 * recorded beside it and makes the command exit 3, but does not turn `ok` — and the P1 alert — on
 * and off between a manual check and the next daily one.
 */
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { sampleEvery } from '../../platform/sample-every.ts';
import { type AuditVerifyReport, verifyAudit } from './audit-log.ts';

/** Who verified: the job `ops.audit`, or `cb audit verify`. */
export type AuditVerifyTrigger = 'job' | 'cli';

/** One verification as recorded. */
export interface AuditVerification {
  id: string;
  trigger: AuditVerifyTrigger;
  startedAt: string;
  finishedAt: string;
  /** The chain's links and hashes held from the retention cut to the head. */
  ok: boolean;
  checked: number;
  prunedThrough: string;
  headSeq: string;
  /** The first broken record (null when ok). */
  brokenSeq: string | null;
  problem: string | null;
  /** The anchor checked, and whether its record has its hash (null: not checkable). */
  anchor: { seq: string; matches: boolean | null } | null;
}

/** Records a finished verification (its report). */
export async function recordAuditVerification(
  db: Queryable,
  run: { trigger: AuditVerifyTrigger; startedAt: Date; report: AuditVerifyReport },
): Promise<void> {
  const { report } = run;
  const chainOk = report.broken === undefined;
  await db.query(
    `insert into audit_verifications
       (trigger, started_at, ok, checked, pruned_through, head_seq, broken_seq, problem, anchor_seq, anchor_matches)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      run.trigger,
      run.startedAt,
      chainOk,
      report.checked,
      report.prunedThrough,
      report.head.seq,
      report.broken?.seq ?? null,
      report.broken?.problem ?? null,
      report.anchor?.seq ?? null,
      report.anchor ? anchorResult(report) : null,
    ],
  );
}

/**
 * Whether the anchor's record has its hash; null when retention deleted the record. (Verification
 * goes on past a break, so an anchor after one is checked too.)
 */
function anchorResult(report: AuditVerifyReport): boolean | null {
  const anchor = report.anchor!;
  return anchor.pruned ? null : anchor.matches;
}

/**
 * Verifies the chain (verifyAudit) and records the result. The report is returned even when its
 * record cannot be written (`notRecorded`): the caller decides whether that fails it. Once
 * `signal` is aborted no further page is read and nothing is recorded — not even a finished
 * verification, whose job already counts as failed and is retried: it throws the signal's reason.
 */
export async function verifyAndRecordAudit(
  db: Db,
  options: {
    trigger: AuditVerifyTrigger;
    anchor?: { seq: string; hash: string } | undefined;
    onProgress?: (checked: number) => void;
    signal?: AbortSignal | undefined;
  },
): Promise<{ report: AuditVerifyReport; notRecorded: Error | undefined }> {
  const { trigger, ...verifyOptions } = options;
  const startedAt = new Date();
  const report = await verifyAudit(db, verifyOptions);
  options.signal?.throwIfAborted();
  try {
    await recordAuditVerification(db, { trigger, startedAt, report });
    return { report, notRecorded: undefined };
  } catch (err) {
    return { report, notRecorded: err as Error };
  }
}

/** The newest verifications, newest first. */
export async function readAuditVerifications(db: Queryable, limit = 1): Promise<AuditVerification[]> {
  const { rows } = await db.query<{
    id: string;
    trigger: AuditVerifyTrigger;
    started_at: Date;
    finished_at: Date;
    ok: boolean;
    checked: string;
    pruned_through: string;
    head_seq: string;
    broken_seq: string | null;
    problem: string | null;
    anchor_seq: string | null;
    anchor_matches: boolean | null;
  }>(
    `select id::text as id, trigger, started_at, finished_at, ok, checked::text as checked,
            pruned_through::text as pruned_through, head_seq::text as head_seq,
            broken_seq::text as broken_seq, problem, anchor_seq::text as anchor_seq, anchor_matches
       from audit_verifications order by id desc limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    trigger: r.trigger,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: new Date(r.finished_at).toISOString(),
    ok: r.ok,
    checked: Number(r.checked),
    prunedThrough: r.pruned_through,
    headSeq: r.head_seq,
    brokenSeq: r.broken_seq,
    problem: r.problem,
    anchor: r.anchor_seq === null ? null : { seq: r.anchor_seq, matches: r.anchor_matches },
  }));
}

/**
 * Sets `cb_audit_chain_ok` and `cb_audit_last_verify_timestamp_seconds` from the latest recorded
 * verification. None: the timestamp is 0 (AuditVerificationOverdue fires on a trail nobody
 * verifies) and `cb_audit_chain_ok` has no sample (there is no result to report).
 */
export async function sampleAuditVerifications(db: Queryable, metrics: Metrics): Promise<void> {
  const { rows } = await db.query<{ finished_at: Date; ok: boolean }>(
    'select finished_at, ok from audit_verifications order by id desc limit 1',
  );
  const latest = rows[0];
  if (!latest) {
    metrics.auditLastVerify.set(0);
    // None any more (a restore from before the first one): no result, rather than a stale one.
    metrics.auditChainOk.remove();
    return;
  }
  metrics.auditLastVerify.set(new Date(latest.finished_at).getTime() / 1000);
  metrics.auditChainOk.set(latest.ok ? 1 : 0);
}

/** Whether any verification was ever recorded. */
export async function auditEverVerified(db: Queryable): Promise<boolean> {
  const { rows } = await db.query('select 1 from audit_verifications limit 1');
  return rows.length > 0;
}

/** Samples every `intervalMs` (and once now); returns the stop function. */
export function startAuditVerificationSampler(options: {
  db: Queryable;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
}): () => void {
  return sampleEvery(options.intervalMs, () => sampleAuditVerifications(options.db, options.metrics), {
    logger: options.logger,
    message: 'audit verification sampling failed',
  });
}
