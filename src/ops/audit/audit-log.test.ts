/**
 * Seed 7.3 合规审计: every administrative operation recorded, the record protected from tampering
 * (a hash chain, an append-only table), and kept for a set time (retention that keeps the chain
 * verifiable).
 */
import type { FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/build-app.ts';
import { createTestApi, type TestApi } from '../../api/test-context.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import {
  ACCEPT_BREAK_ACTION,
  acceptAuditBreak,
  appendAudit,
  canonicalJson,
  listAudit,
  MAX_DETAILS_BYTES,
  pruneAudit,
  rowHash,
  verifyAudit,
} from './audit-log.ts';
import { auditRoutes, createAuditTrail, runAuditJob } from './audit-trail.ts';

let t: TestApi;
const quiet = createSilentLogger();

/** Empties the trail: the append-only trigger is lifted for the cleanup only. */
async function resetTrail(): Promise<void> {
  await t.db.query('alter table audit_log disable trigger user');
  await t.db.query('alter table audit_head disable trigger user');
  await t.db.query('delete from audit_log');
  await t.db.query(
    "update audit_head set seq = 0, hash = 'b05d14df096aaf567bcdf8d8298f98826e2d976c75dcbcc386d2dda33e873891', pruned_through = 0, pruned_hash = 'b05d14df096aaf567bcdf8d8298f98826e2d976c75dcbcc386d2dda33e873891', pruned_at = null",
  );
  await t.db.query('alter table audit_log enable trigger user');
  await t.db.query('alter table audit_head enable trigger user');
}

/** A change made behind the trail's back: the trigger lifted, as a database owner could. */
async function tamper(sql: string, params: unknown[] = []): Promise<void> {
  await t.db.query('alter table audit_log disable trigger user');
  try {
    await t.db.query(sql, params);
  } finally {
    await t.db.query('alter table audit_log enable trigger user');
  }
}

const entry = (i: number) => ({
  actorKind: 'api_key' as const,
  actor: `ops-${i % 2}`,
  action: i % 3 === 0 ? 'PUT /v1/achievements/:id' : 'POST /v1/ops/mints/:id/retry',
  target: `id=${i}`,
  outcome: 'ok' as const,
  status: 200,
  details: { body: { n: i, name: `change ${i}` } },
});

beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(resetTrail);

