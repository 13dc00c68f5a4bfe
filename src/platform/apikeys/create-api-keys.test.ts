import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { createDb, type Db } from '../db/create-db.ts';
import { migrate } from '../db/migrate.ts';
import {
  type BaseError,
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from '../errors.ts';
import { createLogger, createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createApiKeys } from './create-api-keys.ts';
import { sampleApiKeyAges } from './key-age-sampler.ts';
import { hashApiKey } from './key-format.ts';

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

let n = 0;
const name = (prefix = 'key') => `${prefix}-${++n}`;

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function selectsOf(spy: { mock: { calls: unknown[][] } }, fragment: string): number {
  return spy.mock.calls.filter((c) => String(c[0]).includes(fragment)).length;
}

describe('createApiKeys', () => {
  test('default: create returns the key once, list shows it without secret, verify accepts it', async () => {
    const keys = createApiKeys({ db, logger });
    const created = await keys.create({ name: name('partner'), scopes: ['events:write', 'events:write'] });
    expect(created.key).toMatch(/^cbk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    expect(created.key.startsWith(`cbk_${created.id}_`)).toBe(true);
    expect(created.scopes).toEqual(['events:write']);

    const listed = (await keys.list()).find((k) => k.id === created.id);
    expect(listed).toMatchObject({ name: created.name, scopes: ['events:write'], revokedAt: null });
    expect(listed?.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(listed)).not.toContain(created.key.slice(-32));

    expect(await keys.verify(created.key)).toEqual({
      id: created.id,
      name: created.name,
      scopes: ['events:write'],
    });
  });

  test('behavior: only the sha256 of the key is stored', async () => {
    const keys = createApiKeys({ db, logger });
    const created = await keys.create({ name: name(), scopes: ['admin'] });
    const { rows } = await db.query<Record<string, unknown>>('select * from cb_api_keys where id = $1', [
      created.id,
    ]);
    expect(rows[0]!.secret_hash).toBe(hashApiKey(created.key));
    const secret = created.key.slice(-32);
    for (const value of Object.values(rows[0]!)) expect(JSON.stringify(value) ?? '').not.toContain(secret);
  });

  test('behavior: malformed, unknown, wrong-secret and revoked keys are refused', async () => {
    const keys = createApiKeys({ db, logger });
    const created = await keys.create({ name: name(), scopes: ['events:write'] });
    const wrongSecret = `${created.key.slice(0, -1)}${created.key.endsWith('a') ? 'b' : 'a'}`;
    expect(await keys.verify('')).toBeUndefined();
    expect(await keys.verify('not-a-key')).toBeUndefined();
    expect(await keys.verify(`${created.key}x`)).toBeUndefined();
    expect(await keys.verify(`cbk_AAAAAAAAAAAA_${'B'.repeat(32)}`)).toBeUndefined();
    expect(await keys.verify(wrongSecret)).toBeUndefined();
    expect(await keys.verify(created.key)).toBeDefined();
    await keys.revoke(created.id);
    expect(await keys.verify(created.key)).toBeUndefined();
  });

  test('behavior: a revoke takes effect at once on this instance, on others when their cache expires', async () => {
    const clock = manualClock();
    const here = createApiKeys({ db, logger, now: clock.now, cacheTtlMs: 5_000 });
    const elsewhere = createApiKeys({ db, logger, now: clock.now, cacheTtlMs: 5_000 });
    const created = await here.create({ name: name(), scopes: ['events:write'] });
    expect(await here.verify(created.key)).toBeDefined();
    expect(await elsewhere.verify(created.key)).toBeDefined();

    await here.revoke(created.name);
    expect(await here.verify(created.key)).toBeUndefined();
    // The other instance still holds its cached result…
    expect(await elsewhere.verify(created.key)).toBeDefined();
    clock.advance(5_001);
    // …until it expires.
    expect(await elsewhere.verify(created.key)).toBeUndefined();
  });

  test('behavior: a read that started before a revoke does not refill the cache', async () => {
    const keys = createApiKeys({ db, logger });
    const created = await keys.create({ name: name(), scopes: ['events:write'] });
    // Hold the look-up's answer (the key still active) until the revoke has finished.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const query = db.query.bind(db);
    const spy = vi.spyOn(db, 'query').mockImplementationOnce(async (text, params) => {
      const result = await query(text, params);
      await gate;
      return result as never;
    });
    try {
      const racing = keys.verify(created.key);
      await keys.revoke(created.id);
      release();
      expect(await racing).toBeDefined(); // concurrent with the revoke: either answer is fair
      expect(await keys.verify(created.key)).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  test('behavior: results are cached and concurrent look-ups of one key share one query', async () => {
    const clock = manualClock();
    const keys = createApiKeys({ db, logger, now: clock.now });
    const created = await keys.create({ name: name(), scopes: ['events:write'] });
    const spy = vi.spyOn(db, 'query');
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => keys.verify(created.key)));
      expect(results.every((r) => r?.id === created.id)).toBe(true);
      await keys.verify(created.key);
      expect(selectsOf(spy, 'select id, name, scopes, secret_hash')).toBe(1);
      clock.advance(5_001);
      await keys.verify(created.key);
      expect(selectsOf(spy, 'select id, name, scopes, secret_hash')).toBe(2);
      // A wrong secret for a cached id is still refused, without a query.
      expect(await keys.verify(`${created.key.slice(0, -2)}zz`)).toBeUndefined();
      expect(selectsOf(spy, 'select id, name, scopes, secret_hash')).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  test('behavior: last_used_at is written at most once per interval per key', async () => {
    const clock = manualClock();
    const keys = createApiKeys({ db, logger, now: clock.now, cacheTtlMs: 0 });
    const created = await keys.create({ name: name(), scopes: ['events:write'] });
    const spy = vi.spyOn(db, 'query');
    try {
      for (let i = 0; i < 5; i++) await keys.verify(created.key);
      expect(selectsOf(spy, 'set last_used_at')).toBe(1);
      const listed = (await keys.list()).find((k) => k.id === created.id);
      expect(listed?.lastUsedAt).toBeInstanceOf(Date);
      clock.advance(59_000);
      await keys.verify(created.key);
      expect(selectsOf(spy, 'set last_used_at')).toBe(1);
      clock.advance(1_000);
      await keys.verify(created.key);
      expect(selectsOf(spy, 'set last_used_at')).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  test('behavior: revoke by id or name; the name is free again afterwards; list can include revoked', async () => {
    const keys = createApiKeys({ db, logger });
    const keyName = name('reused');
    const first = await keys.create({ name: keyName, scopes: ['incidents:write'] });
    const revoked = await keys.revoke(keyName);
    expect(revoked).toMatchObject({ id: first.id, name: keyName });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    const second = await keys.create({ name: keyName, scopes: ['incidents:write'] });
    expect((await keys.list()).filter((k) => k.name === keyName).map((k) => k.id)).toEqual([second.id]);
    const all = (await keys.list({ includeRevoked: true })).filter((k) => k.name === keyName);
    expect(all.map((k) => k.id).sort()).toEqual([first.id, second.id].sort());
    await keys.revoke(second.id);
    expect(await keys.verify(second.key)).toBeUndefined();
  });

  test('behavior: creation and revocation are logged by id and name, never with the key', async () => {
    let text = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const keys = createApiKeys({
      db,
      logger: createLogger({ service: 'apikeys', instance: 't', level: 'info', destination }),
    });
    const created = await keys.create({ name: name('logged'), scopes: ['events:write'] });
    await keys.revoke(created.id);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string; context: Record<string, unknown> });
    expect(lines.map((l) => l.message)).toEqual(['api key created', 'api key revoked']);
    for (const line of lines)
      expect(line.context).toMatchObject({ keyId: created.id, keyName: created.name });
    expect(text).not.toContain(created.key.slice(-32));
  });

  test('error: a name already used by an active key is a conflict', async () => {
    const keys = createApiKeys({ db, logger });
    const keyName = name('dup');
    await keys.create({ name: keyName, scopes: ['events:write'] });
    const err = await keys.create({ name: keyName, scopes: ['admin'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as BaseError).code).toBe('CB_APIKEY_NAME_TAKEN');
  });

  test('error: invalid names and scopes are refused with every problem listed', async () => {
    const keys = createApiKeys({ db, logger });
    const badName = await keys.create({ name: ' spaced name', scopes: ['admin'] }).catch((e: unknown) => e);
    expect(badName).toBeInstanceOf(ValidationError);
    expect((badName as BaseError).code).toBe('CB_APIKEY_NAME_INVALID');
    const badScopes = await keys
      .create({ name: name(), scopes: ['events:write', 'Events:Write', 'root', 'a:b:c'] })
      .catch((e: unknown) => e);
    expect((badScopes as BaseError).code).toBe('CB_APIKEY_SCOPE_INVALID');
    expect((badScopes as BaseError).details?.issues).toHaveLength(3);
    const none = await keys.create({ name: name(), scopes: [] }).catch((e: unknown) => e);
    expect((none as BaseError).code).toBe('CB_APIKEY_SCOPE_INVALID');
  });

  test('error: revoking an unknown or already revoked key is not found', async () => {
    const keys = createApiKeys({ db, logger });
    const created = await keys.create({ name: name(), scopes: ['events:write'] });
    await keys.revoke(created.id);
    for (const target of [created.id, created.name, 'nobody']) {
      const err = await keys.revoke(target).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as BaseError).code).toBe('CB_APIKEY_NOT_FOUND');
    }
  });

  test('error: verify reports an unreachable database as unavailable, not as an invalid key', async () => {
    const down = await createDb({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/x',
      dataDir: 'memory://',
      poolMax: 1,
      slowQueryMs: 1000,
      logger,
      metrics: createMetrics(),
    });
    try {
      const keys = createApiKeys({ db: down, logger });
      const err = await keys.verify(`cbk_AAAAAAAAAAAA_${'B'.repeat(32)}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as BaseError).code).toBe('CB_DB_UNAVAILABLE');
      // Malformed keys need no database at all.
      expect(await keys.verify('cbk_short')).toBeUndefined();
    } finally {
      await down.close();
    }
  });
});

describe('rotation (seed 7.1 定期轮换密钥)', () => {
  test('default: rotate issues a new key with the same name and scopes; the old one works until its grace period ends', async () => {
    const keys = createApiKeys({ db, logger, cacheTtlMs: 0 });
    const old = await keys.create({ name: name('shop'), scopes: ['events:write', 'events:read'] });
    const { created, previous } = await keys.rotate(old.name, { graceSeconds: 1 });
    expect(created).toMatchObject({ name: old.name, scopes: old.scopes });
    expect(created.id).not.toBe(old.id);
    expect(previous.id).toBe(old.id);
    expect(previous.revokedAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await keys.verify(old.key)).toMatchObject({ id: old.id });
    expect(await keys.verify(created.key)).toMatchObject({ id: created.id, name: old.name });
    // Both are listed while the old one still works; the name belongs to the new one.
    expect((await keys.list()).filter((k) => k.name === old.name).map((k) => k.id)).toEqual([
      old.id,
      created.id,
    ]);
    await expect(keys.rotate(old.id)).rejects.toMatchObject({ code: 'CB_APIKEY_NOT_FOUND' });

    await new Promise((r) => setTimeout(r, 1100)); // the grace period is over
    expect(await keys.verify(old.key)).toBeUndefined();
    expect(await keys.verify(created.key)).toMatchObject({ id: created.id });
  });

  test('behavior: a grace of 0 retires the old key at once; revoke by name takes the new key, by id the old one', async () => {
    const keys = createApiKeys({ db, logger, cacheTtlMs: 60_000 });
    const old = await keys.create({ name: name('ci'), scopes: ['ops:read'] });
    expect(await keys.verify(old.key)).toBeDefined(); // cached as working
    const now = await keys.rotate(old.id, { graceSeconds: 0 });
    expect(await keys.verify(old.key)).toBeUndefined(); // the rotation dropped the cached row
    expect(await keys.verify(now.created.key)).toBeDefined();

    const a = await keys.create({ name: name('partner'), scopes: ['events:write'] });
    const b = (await keys.rotate(a.name, { graceSeconds: 600 })).created;
    expect((await keys.revoke(a.name)).id).toBe(b.id);
    expect((await keys.revoke(a.id)).id).toBe(a.id);
    expect(await keys.verify(a.key)).toBeUndefined();
  });

  test('behavior: two rotations at once leave one working successor; the loser, if any, is CB_APIKEY_NAME_TAKEN', async () => {
    const keys = createApiKeys({ db, logger });
    const k = await keys.create({ name: name('race'), scopes: ['ops:read'] });
    const results = await Promise.allSettled([keys.rotate(k.name), keys.rotate(k.name)]);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CB_APIKEY_NAME_TAKEN' });
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    const { rows } = await db.query<{ n: number }>(
      'select count(*)::int as n from cb_api_keys where name = $1 and revoked_at is null',
      [k.name],
    );
    expect(rows[0]!.n).toBe(1);
  });

  test('error: a grace period outside 0–30 days is refused, nothing changes', async () => {
    const keys = createApiKeys({ db, logger });
    const k = await keys.create({ name: name('x'), scopes: ['ops:read'] });
    await expect(keys.rotate(k.name, { graceSeconds: 31 * 86_400 })).rejects.toMatchObject({
      code: 'CB_APIKEY_GRACE_INVALID',
    });
    await expect(keys.rotate(k.name, { graceSeconds: -1 })).rejects.toBeInstanceOf(ValidationError);
    expect((await keys.list()).filter((x) => x.name === k.name)).toHaveLength(1);
    await expect(keys.rotate('no-such-key')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('behavior: keys past CB_APIKEY_MAX_AGE_DAYS are counted as due a rotation; a rotated one is not', async () => {
    const keys = createApiKeys({ db, logger });
    const metrics = createMetrics();
    const limits = { maxAgeDays: 90, unusedDays: 0 };
    const before = (await sampleApiKeyAges(db, metrics, limits)).rotationDue;
    const old = await keys.create({ name: name('legacy'), scopes: ['ops:read'] });
    await db.query(`update cb_api_keys set created_at = now() - interval '100 days' where id = $1`, [old.id]);
    expect((await sampleApiKeyAges(db, metrics, limits)).rotationDue).toBe(before + 1);
    expect(await metrics.registry.getSingleMetricAsString('cb_api_keys_rotation_due')).toMatch(
      new RegExp(`^cb_api_keys_rotation_due ${before + 1}$`, 'm'),
    );
    await keys.rotate(old.id);
    expect((await sampleApiKeyAges(db, metrics, limits)).rotationDue).toBe(before);
    expect((await sampleApiKeyAges(db, metrics, { ...limits, maxAgeDays: 0 })).rotationDue).toBe(0);
  });

  test('behavior: cb_api_keys_unused counts working keys idle past CB_APIKEY_UNUSED_DAYS, or never used and older', async () => {
    const keys = createApiKeys({ db, logger });
    const metrics = createMetrics();
    const limits = { maxAgeDays: 0, unusedDays: 30 };
    const gauge = async () =>
      Number(
        /^cb_api_keys_unused (\d+)$/m.exec(
          await metrics.registry.getSingleMetricAsString('cb_api_keys_unused'),
        )?.[1],
      );
    const before = (await sampleApiKeyAges(db, metrics, limits)).unused;
    const age = (id: string, created: string, lastUsed: string | null) =>
      db.query(
        `update cb_api_keys set created_at = now() - $2::interval,
                last_used_at = now() - $3::interval where id = $1`,
        [id, created, lastUsed],
      );
    const neverUsedOld = await keys.create({ name: name('never-old'), scopes: ['ops:read'] });
    await age(neverUsedOld.id, '31 days', null);
    const neverUsedYoung = await keys.create({ name: name('never-young'), scopes: ['ops:read'] });
    await age(neverUsedYoung.id, '29 days', null);
    const idle = await keys.create({ name: name('idle'), scopes: ['ops:read'] });
    await age(idle.id, '200 days', '31 days');
    const busy = await keys.create({ name: name('busy'), scopes: ['ops:read'] });
    await age(busy.id, '200 days', '29 days');
    expect(await sampleApiKeyAges(db, metrics, limits)).toEqual({ rotationDue: 0, unused: before + 2 });
    expect(await gauge()).toBe(before + 2);

    // A rotated key in its grace period is not counted (its successor is new); a revoked one neither.
    await keys.rotate(idle.id);
    await keys.revoke(neverUsedOld.id);
    expect((await sampleApiKeyAges(db, metrics, limits)).unused).toBe(before);
    expect(await gauge()).toBe(before);
    await age(busy.id, '200 days', '40 days');
    expect((await sampleApiKeyAges(db, metrics, limits)).unused).toBe(before + 1);
    // 0 turns the count off.
    expect((await sampleApiKeyAges(db, metrics, { ...limits, unusedDays: 0 })).unused).toBe(0);
    expect(await gauge()).toBe(0);
  });
});

describe('rotation into narrower scopes (seed 7.1 最小权限原则)', () => {
  test('default: rotate --scopes issues the new key with the narrower scopes; the old one keeps its own until it ends', async () => {
    const keys = createApiKeys({ db, logger, cacheTtlMs: 0 });
    const old = await keys.create({ name: name('ops'), scopes: ['admin'] });
    const { created, previous } = await keys.rotate(old.name, {
      graceSeconds: 600,
      scopes: ['ops:read', 'incidents:write', 'ops:read'],
    });
    expect(created.scopes).toEqual(['ops:read', 'incidents:write']);
    expect(previous.scopes).toEqual(['admin']);
    expect(await keys.verify(created.key)).toMatchObject({ scopes: ['ops:read', 'incidents:write'] });
    expect(await keys.verify(old.key)).toMatchObject({ scopes: ['admin'] });
    const listed = (await keys.list()).find((k) => k.id === created.id);
    expect(listed?.scopes).toEqual(['ops:read', 'incidents:write']);
  });

  test('behavior: <resource>:admin may be narrowed to any action of the resource, and equal scopes are allowed', async () => {
    const keys = createApiKeys({ db, logger });
    const k = await keys.create({ name: name('gov'), scopes: ['governance:admin', 'ops:read'] });
    const a = await keys.rotate(k.name, { scopes: ['governance:guardian'] });
    expect(a.created.scopes).toEqual(['governance:guardian']);
    const b = await keys.rotate(k.name, { scopes: ['governance:guardian'] });
    expect(b.created.scopes).toEqual(['governance:guardian']);
  });

  test('error: a scope the old key does not grant is CB_APIKEY_SCOPE_WIDER and nothing changes', async () => {
    const keys = createApiKeys({ db, logger });
    const k = await keys.create({ name: name('narrow'), scopes: ['events:write', 'governance:admin'] });
    for (const scopes of [
      ['events:read'],
      ['admin'],
      ['events:write', 'incidents:write'],
      ['events:admin'],
    ]) {
      const err = await keys.rotate(k.name, { scopes }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ code: 'CB_APIKEY_SCOPE_WIDER' });
      expect((err as BaseError).message).toContain(
        `does not grant ${scopes.filter((s) => s !== 'events:write').join(', ')}`,
      );
    }
    await expect(keys.rotate(k.name, { scopes: ['Events:Write'] })).rejects.toMatchObject({
      code: 'CB_APIKEY_SCOPE_INVALID',
    });
    await expect(keys.rotate(k.name, { scopes: [] })).rejects.toMatchObject({
      code: 'CB_APIKEY_SCOPE_INVALID',
    });
    // The refused rotations scheduled no revocation and issued no key.
    const listed = (await keys.list()).filter((x) => x.name === k.name);
    expect(listed.map((x) => [x.id, x.revokedAt])).toEqual([[k.id, null]]);
  });
});
