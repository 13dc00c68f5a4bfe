import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  deleteRedisKeys,
  freePort,
  REDIS_TEST_URL,
  redisAvailable,
  uniqueName,
} from '../../test/services.ts';
import { createEventProcessor, saveAchievements } from '../achievements/index.ts';
import { achievementTokenId } from '../chain/contracts/achievement-token-id.ts';
import { createGovernance, type PowerBreakdown, readParameters } from '../governance/index.ts';
import { type Cache, createCache, deserializeJson } from '../platform/cache/index.ts';
import { testCommon } from '../platform/cache/test-common.ts';
import type { Db } from '../platform/db/create-db.ts';
import { CliError } from './output.ts';
import { type CacheReconcileReport, NO_SHARED_CACHE, registerReconcile } from './reconcile.ts';
import {
  type CliTarget,
  cliTestTarget,
  helpOf,
  runCliInProcess,
  useCliTarget,
  withTargetDb,
} from './test-support.ts';

const hasRedis = await redisAvailable();

const alice = '0x00000000000000000000000000000000000000a1';
const bob = '0x00000000000000000000000000000000000000b2';
const carol = '0x00000000000000000000000000000000000000c3';
const BLOCK = 20n;
const keyPrefix = `${uniqueName('cbtest:')}:`;
const savedEnv = { ...process.env };
let target: CliTarget;
const cb = (...args: string[]) =>
  runCliInProcess((p) => registerReconcile(p, { cacheKeyPrefix: keyPrefix }), ['reconcile', ...args]);

beforeAll(async () => {
  target = await cliTestTarget('cb-reconcile-cli-');
  useCliTarget(target);
  delete process.env.REDIS_URL;
  await withTargetDb(target, async (db) => {
    await saveAchievements(
      db,
      [
        { id: 'first-commit', name: 'First commit', category: 'code', weight: 1, rule: countOf('commit') },
        { id: 'reviewer', name: 'Reviewer', category: 'review', weight: 2.5, rule: countOf('review') },
      ],
      { actor: 'test', mode: 'upsert' },
    );
    // Badges as the listener records them: alice holds both, bob one, carol delegated hers to bob.
    let token = 1;
    for (const [owner, slug] of [
      [alice, 'first-commit'],
      [alice, 'reviewer'],
      [bob, 'reviewer'],
      [carol, 'first-commit'],
    ] as const) {
      const id = String(token++);
      await db.query(
        'insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values ($1, $2, $3, 10, $4)',
        [id, achievementTokenId(slug).toString(), owner, `0x${'ab'.repeat(32)}`],
      );
      await db.query(
        'insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values ($1, $2, 10, $3, 0)',
        [id, owner, `0x${'ab'.repeat(32)}`],
      );
    }
  });
}, 60_000);

afterAll(async () => {
  process.env = savedEnv;
  await deleteRedisKeys(keyPrefix);
  await target?.drop();
});

function countOf(type: string) {
  return { type: 'count', filter: { types: [type] }, target: 1 };
}

describe('cb reconcile cache (no Redis)', () => {
  test('default: without REDIS_URL there is nothing shared to check: one clear line, exit 0', async () => {
    delete process.env.REDIS_URL;
    const text = await cb('cache', '--fix');
    expect(text).toEqual({ out: `${NO_SHARED_CACHE}\n`, err: '', exitCode: undefined });
    expect(NO_SHARED_CACHE).toMatch(/^nothing to check: REDIS_URL is not set/);
    const json = await cb('cache', '--json');
    expect(json.exitCode).toBeUndefined();
    expect(JSON.parse(json.out)).toEqual({
      shared: false,
      message: NO_SHARED_CACHE,
      caches: [],
      stale: 0,
      fixed: false,
    });
    // Nothing was opened, so nothing was recorded either.
    expect(await auditRows()).toEqual([]);
  });

  test('error: bad input is one clear line', async () => {
    await expect(cb('cache', '--sample', '0')).rejects.toThrow(
      new CliError('--sample must be a positive whole number, got "0"'),
    );
    await expect(cb('cache', '--sample', '5', '--all')).rejects.toThrow(
      new CliError('--sample and --all cannot be combined'),
    );
  });

  test('behavior: --help says what is checked, what --fix does, the Redis requirement and exit code 3', () => {
    const help = helpOf(registerReconcile, 'reconcile', 'cache');
    for (const option of ['--sample <n>', '--all', '--fix', '--json']) expect(help).toContain(option);
    expect(help).toContain('voting powers');
    expect(help).toContain('Needs REDIS_URL');
    expect(help).toContain('Exit code 3: stale entries found and not fixed.');
  });
});