describe('the audit trail', () => {
  test('default: appends form a gap-free hash chain that verifies; the genesis is sha256("cb audit trail")', async () => {
    const rows = [];
    for (let i = 1; i <= 5; i++) rows.push(await appendAudit(t.db, entry(i)));
    expect(rows.map((r) => r.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(rows[0]!.prevHash).toBe('b05d14df096aaf567bcdf8d8298f98826e2d976c75dcbcc386d2dda33e873891');
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    const { hash, ...content } = rows[2]!;
    expect(rowHash(content)).toBe(hash);
    expect(await verifyAudit(t.db)).toMatchObject({
      ok: true,
      checked: 5,
      prunedThrough: '0',
      head: { seq: '5', hash: rows[4]!.hash },
      broken: undefined,
    });
  });

  test('behavior: concurrent appends take turns on the head: no gap, no fork', async () => {
    // Verifications running meanwhile see a consistent chain, never a head ahead of or behind its rows.
    const during = await Promise.all([
      ...Array.from({ length: 24 }, (_, i) => appendAudit(t.db, entry(i)).then(() => undefined)),
      ...Array.from({ length: 6 }, () => verifyAudit(t.db)),
    ]);
    for (const r of during) if (r) expect(r.broken).toBeUndefined();
    const report = await verifyAudit(t.db);
    expect(report.broken).toBeUndefined();
    expect(report).toMatchObject({ ok: true, checked: 24, head: { seq: '24' } });
  });

  test('error: the head only moves forward: the newest records cannot be deleted and the head moved back', async () => {
    for (let i = 1; i <= 3; i++) await appendAudit(t.db, entry(i));
    await expect(t.db.query('update audit_head set seq = 2 where id')).rejects.toThrow(/only moves forward/);
    await expect(t.db.query('update audit_head set pruned_through = 0 where id')).resolves.toBeDefined();
    await expect(t.db.query('delete from audit_head')).rejects.toThrow(/cannot be deleted/);
    await expect(t.db.query('truncate audit_head')).rejects.toThrow(/cannot be deleted/);
    // Rows deleted behind the trigger's back, the head left where it was: the chain says so.
    await tamper('delete from audit_log where seq = 3');
    expect((await verifyAudit(t.db)).broken).toEqual({
      seq: '3',
      problem: 'rows 3…3 are missing (the head is at 3)',
    });
  });

  test('error: the table refuses update, delete and truncate', async () => {
    await appendAudit(t.db, entry(1));
    await expect(t.db.query("update audit_log set actor = 'someone-else'")).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(t.db.query('delete from audit_log')).rejects.toThrow(/append-only: DELETE/);
    await expect(t.db.query('truncate audit_log')).rejects.toThrow(/append-only: TRUNCATE/);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  test.each([
    {
      what: 'a changed record',
      sql: "update audit_log set actor = 'nobody' where seq = 3",
      broken: { seq: '3', problem: 'its content does not match its hash (changed after it was written)' },
    },
    {
      what: 'a deleted record',
      sql: 'delete from audit_log where seq = 3',
      broken: { seq: '3', problem: 'row 3 is missing (next is 4)' },
    },
    {
      what: 'the newest records deleted',
      sql: 'delete from audit_log where seq >= 5',
      broken: { seq: '5', problem: 'rows 5…6 are missing (the head is at 6)' },
    },
    {
      what: 'a changed hash (to hide an edit)',
      sql: "update audit_log set hash = repeat('0', 64) where seq = 2",
      broken: { seq: '2', problem: 'its content does not match its hash (changed after it was written)' },
    },
  ])('error: $what breaks the chain at that record', async ({ sql, broken }) => {
    for (let i = 1; i <= 6; i++) await appendAudit(t.db, entry(i));
    await tamper(sql);
    const report = await verifyAudit(t.db);
    expect(report.ok).toBe(false);
    expect(report.broken).toEqual(broken);
  });

  test('error: verification goes on past a break: a second edit is not hidden behind a first one', async () => {
    for (let i = 1; i <= 8; i++) await appendAudit(t.db, entry(i));
    await tamper("update audit_log set actor = 'nobody' where seq = 2");
    await tamper('delete from audit_log where seq in (4, 5)');
    await tamper("update audit_log set hash = repeat('0', 64) where seq = 7");
    const report = await verifyAudit(t.db);
    expect(report).toMatchObject({ ok: false, checked: 6, breaksFound: 4, broken: { seq: '2' } });
    expect(report.breaks.map((b) => [b.seq, b.kind, b.problem])).toEqual([
      ['2', 'content', 'its content does not match its hash (changed after it was written)'],
      ['4', 'missing', 'rows 4…5 are missing (next is 6)'],
      ['7', 'content', 'its content does not match its hash (changed after it was written)'],
      // 8 links to 7's real hash, not to the one written over it.
      ['8', 'link', 'its prev_hash is not the hash of the row before it'],
    ]);
    // The same breaks found again have the same fingerprints.
    expect((await verifyAudit(t.db)).breaks.map((b) => b.fingerprint)).toEqual(
      report.breaks.map((b) => b.fingerprint),
    );
  });

  test('behavior: an accepted break no longer fails verification; others, a break changed again, and a forged acceptance still do', async () => {
    for (let i = 1; i <= 5; i++) await appendAudit(t.db, entry(i));
    await tamper("update audit_log set actor = 'nobody' where seq = 2");
    await tamper("update audit_log set target = 'id=999' where seq = 4");
    const actor = 'ops@host';
    const first = await acceptAuditBreak(t.db, {
      seq: '2',
      reason: 'a manual fix, see INC-3',
      incident: 'INC-3',
      actor,
    });
    expect(first).toMatchObject({
      accepted: { seq: '2', kind: 'content' },
      record: { seq: '6', action: ACCEPT_BREAK_ACTION },
    });
    let report = await verifyAudit(t.db);
    expect(report).toMatchObject({ ok: false, broken: { seq: '4' } });
    expect(report.breaks[0]!.accepted).toMatchObject({
      seq: '6',
      by: actor,
      reason: 'a manual fix, see INC-3',
      incident: 'INC-3',
    });
    expect(await acceptAuditBreak(t.db, { seq: '2', reason: 'again', actor })).toMatchObject({
      refused: { reason: 'already-accepted', accepted: { seq: '6' } },
    });
    expect(await acceptAuditBreak(t.db, { seq: '3', reason: 'no such break', actor })).toMatchObject({
      refused: { reason: 'no-break' },
    });
    await acceptAuditBreak(t.db, { seq: '4', reason: 'the same manual fix', actor });
    report = await verifyAudit(t.db);
    expect(report).toMatchObject({ ok: true, broken: undefined, breaksFound: 2 });

    // Record 2 changed once more: a new break, which the old acceptance does not cover.
    await tamper("update audit_log set actor = 'somebody' where seq = 2");
    expect(await verifyAudit(t.db)).toMatchObject({ ok: false, broken: { seq: '2' } });
    await tamper("update audit_log set actor = 'nobody' where seq = 2");
    expect((await verifyAudit(t.db)).ok).toBe(true);

    // An acceptance whose own record was changed (say, its fingerprint swapped) accepts nothing.
    await tamper("update audit_log set details = jsonb_set(details, '{reason}', '\"edited\"') where seq = 7");
    report = await verifyAudit(t.db);
    expect(report.ok).toBe(false);
    expect(report.breaks.filter((b) => !b.accepted).map((b) => b.seq)).toEqual(['4', '7']);
  });

  test('error: a head that does not match the last row cannot be accepted; the record after it can', async () => {
    for (let i = 1; i <= 3; i++) await appendAudit(t.db, entry(i));
    await t.db.query("update audit_head set hash = repeat('a', 64) where id");
    expect((await verifyAudit(t.db)).breaks.map((b) => [b.seq, b.kind])).toEqual([['3', 'head']]);
    expect(await acceptAuditBreak(t.db, { seq: '3', reason: 'head moved', actor: 'ops@host' })).toEqual({
      refused: { reason: 'head' },
    });
    await appendAudit(t.db, entry(4));
    expect((await verifyAudit(t.db)).breaks.map((b) => [b.seq, b.kind])).toEqual([['4', 'link']]);
    await acceptAuditBreak(t.db, { seq: '4', reason: 'the head was set by hand', actor: 'ops@host' });
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  test('error: a chain rewritten from an edited record verifies, but not against an anchor kept elsewhere', async () => {
    const rows = [];
    for (let i = 1; i <= 4; i++) rows.push(await appendAudit(t.db, entry(i)));
    const anchor = { seq: rows[2]!.seq, hash: rows[2]!.hash }; // as the "audit recorded" log line said
    // Rewrite record 2 and recompute every hash after it, and the head.
    let prev = rows[0]!.hash;
    for (const r of rows.slice(1)) {
      const { hash: _old, ...content } = r;
      const edited = { ...content, actor: r.seq === '2' ? 'innocent' : r.actor, prevHash: prev };
      prev = rowHash(edited);
      await tamper('update audit_log set actor = $1, prev_hash = $2, hash = $3 where seq = $4', [
        edited.actor,
        edited.prevHash,
        prev,
        r.seq,
      ]);
    }
    await t.db.query('update audit_head set hash = $1 where id', [prev]);
    expect((await verifyAudit(t.db)).ok).toBe(true);
    const anchored = await verifyAudit(t.db, { anchor });
    expect(anchored.ok).toBe(false);
    expect(anchored.anchor).toEqual({ ...anchor, matches: false, pruned: false });
    expect((await verifyAudit(t.db, { anchor: { seq: rows[0]!.seq, hash: rows[0]!.hash } })).ok).toBe(true);
  });

  test('behavior: retention deletes the oldest records and the chain still verifies from the cut', async () => {
    const old = new Date('2025-01-01T00:00:00Z');
    for (let i = 1; i <= 3; i++)
      await appendAudit(t.db, { ...entry(i), at: new Date(old.getTime() + i * 1000) });
    const kept = [];
    for (let i = 4; i <= 6; i++) kept.push(await appendAudit(t.db, entry(i)));
    const metrics = createMetrics();
    const run = await runAuditJob({
      db: t.db,
      metrics,
      logger: quiet,
      retentionDays: 30,
    });
    expect(run).toEqual({ pruned: 3, ok: true });
    expect((await metrics.registry.getSingleMetricAsString('cb_audit_chain_ok')).trim()).toMatch(
      /^cb_audit_chain_ok 1$/m,
    );
    const left = (await listAudit(t.db, { limit: 10 })).items;
    expect(left.map((r) => r.seq)).toEqual(['7', '6', '5', '4']);
    // The cut is in the chain.
    expect(left[0]).toMatchObject({
      actorKind: 'system',
      action: 'audit retention',
      target: 'seq ≤ 3',
      details: { deleted: 3 },
    });
    expect(await verifyAudit(t.db)).toMatchObject({ ok: true, checked: 4, prunedThrough: '3' });
    // An anchor on a deleted record cannot be checked, and does not fail the check.
    expect((await verifyAudit(t.db, { anchor: { seq: '2', hash: 'f'.repeat(64) } })).anchor).toMatchObject({
      pruned: true,
      matches: false,
    });
    expect((await verifyAudit(t.db, { anchor: { seq: '2', hash: 'f'.repeat(64) } })).ok).toBe(true);
    // Nothing older than the retention left: a second run deletes nothing.
    expect(await pruneAudit(t.db, new Date(Date.now() - 30 * 86_400_000))).toBe(0);
    // A break after the cut is still found, and the gauge says so.
    await tamper("update audit_log set outcome = 'failed' where seq = 5");
    expect(await runAuditJob({ db: t.db, metrics, logger: quiet, retentionDays: 30 })).toEqual({
      pruned: 0,
      ok: false,
    });
    expect(await metrics.registry.getSingleMetricAsString('cb_audit_chain_ok')).toMatch(
      /^cb_audit_chain_ok 0$/m,
    );
    expect(kept).toHaveLength(3);
  });

  test('behavior: details are redacted, and kept as size and hash beyond 8 KiB; canonical JSON sorts keys', async () => {
    const row = await appendAudit(t.db, {
      ...entry(1),
      details: {
        body: { name: 'x', password: 'hunter2', url: 'postgres://u:pw@h/db', key: 'cbk_abcdefgh12345678' },
      },
    });
    expect(row.details).toEqual({
      body: { key: '[REDACTED]', name: 'x', password: '[REDACTED]', url: 'postgres://u:[REDACTED]@h/db' },
    });
    const big = await appendAudit(t.db, { ...entry(2), details: { body: 'y'.repeat(MAX_DETAILS_BYTES) } });
    expect(big.details).toMatchObject({ truncated: true, bytes: MAX_DETAILS_BYTES + 11 });
    expect(big.details.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    // NUL and lone surrogates, which text and jsonb refuse, cannot keep a record out of the trail.
    const odd = await appendAudit(t.db, {
      ...entry(3),
      target: 'id=1\u0000',
      details: { query: { z: '\u0000', ['k\u0000']: '\ud800' } },
    });
    expect(odd.target).toBe('id=1\\u0000');
    expect(odd.details).toEqual({ query: { z: '\\u0000', 'k\\u0000': '\ufffd' } });
    expect((await listAudit(t.db, { limit: 1 })).items[0]).toEqual(odd);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  test('behavior: list filters by actor, action text, outcome and time, newest first, a page at a time', async () => {
    for (let i = 1; i <= 7; i++) await appendAudit(t.db, entry(i));
    await appendAudit(t.db, { ...entry(8), outcome: 'refused', status: 403 });
    const first = await listAudit(t.db, { actor: 'ops-1', limit: 2 });
    expect(first.items.map((r) => r.seq)).toEqual(['7', '5']);
    const second = await listAudit(t.db, { actor: 'ops-1', limit: 2, before: first.nextBefore });
    expect(second.items.map((r) => r.seq)).toEqual(['3', '1']);
    expect(second.nextBefore).toBeUndefined();
    expect((await listAudit(t.db, { action: 'achievements' })).items.map((r) => r.seq)).toEqual(['6', '3']);
    expect((await listAudit(t.db, { outcome: 'refused' })).items).toEqual([
      expect.objectContaining({ seq: '8', status: 403, actor: 'ops-0' }),
    ]);
    expect((await listAudit(t.db, { since: new Date(Date.now() + 60_000) })).items).toEqual([]);
  });
});

describe('API operations in the trail', () => {
  const probe: FastifyPluginAsync = async (app) => {
    app.post('/v1/probe/:id', { config: { scope: 'achievements:admin' } }, async (request) => ({
      id: (request.params as { id: string }).id,
    }));
    app.post('/v1/probe-broken', { config: { scope: 'achievements:admin' } }, async () => {
      throw new Error('boom');
    });
    app.post('/v1/probe-events', { config: { scope: 'events:write' } }, async () => ({ ok: true }));
    app.get('/v1/probe/:id', { config: { scope: 'achievements:admin' } }, async () => ({ ok: true }));
    // Public, but the handler also takes a privileged key (as POST /v1/proposals does).
    app.post('/v1/probe-public', { config: { scope: 'public', acceptsKey: true } }, async (request) => {
      // As a route taking a key or a member's signature does: only the key path marks it.
      if ((request.body as { signature?: string }).signature === undefined) request.keyUsed = true;
      return { ok: true };
    });
    app.post('/v1/probe-signed', { config: { scope: 'public' } }, async () => ({ ok: true }));
  };

  test('default: privileged changes are recorded with actor, route, target, outcome and redacted body; reads, the intake and keyless calls are not', async () => {
    const { ctx } = t.context();
    const metrics = ctx.metrics;
    const trail = createAuditTrail({ db: t.db, metrics, logger: quiet });
    const app = await buildApp(ctx, {
      routes: [probe, auditRoutes({ db: t.db })],
      audit: { sink: trail, logger: quiet },
    });
    const admin = await t.apiKeys.create({
      name: 'catalogue-admin',
      scopes: ['achievements:admin', 'ops:read'],
    });
    const intake = await t.apiKeys.create({ name: 'ingest', scopes: ['events:write'] });
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    try {
      const ok = await app.inject({
        method: 'POST',
        url: '/v1/probe/42?dry=no',
        headers: {
          ...auth(admin.key),
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        payload: { title: 'new', secret: 's3cret' },
      });
      expect(ok.statusCode).toBe(200);
      expect(
        (await app.inject({ method: 'POST', url: '/v1/probe-broken', headers: auth(admin.key) })).statusCode,
      ).toBe(500);
      expect(
        (await app.inject({ method: 'POST', url: '/v1/probe/7', headers: auth(intake.key) })).statusCode,
      ).toBe(403);
      // Not administrative: a read, the event intake, no key at all.
      await app.inject({ method: 'GET', url: '/v1/probe/42', headers: auth(admin.key) });
      await app.inject({ method: 'POST', url: '/v1/probe-events', headers: auth(intake.key), payload: {} });
      expect((await app.inject({ method: 'POST', url: '/v1/probe/1' })).statusCode).toBe(401);

      // Recorded after the reply went out.
      let items = (await listAudit(t.db)).items;
      for (let i = 0; i < 50 && items.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        items = (await listAudit(t.db)).items;
      }
      expect(items.map((r) => [r.actor, r.action, r.target, r.outcome, r.status])).toEqual([
        ['ingest', 'POST /v1/probe/:id', 'id=7', 'refused', 403],
        ['catalogue-admin', 'POST /v1/probe-broken', null, 'failed', 500],
        ['catalogue-admin', 'POST /v1/probe/:id', 'id=42', 'ok', 200],
      ]);
      expect(items[2]).toMatchObject({
        actorKind: 'api_key',
        traceId: '0af7651916cd43dd8448eb211c80319c',
        details: { query: { dry: 'no' }, body: { title: 'new', secret: '[REDACTED]' } },
      });
      expect(await metrics.registry.getSingleMetricAsString('cb_audit_records_total')).toMatch(
        /cb_audit_records_total\{outcome="ok"\} 1\n/,
      );

      const page = await app.inject({
        method: 'GET',
        url: '/v1/ops/audit?outcome=refused',
        headers: auth(admin.key),
      });
      expect(page.statusCode).toBe(200);
      expect(page.json()).toEqual({
        items: [expect.objectContaining({ seq: items[0]!.seq, actor: 'ingest' })],
        nextBefore: null,
      });
      expect(
        (await app.inject({ method: 'GET', url: '/v1/ops/audit?since=yesterday', headers: auth(admin.key) }))
          .statusCode,
      ).toBe(400);
      expect(
        (await app.inject({ method: 'GET', url: '/v1/ops/audit', headers: auth(intake.key) })).statusCode,
      ).toBe(403);
    } finally {
      await app.close();
      await t.apiKeys.revoke(admin.id);
      await t.apiKeys.revoke(intake.id);
    }
  });

  test('behavior: a public route declaring audit records its calls made with a key, not those without', async () => {
    await resetTrail();
    const { ctx } = t.context();
    const trail = createAuditTrail({ db: t.db, metrics: ctx.metrics, logger: quiet });
    const app = await buildApp(ctx, { routes: [probe], audit: { sink: trail, logger: quiet } });
    const admin = await t.apiKeys.create({ name: 'gov-admin', scopes: ['governance:admin'] });
    try {
      const headers = { authorization: `Bearer ${admin.key}` };
      await app.inject({
        method: 'POST',
        url: '/v1/probe-public',
        headers,
        payload: { title: 'by an admin' },
      });
      await app.inject({ method: 'POST', url: '/v1/probe-public', payload: { signature: '0x…' } });
      // A member's signed call with a key header the handler did not use.
      await app.inject({ method: 'POST', url: '/v1/probe-public', headers, payload: { signature: '0x…' } });
      await app.inject({ method: 'POST', url: '/v1/probe-signed', headers, payload: {} });
      let items = (await listAudit(t.db)).items;
      for (let i = 0; i < 50 && items.length < 1; i++) {
        await new Promise((r) => setTimeout(r, 20));
        items = (await listAudit(t.db)).items;
      }
      await new Promise((r) => setTimeout(r, 100)); // nothing else arrives
      expect((await listAudit(t.db)).items.map((r) => [r.actor, r.action, r.outcome])).toEqual([
        ['gov-admin', 'POST /v1/probe-public', 'ok'],
      ]);
    } finally {
      await app.close();
      await t.apiKeys.revoke(admin.id);
    }
  });

  test('error: a record that cannot be written is logged and counted; the operation still answers', async () => {
    const { ctx, logs } = t.context();
    const app = await buildApp(ctx, {
      routes: [probe],
      audit: {
        sink: {
          record: async () => {
            throw new Error('database unavailable');
          },
        },
        logger: ctx.logger,
      },
    });
    const admin = await t.apiKeys.create({ name: 'admin-2', scopes: ['achievements:admin'] });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/probe/1',
        headers: { authorization: `Bearer ${admin.key}` },
      });
      expect(res.statusCode).toBe(200);
      for (let i = 0; i < 50 && !logs.lines().some((l) => l.message === 'audit record not written'); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(logs.lines().find((l) => l.message === 'audit record not written')).toMatchObject({
        level: 'ERROR',
        context: { action: 'POST /v1/probe/:id', keyName: 'admin-2', statusCode: 200 },
      });
      expect(await ctx.metrics.registry.getSingleMetricAsString('cb_audit_write_failures_total')).toMatch(
        /^cb_audit_write_failures_total 1$/m,
      );
    } finally {
      await app.close();
      await t.apiKeys.revoke(admin.id);
    }
  });
});
