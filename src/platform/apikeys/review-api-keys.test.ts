import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { createDb, type Db } from '../db/create-db.ts';
import { migrate } from '../db/migrate.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createApiKeys } from './create-api-keys.ts';
import { sampleApiKeyAges } from './key-age-sampler.ts';
import { type ApiKeyFinding, isAuditedScope, reviewApiKeys } from './review-api-keys.ts';

let db: Db;
let drop: () => Promise<void>;
const logger = createSilentLogger();

beforeAll(async () => {
  const target = await testDatabaseTarget();
  drop = target.drop;
  db = await createDb({ ...target, poolMax: 4, slowQueryMs: 1000, logger, metrics: createMetrics() });
  await migrate(db, logger);
});

afterAll(async () => {
  await db?.close();
  await drop?.();
});

// Each test reviews only its own keys: the earlier tests' keys are revoked.
beforeEach(async () => {
  await db.query(
    `update cb_api_keys set revoked_at = now() - interval '1 second' where revoked_at is null or revoked_at > now()`,
  );
});

let n = 0;
const name = (prefix: string) => `${prefix}-${++n}`;

/** Sets a key's creation and last use to `created` / `lastUsed` ago (intervals; null: never used). */
async function age(id: string, created: string, lastUsed: string | null) {
  await db.query(
    `update cb_api_keys set created_at = now() - $2::interval, last_used_at = now() - $3::interval where id = $1`,
    [id, created, lastUsed],
  );
}

const limits = { unusedDays: 30, maxAgeDays: 180, maxAdminKeys: 1 };
const noChanges = async () => undefined;
const brief = (f: ApiKeyFinding) => [f.kind, f.key.name, f.needsAction];