describe.skipIf(!hasRedis)(
  hasRedis
    ? 'cb reconcile cache (Redis)'
    : `cb reconcile cache (Redis) — skipped: no Redis at ${REDIS_TEST_URL}`,
  () => {
    let server: Cache;
    let reader: Cache;
    let raw: Redis;
    const keys: Record<string, string> = {};

    beforeAll(async () => {
      raw = new Redis(REDIS_TEST_URL);
      // A running instance: it computed three members' powers, now in its memory and in Redis.
      server = createCache({ common: testCommon({ REDIS_URL: REDIS_TEST_URL }), keyPrefix });
      await server.ping(2000);
      await withTargetDb(target, async (db) => {
        const ctx = governanceOf(db, server);
        const weights = await ctx.weights.current(await readParameters(db, ctx.defaults));
        await db.query(
          'insert into gov_delegations (delegator, delegatee, from_block, nonce) values ($1, $2, 11, 0)',
          [carol, bob],
        );
        for (const [name, address] of Object.entries({ alice, bob, carol })) {
          await ctx.power.at(address, BLOCK, weights);
          keys[name] = ctx.power.key(address, BLOCK, weights.hash);
        }
      });
      // Another instance, with nothing in memory yet: it is served what Redis holds.
      reader = createCache({ common: testCommon({ REDIS_URL: REDIS_TEST_URL }), keyPrefix });
      await reader.ping(2000);
    }, 60_000);

    afterAll(async () => {
      await server?.close();
      await reader?.close();
      const left = await raw.keys(`${keyPrefix}*`);
      if (left.length > 0) await raw.del(...left);
      raw.disconnect();
      delete process.env.REDIS_URL;
    });

    const entryKey = (key: string) => `${keyPrefix}voting-power:v0:${key}`;

    test('default: a tampered entry is found (exit 3); --fix rewrites it from the database, is audited, every instance drops its copy; a second run finds nothing', async () => {
      process.env.REDIS_URL = REDIS_TEST_URL;
      const right = deserializeJson<PowerBreakdown>((await raw.get(entryKey(keys.bob!)))!);
      expect(right.total).toBe(3_500_000n); // 2.5 own + 1 from carol, scaled ×10^6
      // Someone wrote bob a power of 1000 in Redis: an instance without a copy serves that.
      const tampered = { ...right, total: 1_000_000_000n, delegations: [] };
      await raw.set(entryKey(keys.bob!), serialize(tampered), 'KEEPTTL');
      const readerPowers = reader.namespace<PowerBreakdown>('voting-power');
      expect((await readerPowers.get(keys.bob!))?.total).toBe(1_000_000_000n);

      const found = await cb('cache', '--all', '--json');
      expect(found.exitCode).toBe(3);
      const report = JSON.parse(found.out) as CacheReconcileReport;
      expect(report).toMatchObject({ shared: true, stale: 1, fixed: false });
      expect(report.caches).toEqual([
        {
          cache: 'voting-power',
          version: 0,
          entries: 3,
          checked: 3,
          stale: [
            {
              key: keys.bob,
              differences: [
                { field: 'total', cached: '1000000000', source: '3500000' },
                {
                  field: 'delegations',
                  cached: '[]',
                  source: `[{"delegator":"${carol}","power":"1000000"}]`,
                },
              ],
            },
          ],
          unverifiable: [],
          invalidatedDuringCheck: false,
          fixed: false,
        },
      ]);
      // Reported, not changed.
      expect(deserializeJson<PowerBreakdown>((await raw.get(entryKey(keys.bob!)))!).total).toBe(
        1_000_000_000n,
      );

      const text = await cb('cache', '--all');
      expect(text.exitCode).toBe(3);
      expect(text.out).toContain('cache voting-power (version 0): checked 3 of 3 entries: 1 stale');
      expect(text.out).toMatch(new RegExp(`${keys.bob}\\s+total\\s+1000000000\\s+3500000`));
      expect(text.out).toContain('run again with --fix');

      const fixed = await cb('cache', '--all', '--fix');
      expect(fixed.exitCode).toBeUndefined();
      expect(fixed.out).toMatch(new RegExp(`${keys.bob}\\s+total\\s+1000000000\\s+3500000\\s+rewritten`));
      expect(fixed.out).toContain('fixed: 1 rewritten from the database, 0 deleted, 0 already gone');
      expect(deserializeJson<PowerBreakdown>((await raw.get(entryKey(keys.bob!)))!)).toEqual(right);
      // The instance that was served the wrong power dropped it, and is served the database's now.
      await vi.waitFor(() => expect(readerPowers.peekLocal(keys.bob!)).toBeUndefined(), { timeout: 5000 });
      expect((await readerPowers.get(keys.bob!))?.total).toBe(3_500_000n);
      expect(await auditRows()).toEqual([
        { action: 'cb reconcile cache', outcome: 'ok', status: 0, fix: true },
      ]);

      const clean = await cb('cache', '--all', '--json');
      expect(clean.exitCode).toBeUndefined();
      expect(JSON.parse(clean.out)).toMatchObject({ stale: 0, caches: [{ checked: 3, stale: [] }] });
      // A read-only run is not audited.
      expect(await auditRows()).toHaveLength(1);
    });

    test('args: --sample checks that many entries of the cache', async () => {
      process.env.REDIS_URL = REDIS_TEST_URL;
      const { out, exitCode } = await cb('cache', '--sample', '2', '--json');
      expect(exitCode).toBeUndefined();
      expect(JSON.parse(out)).toMatchObject({ caches: [{ entries: 3, checked: 2 }] });
    });

    test('behavior: an entry of a weight set the database does not know is reported unverifiable and left to expire', async () => {
      process.env.REDIS_URL = REDIS_TEST_URL;
      const orphan = `${'f'.repeat(16)}:${alice}:${BLOCK}`;
      await raw.set(entryKey(orphan), (await raw.get(entryKey(keys.alice!)))!, 'PX', 60_000);
      try {
        const { out, exitCode } = await cb('cache', '--all', '--fix', '--json');
        expect(exitCode).toBeUndefined();
        expect(JSON.parse(out).caches[0]).toMatchObject({
          entries: 4,
          stale: [],
          unverifiable: [
            {
              key: orphan,
              reason: `weight set ${'f'.repeat(16)}… is neither the current one nor one a proposal stored`,
            },
          ],
        });
        expect(await raw.exists(entryKey(orphan))).toBe(1);
      } finally {
        await raw.del(entryKey(orphan));
      }
    });

    test('error: Redis configured but not answering fails with one line naming it', {
      timeout: 30_000,
    }, async () => {
      process.env.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
      await expect(cb('cache')).rejects.toMatchObject({
        code: 'CB_REDIS_UNAVAILABLE',
        message: expect.stringMatching(/^redis unreachable: /),
      });
    });
  },
);

function governanceOf(db: Db, cache: Cache) {
  const common = testCommon({ REDIS_URL: REDIS_TEST_URL });
  const processor = createEventProcessor({ db, metrics: common.metrics, logger: common.logger });
  return createGovernance({
    common,
    db,
    cache,
    catalogue: () => processor.catalogue(),
    achievementKey: achievementTokenId,
    chainId: 31337,
  }).context;
}

function serialize(p: PowerBreakdown): string {
  return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
}

async function auditRows() {
  return withTargetDb(target, async (db) => {
    const { rows } = await db.query<{
      action: string;
      outcome: string;
      status: number;
      details: { options: { fix?: boolean } };
    }>(
      `select action, outcome, status, details from audit_log where action like 'cb reconcile%' order by seq`,
    );
    return rows.map((r) => ({
      action: r.action,
      outcome: r.outcome,
      status: r.status,
      fix: r.details.options.fix,
    }));
  });
}
