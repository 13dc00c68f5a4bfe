import { Redis } from 'ioredis';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { deleteRedisKeys, REDIS_TEST_URL, redisAvailable, uniqueName } from '../../../test/services.ts';
import type { CacheNamespace } from './cache-namespace.ts';
import { type Cache, createCache } from './create-cache.ts';
import { type Recomputed, reconcileShared } from './reconcile-shared.ts';
import { testCommon } from './test-common.ts';

const hasRedis = await redisAvailable();

const opened: Cache[] = [];
const raws: Redis[] = [];
/** Key prefixes a test wrote under: their keys are deleted after it (Redis database 15 is shared). */
const prefixes: string[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  for (const prefix of prefixes.splice(0)) await deleteRedisKeys(prefix);
  for (const r of raws.splice(0)) r.disconnect();
});

/** The source of truth of these tests: key → value; a key it lacks is unverifiable. */
type Source = Map<string, { n: number }>;

const options = (source: Source, extra: { fix?: boolean; sample?: number } = {}) => ({
  ...extra,
  recompute: async (keys: readonly string[]) =>
    new Map<string, Recomputed<{ n: number }>>(
      keys.map((k) => {
        const v = source.get(k);
        return [k, v ? { value: v } : { unverifiable: 'not in the source' }];
      }),
    ),
  differences: (cached: { n: number }, fresh: { n: number }) =>
    cached.n === fresh.n ? [] : [{ field: 'n', cached: String(cached.n), source: String(fresh.n) }],
});

test('default: without Redis a namespace has nothing shared, and reconciling it is refused', async () => {
  const cache = createCache({ common: testCommon(), redisUrl: undefined });
  opened.push(cache);
  const ns = cache.namespace<{ n: number }>('memory-only');
  expect(ns.shared).toBeUndefined();
  await expect(reconcileShared(ns, options(new Map()))).rejects.toMatchObject({
    code: 'CB_CACHE_INVALID_ARGUMENT',
  });
});

