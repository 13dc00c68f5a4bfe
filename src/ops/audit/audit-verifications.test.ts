/**
 * Seed 7.3 保护日志不被篡改: every verification of the audit trail's hash chain is recorded, and every
 * process exports the latest (cb_audit_chain_ok, cb_audit_last_verify_timestamp_seconds) — not
 * only the worker that ran the daily job, and not only until it restarts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Db } from '../../platform/db/create-db.ts';
import { watchedDb } from '../../platform/db/test-support.ts';
import { createJobs, type Jobs, JobsStoppingError, JobTimeoutError } from '../../platform/jobs/index.ts';
import { createTestCommon, createTestDb, handlerCatcher } from '../../platform/jobs/test-support.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics, type Metrics } from '../../platform/metrics.ts';
import { type AuditRecord, appendAudit, rowHash } from './audit-log.ts';
import { registerAuditJob, runAuditJob, sendAuditJobIfNeverVerified } from './audit-trail.ts';
import {
  readAuditVerifications,
  sampleAuditVerifications,
  startAuditVerificationSampler,
  verifyAndRecordAudit,
} from './audit-verifications.ts';

const GENESIS = 'b05d14df096aaf567bcdf8d8298f98826e2d976c75dcbcc386d2dda33e873891';
const quiet = createSilentLogger();
const common = createTestCommon({}, true);
let db: Db;
let closeDb: () => Promise<void>;

/** Empties the trail and its verifications (the append-only triggers lifted for the cleanup only). */
async function reset(): Promise<void> {
  await db.query('alter table audit_log disable trigger user');
  await db.query('alter table audit_head disable trigger user');
  await db.query('delete from audit_log');
  await db.query(
    `update audit_head set seq = 0, hash = '${GENESIS}', pruned_through = 0, pruned_hash = '${GENESIS}', pruned_at = null`,
  );
  await db.query('alter table audit_log enable trigger user');
  await db.query('alter table audit_head enable trigger user');
  await db.query('delete from audit_verifications');
}

/** A change made behind the trail's back, as a database owner could. */
async function tamper(sql: string): Promise<void> {
  await db.query('alter table audit_log disable trigger user');
  try {
    await db.query(sql);
  } finally {
    await db.query('alter table audit_log enable trigger user');
  }
}

async function append(n: number): Promise<{ seq: string; hash: string }[]> {
  const rows = [];
  for (let i = 1; i <= n; i++)
    rows.push(
      await appendAudit(db, {
        actorKind: 'api_key',
        actor: 'ops',
        action: 'PUT /v1/achievements/:id',
        target: `id=${i}`,
        outcome: 'ok',
        status: 200,
      }),
    );
  return rows;
}

/**
 * `n` intact records after the head in one statement (what `n` appends would write; thousands of
 * separate appends would take seconds), `at` days ago.
 */
async function appendMany(n: number, daysAgo = 0): Promise<void> {
  const head = (
    await db.query<{ seq: string; hash: string }>('select seq::text as seq, hash from audit_head')
  ).rows[0]!;
  const at = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  const rows: AuditRecord[] = [];
  let prevHash = head.hash;
  for (let i = 1; i <= n; i++) {
    const content: Omit<AuditRecord, 'hash'> = {
      seq: (BigInt(head.seq) + BigInt(i)).toString(),
      at,
      actorKind: 'api_key',
      actor: 'ops',
      action: 'PUT /v1/achievements/:id',
      target: `id=${i}`,
      outcome: 'ok',
      status: 200,
      requestId: null,
      traceId: null,
      details: {},
      prevHash,
    };
    prevHash = rowHash(content);
    rows.push({ ...content, hash: prevHash });
  }
  await db.query(
    `insert into audit_log (seq, at, actor_kind, actor, action, target, outcome, status, details, prev_hash, hash)
     select seq, $2::timestamptz, 'api_key', 'ops', 'PUT /v1/achievements/:id', target, 'ok', 200, '{}'::jsonb, prev_hash, hash
       from unnest($1::bigint[], $3::text[], $4::text[], $5::text[]) as r(seq, target, prev_hash, hash)`,
    [
      rows.map((r) => r.seq),
      at,
      rows.map((r) => r.target),
      rows.map((r) => r.prevHash),
      rows.map((r) => r.hash),
    ],
  );
  await db.query('update audit_head set seq = $1, hash = $2 where id', [rows.at(-1)!.seq, prevHash]);
}

/** The sample of an unlabelled gauge, or undefined when it has none. */
async function gauge(metrics: Metrics, name: string): Promise<number | undefined> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  ({ db, close: closeDb } = await createTestDb(common));
});
afterAll(async () => {
  await closeDb?.();
});
beforeEach(reset);

