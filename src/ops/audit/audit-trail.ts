/**
 * The audit trail as the platform uses it: the API's sink (src/api/plugins/audit.ts), the daily job
 * `ops.audit` (retention, then a verification of the whole chain, recorded: audit-verifications.ts),
 * and `GET /v1/ops/audit`. The storage and the hash chain are audit-log.ts.
 */

import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../../platform/db/create-db.ts';
import { defineJob, type Jobs } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type AuditEntry, type AuditRecord, appendAudit, listAudit, pruneAudit } from './audit-log.ts';
import { auditEverVerified, sampleAuditVerifications, verifyAndRecordAudit } from './audit-verifications.ts';

export interface AuditTrail {
  /** Appends one operation, counts it, and logs its seq and hash (the anchors shipped with the logs). */
  record(entry: AuditEntry): Promise<AuditRecord>;
}

export function createAuditTrail(deps: { db: Db; metrics: Metrics; logger: Logger }): AuditTrail {
  return {
    async record(entry) {
      const row = await appendAudit(deps.db, entry);
      deps.metrics.auditRecords.inc({ outcome: row.outcome });
      deps.logger.info('audit recorded', {
        context: {
          seq: row.seq,
          hash: row.hash,
          actor: row.actor,
          action: row.action,
          outcome: row.outcome,
          ...(row.target ? { target: row.target } : {}),
        },
      });
      return row;
    },
  };
}

/** Daily at 03:23 UTC: retention first, then the whole chain is verified. */
export const auditJob = defineJob({
  queue: 'ops.audit',
  payload: Type.Object({}),
  retryLimit: 2,
  retryDelaySeconds: 600,
  expireInSeconds: 3 * 3600,
  schedule: { cron: '23 3 * * *', tz: 'UTC', payload: {} },
});

export interface AuditJobDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** Days an audit record is kept; 0 keeps every one. */
  retentionDays: number;
  now?: () => Date;
}

/**
 * One run of the job: prune past the retention, verify, record the verification (every process's
 * sampler exports it; this one at once). A verification that cannot be recorded fails the run, to
 * be retried: unrecorded, it would reach no gauge.
 *
 * A run past the job's 3-hour expiry (or a stop's grace period) follows `signal`: no pruning once
 * aborted, no further page of the chain read, and no verification recorded (an unfinished one has
 * no result; the latest recorded stays exported, and its age shows the gap) — the run logs how far
 * it got and throws the signal's reason, instead of going on alongside its retry.
 */
export async function runAuditJob(
  deps: AuditJobDeps,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<{ pruned: number; ok: boolean }> {
  const now = (deps.now ?? (() => new Date()))();
  const signal = options.signal;
  signal?.throwIfAborted();
  const pruned =
    deps.retentionDays > 0
      ? await pruneAudit(deps.db, new Date(now.getTime() - deps.retentionDays * 86_400_000))
      : 0;
  let checked = 0;
  let verified: Awaited<ReturnType<typeof verifyAndRecordAudit>>;
  try {
    verified = await verifyAndRecordAudit(deps.db, {
      trigger: 'job',
      signal,
      onProgress: (n) => {
        checked = n;
      },
    });
  } catch (err) {
    if (signal?.aborted)
      deps.logger.warn('audit trail verification stopped, not recorded', {
        context: { reason: reasonOf(signal.reason) },
        metrics: { checked, pruned },
      });
    throw err;
  }
  const { report, notRecorded } = verified;
  const fields = {
    context: { head: report.head.seq, prunedThrough: report.prunedThrough, ...(report.broken ?? {}) },
    metrics: { checked: report.checked, pruned },
  };
  if (report.ok) deps.logger.info('audit trail verified', fields);
  else deps.logger.error('audit trail broken', fields);
  if (notRecorded) throw notRecorded;
  await sampleAuditVerifications(deps.db, deps.metrics);
  return { pruned, ok: report.ok };
}

export function registerAuditJob(jobs: Jobs, deps: AuditJobDeps): void {
  jobs.register(auditJob, async (job) => {
    await runAuditJob(deps, { signal: job.signal });
  });
}

const reasonOf = (reason: unknown): string => (reason instanceof Error ? reason.message : String(reason));

/**
 * At a worker's start: a trail never verified (a fresh install, or one just upgraded to recorded
 * verifications) gets the job now instead of at the next 03:23, so `cb_audit_chain_ok` has a value
 * from the start and AuditVerificationOverdue only fires when verifications really stop. Once an
 * hour at most across workers (a crash loop does not pile jobs up). Returns whether it sent one.
 */
export async function sendAuditJobIfNeverVerified(deps: { db: Db; jobs: Jobs }): Promise<boolean> {
  if (await auditEverVerified(deps.db)) return false;
  const id = await deps.jobs.send(auditJob, {}, { singletonKey: 'never-verified', singletonSeconds: 3600 });
  return id !== null;
}

const Outcome = Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('refused')]);

/** `GET /v1/ops/audit` (`ops:read`): the trail, newest first, filtered, a page at a time. */
export function auditRoutes(deps: { db: Db }): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/v1/ops/audit',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            'The audit trail of administrative operations, newest first: who, what, on what, the outcome, and the hash chain links.',
          querystring: Type.Object({
            actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            outcome: Type.Optional(Outcome),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
            before: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          }),
        },
      },
      async (request, reply) => {
        const q = request.query as {
          actor?: string;
          action?: string;
          outcome?: 'ok' | 'failed' | 'refused';
          since?: string;
          until?: string;
          before?: string;
          limit?: number;
        };
        reply.header('cache-control', 'no-store');
        const page = await listAudit(deps.db, {
          actor: q.actor,
          action: q.action,
          outcome: q.outcome,
          since: q.since ? new Date(q.since) : undefined,
          until: q.until ? new Date(q.until) : undefined,
          before: q.before,
          limit: q.limit,
        });
        return { items: page.items, nextBefore: page.nextBefore ?? null };
      },
    );
  };
}