describe('reviewApiKeys', () => {
  test('default: keys in use, young enough and narrow have no finding; nothing needs action', async () => {
    const keys = createApiKeys({ db, logger });
    const shop = await keys.create({ name: name('shop'), scopes: ['events:write'] });
    await age(shop.id, '100 days', '1 hour');
    const fresh = await keys.create({ name: name('fresh'), scopes: ['incidents:write'] });
    await age(fresh.id, '29 days', null);
    const review = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(review).toMatchObject({
      limits,
      keys: { working: 2, inGrace: 0, admin: 0 },
      needsAction: false,
      findings: [],
    });
    expect(review.reviewedAt).toBeInstanceOf(Date);
    expect(Math.abs(review.reviewedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  test('behavior: a key never used and older than unusedDays, or idle longer, needs action; the gauge counts the same keys', async () => {
    const keys = createApiKeys({ db, logger });
    const never = await keys.create({ name: name('never'), scopes: ['ops:read'] });
    await age(never.id, '31 days', null);
    const idle = await keys.create({ name: name('idle'), scopes: ['ops:read'] });
    await age(idle.id, '90 days', '31 days');
    const young = await keys.create({ name: name('young'), scopes: ['ops:read'] });
    await age(young.id, '29 days', null);
    const recent = await keys.create({ name: name('recent'), scopes: ['ops:read'] });
    await age(recent.id, '90 days', '29 days');

    const review = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(review.findings.map(brief)).toEqual([
      ['never-used', never.name, true],
      ['unused', idle.name, true],
    ]);
    expect(review.needsAction).toBe(true);
    expect(review.findings[0]).toMatchObject({ ageDays: 31, idleDays: null });
    expect(review.findings[0]!.message).toBe(
      `created 31 days ago and never used: revoke it (cb apikey revoke ${never.id}) unless its holder is about to start using it`,
    );
    expect(review.findings[1]).toMatchObject({ ageDays: 90, idleDays: 31 });
    expect(review.findings[1]!.message).toMatch(
      new RegExp(`^last used 31 days ago \\(\\d{4}-.*Z\\): revoke it \\(cb apikey revoke ${idle.id}\\)`),
    );

    const metrics = createMetrics();
    expect((await sampleApiKeyAges(db, metrics, { maxAgeDays: 0, unusedDays: 30 })).unused).toBe(2);
    // 0 turns the usage findings off.
    expect((await reviewApiKeys(db, { ...limits, unusedDays: 0, lastChange: noChanges })).findings).toEqual(
      [],
    );
  });

  test('behavior: admin keys are always listed and counted; they need action only above maxAdminKeys', async () => {
    const keys = createApiKeys({ db, logger });
    const ops = await keys.create({ name: name('ops'), scopes: ['admin'] });
    const ci = await keys.create({ name: name('ci'), scopes: ['ops:read', 'admin'] });
    await keys.create({ name: name('reader'), scopes: ['ops:read', 'ops:admin'] });
    await age(ops.id, '11 days', '1 hour');
    await age(ci.id, '10 days', '1 hour');

    const over = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(over.keys.admin).toBe(2);
    expect(over.findings.map(brief)).toEqual([
      ['admin', ops.name, true],
      ['admin', ci.name, true],
    ]);
    expect(over.findings[0]!.message).toContain('one of 2 keys that do (allowed: 1)');
    const within = await reviewApiKeys(db, { ...limits, maxAdminKeys: 2, lastChange: noChanges });
    expect(within.findings.map(brief)).toEqual([
      ['admin', ops.name, false],
      ['admin', ci.name, false],
    ]);
    expect(within.needsAction).toBe(false);
    // The old key of a rotation is not counted: during an admin key's rotation both hold admin.
    await keys.rotate(ci.name, { scopes: ['ops:read'] });
    await keys.rotate(ops.name);
    const rotated = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(rotated.keys).toEqual({ working: 3, inGrace: 2, admin: 1 });
    expect(rotated.findings.filter((f) => f.kind === 'admin').map((f) => f.needsAction)).toEqual([false]);
  });

  test('behavior: write/admin scopes with no recorded change are listed to confirm; reads and the event intake are not judged', async () => {
    const keys = createApiKeys({ db, logger });
    const reader = await keys.create({ name: name('reader'), scopes: ['ops:read', 'incidents:write'] });
    const changer = await keys.create({ name: name('changer'), scopes: ['governance:admin'] });
    const readOnly = await keys.create({ name: name('read-only'), scopes: ['ops:read', 'events:read'] });
    const intake = await keys.create({ name: name('intake'), scopes: ['events:write', 'counter:write'] });
    const young = await keys.create({ name: name('young'), scopes: ['achievements:admin'] });
    const idle = await keys.create({ name: name('idle'), scopes: ['ops:write'] });
    for (const k of [reader, changer, readOnly, intake]) await age(k.id, '60 days', '1 hour');
    await age(young.id, '20 days', '1 hour');
    await age(idle.id, '60 days', '40 days');
    const lastChange = vi.fn(async ({ name: keyName }: { name: string; since: Date }) =>
      keyName === changer.name ? new Date() : undefined,
    );

    const review = await reviewApiKeys(db, { ...limits, lastChange });
    expect(review.findings.map(brief)).toEqual([
      ['unused', idle.name, true], // listed as unused, not again as unexercised
      ['unexercised-scopes', reader.name, false],
    ]);
    expect(review.findings[1]).toMatchObject({ unexercisedScopes: ['incidents:write'] });
    expect(review.findings[1]!.message).toContain(
      'holds incidents:write but made no change through the API in its 60 days (audit trail)',
    );
    // Asked for the keys that hold audited scopes only, from their creation.
    expect(lastChange.mock.calls.map(([k]) => k.name).sort()).toEqual([changer.name, reader.name].sort());
    const asked = lastChange.mock.calls.find(([k]) => k.name === reader.name)![0];
    const listed = (await keys.list()).find((k) => k.id === reader.id)!;
    expect(asked.since.getTime()).toBe(listed.createdAt.getTime());
  });

  test('behavior: keys older than maxAgeDays are due a rotation; 0 turns it off', async () => {
    const keys = createApiKeys({ db, logger });
    const old = await keys.create({ name: name('old'), scopes: ['events:write'] });
    await age(old.id, '181 days', '1 hour');
    const due = await keys.create({ name: name('almost'), scopes: ['events:write'] });
    await age(due.id, '179 days', '1 hour');
    const review = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(review.findings.map(brief)).toEqual([['rotation-due', old.name, true]]);
    expect(review.findings[0]!.message).toBe(
      `created 181 days ago, more than CB_APIKEY_MAX_AGE_DAYS (180): rotate it (cb apikey rotate ${old.name}) and hand the new key over within the grace period`,
    );
    expect((await reviewApiKeys(db, { ...limits, maxAgeDays: 0, lastChange: noChanges })).findings).toEqual(
      [],
    );
  });

  test('behavior: a rotated key in its grace period needs action while it is still used after the rotation', async () => {
    const keys = createApiKeys({ db, logger });
    const first = await keys.create({ name: name('shop'), scopes: ['events:write'] });
    // An earlier rotation, over at once: its old key is not in a grace period any more.
    const { created: shop } = await keys.rotate(first.name, { graceSeconds: 0 });
    // Old and idle: as the old key of a rotation it is only listed as in its grace period.
    await age(first.id, '400 days', '200 days');
    await age(shop.id, '200 days', '40 days');
    const { created } = await keys.rotate(shop.name, { graceSeconds: 3600 });
    const successor = (await keys.list()).find((k) => k.id === created.id)!;

    const quiet = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(quiet.keys).toEqual({ working: 1, inGrace: 1, admin: 0 });
    expect(quiet.findings.map(brief)).toEqual([['in-grace', shop.name, false]]);
    expect(quiet.findings[0]).toMatchObject({
      key: { id: shop.id },
      usedSinceRotation: false,
      rotatedAt: successor.createdAt,
    });
    expect(quiet.findings[0]!.message).toMatch(
      new RegExp(
        `and not used since: it stops working at .*Z, or end it now \\(cb apikey revoke ${shop.id}\\)$`,
      ),
    );

    await db.query("update cb_api_keys set last_used_at = now() + interval '1 second' where id = $1", [
      shop.id,
    ]);
    const used = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(used.findings.map(brief)).toEqual([['in-grace', shop.name, true]]);
    expect(used.findings[0]).toMatchObject({ usedSinceRotation: true });
    expect(used.findings[0]!.message).toContain('and still used after that');
    expect(used.needsAction).toBe(true);

    // Once the grace period is over the key is gone from the review.
    await db.query(`update cb_api_keys set revoked_at = now() - interval '1 second' where id = $1`, [
      shop.id,
    ]);
    expect((await reviewApiKeys(db, { ...limits, lastChange: noChanges })).findings).toEqual([]);
  });

  test('behavior: findings come in the documented order, keys by creation within one', async () => {
    const keys = createApiKeys({ db, logger });
    const a = await keys.create({ name: name('a'), scopes: ['admin'] });
    await age(a.id, '400 days', null);
    const b = await keys.create({ name: name('b'), scopes: ['ops:read'] });
    await age(b.id, '300 days', null);
    const review = await reviewApiKeys(db, { ...limits, lastChange: noChanges });
    expect(review.findings.map((f) => [f.kind, f.key.name])).toEqual([
      ['never-used', a.name],
      ['never-used', b.name],
      ['admin', a.name],
      ['rotation-due', a.name],
      ['rotation-due', b.name],
    ]);
  });
});

describe('isAuditedScope', () => {
  test('default: admin, writes and resource admins are audited; reads and the event intake are not', () => {
    const audited = [
      'admin',
      'ops:write',
      'incidents:write',
      'achievements:admin',
      'governance:admin',
      'governance:guardian',
    ];
    const not = ['ops:read', 'events:read', 'events:write', 'events:admin', 'counter:write'];
    expect(audited.filter(isAuditedScope)).toEqual(audited);
    expect(not.filter(isAuditedScope)).toEqual([]);
  });
});