describe.skipIf(!hasRedis)(
  hasRedis ? 'reconcileShared (Redis)' : `reconcileShared (Redis) — skipped: no Redis at ${REDIS_TEST_URL}`,
  () => {
    /** Two instances (a server and a checker) under a prefix of their own, and a raw client. */
    async function setup() {
      const keyPrefix = `${uniqueName('cbtest:')}:`;
      prefixes.push(keyPrefix);
      const make = () => {
        const cache = createCache({ common: testCommon({ REDIS_URL: REDIS_TEST_URL }), keyPrefix });
        opened.push(cache);
        return cache;
      };
      const server = make();
      const checker = make();
      await Promise.all([server.ping(2000), checker.ping(2000)]);
      const raw = new Redis(REDIS_TEST_URL);
      raws.push(raw);
      const entry = (v: number, key: string) => `${keyPrefix}things:v${v}:${key}`;
      return {
        serving: server.namespace<{ n: number }>('things'),
        checking: checker.namespace<{ n: number }>('things'),
        raw,
        entry,
      };
    }

    async function holdsCopy(ns: CacheNamespace<{ n: number }>, key: string) {
      await vi.waitFor(
        async () => {
          await ns.get(key);
          expect(ns.peekLocal(key)).toBeDefined();
        },
        { timeout: 2000, interval: 10 },
      );
    }

    test('default: a tampered entry is found; --fix rewrites it from the source for its remaining lifetime, every instance drops its copy, and a second run finds nothing', async () => {
      const { serving, checking, raw, entry } = await setup();
      const source: Source = new Map([
        ['a', { n: 1 }],
        ['b', { n: 2 }],
        ['c', { n: 3 }],
      ]);
      for (const [k, v] of source) await serving.getOrLoad(k, () => v, 60_000);
      await holdsCopy(serving, 'b');
      // Someone (a bug, a hand) changed b in Redis; a new instance would be served that.
      await raw.set(entry(0, 'b'), '{"n":20}', 'KEEPTTL');
      const before = await raw.pttl(entry(0, 'b'));

      const report = await reconcileShared(checking, options(source));
      expect(report).toEqual({
        cache: 'things',
        version: 0,
        entries: 3,
        checked: 3,
        stale: [{ key: 'b', differences: [{ field: 'n', cached: '20', source: '2' }] }],
        unverifiable: [],
        invalidatedDuringCheck: false,
        fixed: false,
      });
      expect(await raw.get(entry(0, 'b'))).toBe('{"n":20}');

      const fixed = await reconcileShared(checking, options(source, { fix: true }));
      expect(fixed.fixed).toBe(true);
      expect(fixed.stale).toEqual([
        { key: 'b', differences: [{ field: 'n', cached: '20', source: '2' }], repair: 'rewritten' },
      ]);
      expect(await raw.get(entry(0, 'b'))).toBe('{"n":2}');
      const after = await raw.pttl(entry(0, 'b'));
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(before);
      // The serving instance dropped its memory copy of b (and only b), and reads the repair.
      await vi.waitFor(() => expect(serving.peekLocal('b')).toBeUndefined(), { timeout: 2000 });
      expect(serving.peekLocal('a')).toEqual({ n: 1 });
      expect(await serving.get('b')).toEqual({ n: 2 });

      const again = await reconcileShared(checking, options(source));
      expect(again).toMatchObject({ checked: 3, stale: [] });
    });

    test('args: sample checks that many distinct entries of the current version only', async () => {
      const { serving, checking, raw, entry } = await setup();
      await raw.set(entry(0, 'old'), '{"n":0}', 'PX', 60_000);
      await raw.incr(entry(0, '').replace(/v0:$/, 'version'));
      const source: Source = new Map();
      for (let i = 0; i < 30; i++) {
        source.set(`k${i}`, { n: i });
        await serving.set(`k${i}`, { n: i });
      }
      const report = await reconcileShared(checking, options(source, { sample: 7 }));
      expect(report).toMatchObject({ version: 1, entries: 30, checked: 7, stale: [], unverifiable: [] });
      const all = await reconcileShared(checking, options(source));
      expect(all).toMatchObject({ entries: 30, checked: 30 });
    });

    test('behavior: an entry the source cannot recompute is left alone; one that also cannot be decoded is deleted by --fix', async () => {
      const { serving, checking, raw, entry } = await setup();
      await serving.set('known', { n: 1 });
      await serving.set('orphan', { n: 5 });
      await raw.set(entry(0, 'garbled'), '{not json', 'PX', 60_000);
      await raw.set(entry(0, 'known'), '{also not json', 'KEEPTTL');
      const source: Source = new Map([['known', { n: 1 }]]);

      const report = await reconcileShared(checking, options(source, { fix: true }));
      expect(report.unverifiable).toEqual([{ key: 'orphan', reason: 'not in the source' }]);
      const byKey = Object.fromEntries(report.stale.map((s) => [s.key, s]));
      expect(byKey.garbled).toMatchObject({
        differences: [{ field: '(value)', source: 'not in the source' }],
        repair: 'deleted',
      });
      expect(byKey.garbled?.differences[0]?.cached).toMatch(/^cannot be decoded: /);
      expect(byKey.known).toMatchObject({ differences: [{ field: '(value)' }], repair: 'rewritten' });
      expect(await raw.exists(entry(0, 'garbled'))).toBe(0);
      expect(await raw.get(entry(0, 'known'))).toBe('{"n":1}');
      expect(await raw.get(entry(0, 'orphan'))).toBe('{"n":5}');
    });

    test('behavior: when the namespace is invalidated during the check nothing counts as stale and nothing is written', async () => {
      const { serving, checking, raw, entry } = await setup();
      await serving.set('a', { n: 1 });
      await raw.set(entry(0, 'a'), '{"n":9}', 'KEEPTTL');
      const source: Source = new Map([['a', { n: 1 }]]);
      const report = await reconcileShared(checking, {
        ...options(source, { fix: true }),
        // A badge changed hands while the source was read: the whole namespace goes.
        recompute: async (keys) => {
          await serving.invalidateAll();
          return options(source).recompute(keys);
        },
      });
      expect(report).toMatchObject({ version: 0, invalidatedDuringCheck: true, stale: [], fixed: false });
      expect(await raw.get(entry(0, 'a'))).toBe('{"n":9}');
    });
  },
);