describe('recorded audit verifications', () => {
  test('default: the job records its verification, and another process exports it: intact, and when', async () => {
    // Another process, before any verification: "never" (0), and no chain result to report.
    const other = createMetrics();
    await sampleAuditVerifications(db, other);
    expect(await gauge(other, 'cb_audit_last_verify_timestamp_seconds')).toBe(0);
    expect(await gauge(other, 'cb_audit_chain_ok')).toBeUndefined();

    await append(3);
    const before = Date.now();
    const worker = createMetrics();
    expect(await runAuditJob({ db, metrics: worker, logger: quiet, retentionDays: 0 })).toEqual({
      pruned: 0,
      ok: true,
    });
    const [run] = await readAuditVerifications(db);
    expect(run).toMatchObject({
      trigger: 'job',
      ok: true,
      checked: 3,
      prunedThrough: '0',
      headSeq: '3',
      brokenSeq: null,
      problem: null,
      anchor: null,
    });
    expect(Date.parse(run!.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run!.startedAt));
    // The worker exports it at once; any other process at its next sample.
    expect(await gauge(worker, 'cb_audit_chain_ok')).toBe(1);
    await sampleAuditVerifications(db, other);
    expect(await gauge(other, 'cb_audit_chain_ok')).toBe(1);
    const at = (await gauge(other, 'cb_audit_last_verify_timestamp_seconds'))!;
    expect(at * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(at * 1000).toBeLessThanOrEqual(Date.now());
    expect(at).toBe(Date.parse(run!.finishedAt) / 1000);

    // The record gone (a restore from before the first verification): no stale result stays.
    await db.query('delete from audit_verifications');
    await sampleAuditVerifications(db, other);
    expect(await gauge(other, 'cb_audit_chain_ok')).toBeUndefined();
    expect(await gauge(other, 'cb_audit_last_verify_timestamp_seconds')).toBe(0);
  });

  test('behavior: a broken chain is recorded with its first broken record and the problem; every process turns cb_audit_chain_ok to 0', async () => {
    await append(4);
    await tamper("update audit_log set target = 'id=999' where seq = 2");
    expect(await runAuditJob({ db, metrics: createMetrics(), logger: quiet, retentionDays: 0 })).toEqual({
      pruned: 0,
      ok: false,
    });
    expect((await readAuditVerifications(db))[0]).toMatchObject({
      trigger: 'job',
      ok: false,
      checked: 4, // verification goes on past a break
      headSeq: '4',
      brokenSeq: '2',
      problem: 'its content does not match its hash (changed after it was written)',
    });
    // A process started after the check (a restart, a new API instance) has the result at once.
    const restarted = createMetrics();
    await sampleAuditVerifications(db, restarted);
    expect(await gauge(restarted, 'cb_audit_chain_ok')).toBe(0);
  });

  test('behavior: an anchor is recorded beside the chain’s result and does not turn it; one past a break is checked too', async () => {
    const rows = await append(3);
    const wrong = await verifyAndRecordAudit(db, {
      trigger: 'cli',
      anchor: { seq: rows[1]!.seq, hash: 'f'.repeat(64) },
    });
    expect(wrong).toMatchObject({ report: { ok: false, broken: undefined }, notRecorded: undefined });
    expect((await readAuditVerifications(db))[0]).toMatchObject({
      trigger: 'cli',
      ok: true,
      brokenSeq: null,
      anchor: { seq: '2', matches: false },
    });
    await verifyAndRecordAudit(db, { trigger: 'cli', anchor: { seq: '2', hash: rows[1]!.hash } });
    expect((await readAuditVerifications(db))[0]!.anchor).toEqual({ seq: '2', matches: true });

    await tamper('delete from audit_log where seq = 1');
    await verifyAndRecordAudit(db, { trigger: 'cli', anchor: { seq: '2', hash: rows[1]!.hash } });
    expect((await readAuditVerifications(db))[0]).toMatchObject({
      ok: false,
      brokenSeq: '1',
      problem: 'row 1 is missing (next is 2)',
      anchor: { seq: '2', matches: true },
    });
    expect((await readAuditVerifications(db, 10)).map((r) => r.ok)).toEqual([false, true, true]);
  });

  test('behavior: the sampler of a process picks up a verification another one recorded (cb audit verify), with no restart', async () => {
    await append(2);
    const api = createMetrics();
    const stop = startAuditVerificationSampler({ db, metrics: api, logger: quiet, intervalMs: 50 });
    try {
      const waitFor = async (name: string, value: number) => {
        for (let i = 0; i < 100 && (await gauge(api, name)) !== value; i++)
          await new Promise((r) => setTimeout(r, 20));
        return gauge(api, name);
      };
      expect(await waitFor('cb_audit_last_verify_timestamp_seconds', 0)).toBe(0);
      await verifyAndRecordAudit(db, { trigger: 'cli' });
      expect(await waitFor('cb_audit_chain_ok', 1)).toBe(1);
      await tamper("update audit_log set actor = 'someone' where seq = 1");
      await verifyAndRecordAudit(db, { trigger: 'cli' });
      expect(await waitFor('cb_audit_chain_ok', 0)).toBe(0);
    } finally {
      stop();
    }
  });

  test('error: a verification that cannot be recorded fails the job (to be retried) after logging its result; the command keeps its report', async () => {
    await append(2);
    await db.query(`create function audit_verifications_refuse() returns trigger language plpgsql as $$
      begin raise exception 'read-only for the test'; end $$`);
    await db.query(`create trigger audit_verifications_refuse before insert on audit_verifications
      for each row execute function audit_verifications_refuse()`);
    try {
      const metrics = createMetrics();
      await expect(runAuditJob({ db, metrics, logger: common.logger, retentionDays: 0 })).rejects.toThrow(
        /read-only for the test/,
      );
      expect(
        common
          .lines()
          .filter((l) => l.message === 'audit trail verified')
          .at(-1),
      ).toMatchObject({
        context: { head: '2' },
        metrics: { checked: 2 },
      });
      expect(await gauge(metrics, 'cb_audit_chain_ok')).toBeUndefined();
      const manual = await verifyAndRecordAudit(db, { trigger: 'cli' });
      expect(manual.report).toMatchObject({ ok: true, checked: 2 });
      expect(manual.notRecorded?.message).toMatch(/read-only for the test/);
    } finally {
      await db.query('drop trigger audit_verifications_refuse on audit_verifications');
      await db.query('drop function audit_verifications_refuse()');
    }
    expect(await readAuditVerifications(db)).toEqual([]);
  });
});

describe('a run of the job past its expiry', () => {
  const reason = new JobTimeoutError('ops.audit', 10_800);
  const pagesRead = (sent: string[]) =>
    sent.filter((t) => /from audit_log where audit_log\.seq >/.test(t)).length;

  test('behavior: it stops at its signal: no further page of the chain read, nothing recorded, the last result stays exported', async () => {
    await appendMany(4500); // three pages of 2,000
    const metrics = createMetrics();
    expect(await runAuditJob({ db, metrics, logger: quiet, retentionDays: 0 })).toEqual({
      pruned: 0,
      ok: true,
    });
    const [intact] = await readAuditVerifications(db);
    expect(intact).toMatchObject({ ok: true, checked: 4500 });

    // The job expires while its first page is read.
    const controller = new AbortController();
    const { db: watched, sent } = watchedDb(db, (text) => {
      if (/from audit_log where audit_log\.seq >/.test(text)) controller.abort(reason);
    });
    await expect(
      runAuditJob(
        { db: watched, metrics, logger: common.logger, retentionDays: 0 },
        { signal: controller.signal },
      ),
    ).rejects.toBe(reason);
    expect(pagesRead(sent)).toBe(1);
    expect(sent.some((t) => t.includes('insert into audit_verifications'))).toBe(false);
    // Not recorded: neither a false "ok" nor a false "broken"; the last verification stays exported.
    expect(await readAuditVerifications(db, 10)).toEqual([intact]);
    const other = createMetrics();
    await sampleAuditVerifications(db, other);
    expect(await gauge(other, 'cb_audit_chain_ok')).toBe(1);
    expect(await gauge(other, 'cb_audit_last_verify_timestamp_seconds')).toBe(
      Date.parse(intact!.finishedAt) / 1000,
    );
    expect(
      common.lines().findLast((l) => l.message === 'audit trail verification stopped, not recorded'),
    ).toMatchObject({
      level: 'WARN',
      context: { reason: reason.message },
      metrics: { checked: 2000, pruned: 0 },
    });
  });

  test('behavior: the job hands its signal down: once expired, it prunes nothing and reads nothing', async () => {
    await appendMany(3, 30); // past a 7-day retention
    const { jobs, handler } = handlerCatcher();
    const { db: watched, sent } = watchedDb(db);
    registerAuditJob(jobs, { db: watched, metrics: createMetrics(), logger: quiet, retentionDays: 7 });
    const stopping = new JobsStoppingError(); // a stop's grace period ran out
    await expect(handler()({ signal: AbortSignal.abort(stopping) })).rejects.toBe(stopping);
    expect(sent).toEqual([]);
    expect((await db.query('select count(*)::int as n from audit_log')).rows).toEqual([{ n: 3 }]);
    expect(await readAuditVerifications(db)).toEqual([]);
  });
});

describe('a worker starting on a trail never verified', { timeout: 60_000 }, () => {
  let jobs: Jobs;
  afterAll(async () => {
    await jobs?.stop();
  });

  test('default: sends the job at once, which records a verification; with one recorded it sends nothing', async () => {
    await append(2);
    jobs = createJobs({
      common,
      db,
      options: { registerShutdown: false, sampleIntervalMs: 60_000, pollIntervalMs: 500 },
    });
    registerAuditJob(jobs, { db, metrics: common.metrics, logger: quiet, retentionDays: 0 });
    await jobs.start({ workers: true });
    await verifyAndRecordAudit(db, { trigger: 'cli' });
    expect(await sendAuditJobIfNeverVerified({ db, jobs })).toBe(false);
    await db.query('delete from audit_verifications');
    expect(await sendAuditJobIfNeverVerified({ db, jobs })).toBe(true);
    let runs = await readAuditVerifications(db);
    for (let i = 0; i < 150 && runs.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = await readAuditVerifications(db);
    }
    expect(runs).toEqual([expect.objectContaining({ trigger: 'job', ok: true, checked: 2 })]);
    expect(await gauge(common.metrics, 'cb_audit_chain_ok')).toBe(1);
  });
});
