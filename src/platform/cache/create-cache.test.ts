import { Redis } from 'ioredis';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { REDIS_TEST_URL, redisAvailable, uniqueName } from '../../../test/services.ts';
import type { Common } from '../common.ts';
import type { CacheNamespace } from './cache-namespace.ts';
import type { Cache } from './create-cache.ts';
import { createCache } from './create-cache.ts';
import { metricValue, testCommon } from './test-common.ts';

const hasRedis = await redisAvailable();

/** Caches built by a test, closed after it. */
const opened: Cache[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

function memoryCache(env: Record<string, string> = {}): { cache: Cache; common: Common } {
  const common = testCommon(env);
  const cache = createCache({ common, redisUrl: undefined });
  opened.push(cache);
  return { cache, common };
}

/** A gate a loader waits on, to hold loads in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createCache (memory only)', () => {
  test('default: a miss loads, the next read hits memory, and both are counted', async () => {
    const { cache, common } = memoryCache();
    const users = cache.namespace<{ id: number }>('users');
    expect(cache.redisEnabled).toBe(false);

    expect(await users.get('a')).toBeUndefined();
    const loader = vi.fn(async () => ({ id: 1 }));
    expect(await users.getOrLoad('a', loader)).toEqual({ id: 1 });
    expect(await users.getOrLoad('a', loader)).toEqual({ id: 1 });
    expect(await users.get('a')).toEqual({ id: 1 });
    expect(loader).toHaveBeenCalledTimes(1);

    const requests = (result: string) =>
      metricValue(common, 'cb_cache_requests_total', { cache: 'users', level: 'memory', result });
    expect(await requests('miss')).toBe(2);
    expect(await requests('hit')).toBe(2);
    expect(await metricValue(common, 'cb_cache_requests_total', { level: 'redis' })).toBe(0);
  });

  test('behavior: entries expire after the namespace TTL or their own', async () => {
    const { cache, common } = memoryCache({ CB_CACHE_TTL_MS: '60000' });
    const short = cache.namespace<string>('short', { ttlMs: 80 });
    await short.set('a', 'x');
    await short.set('b', 'y', 60_000);
    expect(await short.get('a')).toBe('x');
    await sleep(130);
    expect(await short.get('a')).toBeUndefined();
    expect(await short.get('b')).toBe('y');
    expect(await metricValue(common, 'cb_cache_evictions_total', { cache: 'short', reason: 'expired' })).toBe(
      1,
    );

    // The configured default applies to namespaces without their own TTL.
    const { cache: cache2 } = memoryCache({ CB_CACHE_TTL_MS: '80' });
    const byConfig = cache2.namespace<number>('by-config');
    await byConfig.set('n', 1);
    await sleep(130);
    expect(byConfig.peekLocal('n')).toBeUndefined();
  });

  test('behavior: past maxEntries the least recently used entry is evicted', async () => {
    const { cache, common } = memoryCache({ CB_CACHE_MAX_ENTRIES: '2' });
    const small = cache.namespace<number>('small');
    await small.set('a', 1);
    await small.set('b', 2);
    await small.get('a');
    await small.set('c', 3);
    expect(small.peekLocal('b')).toBeUndefined();
    expect(small.peekLocal('a')).toBe(1);
    expect(small.peekLocal('c')).toBe(3);
    expect(await metricValue(common, 'cb_cache_evictions_total', { cache: 'small', reason: 'evicted' })).toBe(
      1,
    );
  });

  test('behavior: concurrent misses of one key call the loader once', async () => {
    const { cache } = memoryCache();
    const ns = cache.namespace<number>('flight');
    const g = gate();
    const loader = vi.fn(async () => {
      await g.opened;
      return 42;
    });
    const results = Promise.all(Array.from({ length: 20 }, () => ns.getOrLoad('k', loader)));
    const other = ns.getOrLoad('other', async () => 7);
    g.open();
    expect(await results).toEqual(Array(20).fill(42));
    expect(await other).toBe(7);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  test('behavior: a loader error reaches every waiter and nothing is cached', async () => {
    const { cache } = memoryCache();
    const ns = cache.namespace<number>('failing');
    const loader = vi.fn(async () => {
      await sleep(5);
      throw new Error('source down');
    });
    const all = await Promise.allSettled([ns.getOrLoad('k', loader), ns.getOrLoad('k', loader)]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await ns.getOrLoad('k', async () => 1)).toBe(1);
  });

  test('behavior: a load invalidated while in flight answers its caller but stores nothing', async () => {
    const { cache } = memoryCache();
    const ns = cache.namespace<string>('racy');
    const g = gate();
    const stale = ns.getOrLoad('k', async () => {
      await g.opened;
      return 'old';
    });
    await ns.delete('k');
    // A caller arriving after the invalidation does not join the stale load.
    const fresh = ns.getOrLoad('k', async () => 'new');
    g.open();
    expect(await stale).toBe('old');
    expect(await fresh).toBe('new');
    expect(ns.peekLocal('k')).toBe('new');
  });

  test('behavior: delete and invalidateAll drop entries, counted as invalidated', async () => {
    const { cache, common } = memoryCache();
    const ns = cache.namespace<number>('drop');
    await ns.set('a', 1);
    await ns.set('b', 2);
    await ns.set('c', 3);
    await ns.set('c', 4); // a replacement is not a drop
    await ns.delete('a');
    expect(ns.peekLocal('a')).toBeUndefined();
    await ns.invalidateAll();
    expect(ns.peekLocal('b')).toBeUndefined();
    expect(ns.peekLocal('c')).toBeUndefined();
    expect(
      await metricValue(common, 'cb_cache_evictions_total', { cache: 'drop', reason: 'invalidated' }),
    ).toBe(3);
  });

  test('behavior: values are stored as their codec returns them, bigint included', async () => {
    const { cache } = memoryCache();
    const ns = cache.namespace<{ power: bigint; at: Date | string; votes: string }>('power');
    const at = new Date('2025-01-02T03:04:05.678Z');
    const value = await ns.getOrLoad('0xabc', async () => ({
      power: 123456789012345678901234567890n,
      at,
      votes: '1000000000000000000000',
    }));
    // Same shape from the loader's call, from memory here, and from Redis elsewhere.
    expect(value).toEqual({
      power: 123456789012345678901234567890n,
      at: at.toISOString(),
      votes: '1000000000000000000000',
    });
    expect(await ns.get('0xabc')).toEqual(value);
  });

  test('behavior: a custom codec is used', async () => {
    const { cache } = memoryCache();
    const ns = cache.namespace<Set<string>>('sets', {
      serialize: (s) => JSON.stringify([...s]),
      deserialize: (t) => new Set(JSON.parse(t) as string[]),
    });
    await ns.set('k', new Set(['a', 'b']));
    expect(await ns.get('k')).toEqual(new Set(['a', 'b']));
  });

  test('behavior: ping resolves without Redis', async () => {
    const { cache } = memoryCache();
    await expect(cache.ping(100)).resolves.toBeUndefined();
  });

  test('error: values the codec cannot store are refused with CB_CACHE_VALUE_UNSERIALIZABLE', async () => {
    const { cache } = memoryCache();
    const ns = cache.namespace<unknown>('bad-values');
    await expect(ns.set('k', undefined)).rejects.toMatchObject({ code: 'CB_CACHE_VALUE_UNSERIALIZABLE' });
    await expect(ns.set('k', new Map())).rejects.toMatchObject({ code: 'CB_CACHE_VALUE_UNSERIALIZABLE' });
    await expect(ns.getOrLoad('k', async () => undefined)).rejects.toMatchObject({
      code: 'CB_CACHE_VALUE_UNSERIALIZABLE',
    });
    expect(ns.peekLocal('k')).toBeUndefined();
  });

  test('error: bad names, options and keys are refused with CB_CACHE_INVALID_ARGUMENT', async () => {
    const { cache } = memoryCache();
    const code = { code: 'CB_CACHE_INVALID_ARGUMENT' };
    expect(() => cache.namespace('Has Spaces')).toThrow(expect.objectContaining(code));
    expect(() => cache.namespace('a:b')).toThrow(expect.objectContaining(code));
    expect(() => cache.namespace('zero', { ttlMs: 0 })).toThrow(expect.objectContaining(code));
    expect(() => cache.namespace('none', { maxEntries: 0 })).toThrow(expect.objectContaining(code));
    const ns = cache.namespace<number>('once');
    expect(() => cache.namespace('once')).toThrow(expect.objectContaining(code));
    await expect(ns.set('', 1)).rejects.toMatchObject(code);
    await expect(ns.set('k', 1, 0)).rejects.toMatchObject(code);
    await expect(ns.getOrLoad('k', () => 1, 1.5)).rejects.toMatchObject(code);
  });
});

describe.skipIf(!hasRedis)(
  hasRedis ? 'createCache (with Redis)' : `createCache (with Redis) — skipped: no Redis at ${REDIS_TEST_URL}`,
  () => {
    /** Two instances sharing Redis under a prefix of their own, subscribed before the test acts. */
    async function twoInstances(env: Record<string, string> = {}) {
      const keyPrefix = `${uniqueName('cbtest:')}:`;
      const make = () => {
        const common = testCommon({ REDIS_URL: REDIS_TEST_URL, ...env });
        const cache = createCache({ common, keyPrefix });
        opened.push(cache);
        return { common, cache };
      };
      const a = make();
      const b = make();
      await Promise.all([a.cache.ping(2000), b.cache.ping(2000)]);
      const raw = new Redis(REDIS_TEST_URL);
      const close = async () => {
        const keys = await raw.keys(`${keyPrefix}*`);
        if (keys.length > 0) await raw.del(...keys);
        raw.disconnect();
      };
      return { a, b, keyPrefix, raw, close };
    }

    /**
     * Reads until `ns` keeps a memory copy: a read racing with the announcement of the write it
     * reads is (rightly) not kept, so the first read right after another instance's `set` may not be.
     */
    async function holdsCopy<T>(ns: CacheNamespace<T>, key: string, value: T) {
      await vi.waitFor(
        async () => {
          expect(await ns.get(key)).toEqual(value);
          expect(ns.peekLocal(key)).toEqual(value);
        },
        { timeout: 2000, interval: 10 },
      );
    }

    test('default: a value loaded by one instance is an L2 hit on the other', async () => {
      const { a, b, close } = await twoInstances();
      try {
        const na = a.cache.namespace<{ n: bigint }>('shared');
        const nb = b.cache.namespace<{ n: bigint }>('shared');
        expect(a.cache.redisEnabled).toBe(true);
        expect(await na.getOrLoad('k', async () => ({ n: 2n ** 70n }))).toEqual({ n: 2n ** 70n });
        const loaderB = vi.fn(async () => ({ n: 0n }));
        expect(await nb.getOrLoad('k', loaderB)).toEqual({ n: 2n ** 70n });
        expect(loaderB).not.toHaveBeenCalled();
        expect(nb.peekLocal('k')).toEqual({ n: 2n ** 70n });

        const level = (common: Common, lvl: string, result: string) =>
          metricValue(common, 'cb_cache_requests_total', { cache: 'shared', level: lvl, result });
        expect(await level(a.common, 'redis', 'miss')).toBe(1);
        expect(await level(b.common, 'memory', 'miss')).toBe(1);
        expect(await level(b.common, 'redis', 'hit')).toBe(1);
      } finally {
        await close();
      }
    });

    test('behavior: entry keys embed the namespace version, which INCR bumps', async () => {
      const { a, keyPrefix, raw, close } = await twoInstances();
      try {
        const ns = a.cache.namespace<number>('versioned');
        await ns.set('k', 1);
        expect(await raw.get(`${keyPrefix}versioned:v0:k`)).toBe('1');
        const pttl = await raw.pttl(`${keyPrefix}versioned:v0:k`);
        expect(pttl).toBeGreaterThan(0);
        expect(pttl).toBeLessThanOrEqual(60_000);
        await ns.invalidateAll();
        expect(await raw.get(`${keyPrefix}versioned:version`)).toBe('1');
        await ns.set('k', 2);
        expect(await raw.get(`${keyPrefix}versioned:v1:k`)).toBe('2');
      } finally {
        await close();
      }
    });

    test('behavior: invalidateAll on one instance drops the namespace on both', async () => {
      const { a, b, close } = await twoInstances();
      try {
        const na = a.cache.namespace<string>('ballots');
        const nb = b.cache.namespace<string>('ballots');
        const otherB = b.cache.namespace<string>('other');
        await na.getOrLoad('p1', async () => 'tally-1');
        await nb.getOrLoad('p1', async () => 'unused');
        await nb.getOrLoad('p2', async () => 'tally-2');
        await otherB.set('x', 'kept');
        expect(nb.peekLocal('p1')).toBe('tally-1');

        await na.invalidateAll();
        expect(na.peekLocal('p1')).toBeUndefined();
        await vi.waitFor(() => expect(nb.peekLocal('p1')).toBeUndefined(), { timeout: 2000, interval: 10 });
        expect(nb.peekLocal('p2')).toBeUndefined();
        expect(otherB.peekLocal('x')).toBe('kept');

        // Neither instance reaches the old entries in Redis any more.
        expect(await nb.getOrLoad('p1', async () => 'tally-1b')).toBe('tally-1b');
        expect(await na.getOrLoad('p1', async () => 'unused')).toBe('tally-1b');
        expect(
          await metricValue(b.common, 'cb_cache_evictions_total', {
            cache: 'ballots',
            reason: 'invalidated',
          }),
        ).toBe(2);
      } finally {
        await close();
      }
    });

    test('behavior: delete on one instance reaches the other through pub/sub', async () => {
      const { a, b, close } = await twoInstances();
      try {
        const na = a.cache.namespace<number>('power');
        const nb = b.cache.namespace<number>('power');
        await na.getOrLoad('alice', async () => 10);
        await nb.getOrLoad('alice', async () => 0);
        await nb.getOrLoad('bob', async () => 20);
        expect(nb.peekLocal('alice')).toBe(10);

        await na.delete('alice');
        await vi.waitFor(() => expect(nb.peekLocal('alice')).toBeUndefined(), {
          timeout: 2000,
          interval: 10,
        });
        expect(nb.peekLocal('bob')).toBe(20);
        expect(await nb.getOrLoad('alice', async () => 11)).toBe(11);
      } finally {
        await close();
      }
    });

    test('behavior: set on one instance replaces the value the other serves', async () => {
      const { a, b, close } = await twoInstances();
      try {
        const na = a.cache.namespace<number>('settings');
        const nb = b.cache.namespace<number>('settings');
        await na.set('limit', 1);
        await holdsCopy(nb, 'limit', 1);
        await na.set('limit', 2);
        await vi.waitFor(() => expect(nb.peekLocal('limit')).toBeUndefined(), {
          timeout: 2000,
          interval: 10,
        });
        expect(await nb.get('limit')).toBe(2);
      } finally {
        await close();
      }
    });

    test('behavior: a copy taken from Redis does not outlive the entry there', async () => {
      const { a, b, close } = await twoInstances();
      try {
        const na = a.cache.namespace<string>('brief');
        const nb = b.cache.namespace<string>('brief');
        await na.set('k', 'v', 300);
        await holdsCopy(nb, 'k', 'v');
        await sleep(350);
        expect(nb.peekLocal('k')).toBeUndefined();
      } finally {
        await close();
      }
    });

    test('behavior: close quits both connections and the namespace keeps serving memory', async () => {
      const { a, keyPrefix, raw, close } = await twoInstances();
      try {
        const ns = a.cache.namespace<number>('closing');
        await ns.set('k', 1);
        const subscribers = async () =>
          ((await raw.pubsub('NUMSUB', `${keyPrefix}invalidate`)) as [string, number])[1];
        expect(await subscribers()).toBe(2);
        await a.cache.close();
        await a.cache.close();
        expect(await subscribers()).toBe(1);
        expect(await ns.get('k')).toBe(1);
        await ns.set('k2', 2); // memory only now: nothing reaches Redis, nothing throws
        expect(await raw.exists(`${keyPrefix}closing:v0:k2`)).toBe(0);
        expect(await metricValue(a.common, 'cb_cache_redis_errors_total')).toBe(0);
      } finally {
        await close();
      }
    });

    test("behavior: deployments on one Redis database, each with its own CB_REDIS_KEY_PREFIX, see neither the other's entries nor its invalidations", async () => {
      const run = uniqueName('cbtest-');
      const [staging, production] = [`${run}-staging:`, `${run}-production:`];
      /** An instance of a deployment: the prefix comes from the setting, as in `cb start`. */
      const instance = (prefix: string) => {
        const cache = createCache({
          common: testCommon({ REDIS_URL: REDIS_TEST_URL, CB_REDIS_KEY_PREFIX: prefix }),
        });
        opened.push(cache);
        return cache;
      };
      const [s1, s2, p1] = [instance(staging), instance(staging), instance(production)];
      const raw = new Redis(REDIS_TEST_URL);
      try {
        await Promise.all([s1.ping(2000), s2.ping(2000), p1.ping(2000)]);
        const [ns1, ns2, np1] = [s1, s2, p1].map((c) => c.namespace<string>('voting-power')) as [
          CacheNamespace<string>,
          CacheNamespace<string>,
          CacheNamespace<string>,
        ];
        await ns1.set('k', 'staging');
        await holdsCopy(ns2, 'k', 'staging'); // the same deployment shares it

        const loader = vi.fn(async () => 'production');
        expect(await np1.getOrLoad('k', loader)).toBe('production');
        expect(loader).toHaveBeenCalledTimes(1); // a miss: staging's entry is not production's
        await np1.delete('k');
        await np1.invalidateAll();

        // Barrier: staging's own message reaches s2 after production's would have (both were
        // published, in this order, before it), so by then s2 would have dropped `k`.
        await ns2.set('barrier', 'x');
        await ns1.delete('barrier');
        await vi.waitFor(() => expect(ns2.peekLocal('barrier')).toBeUndefined(), {
          timeout: 2000,
          interval: 10,
        });
        expect(ns2.peekLocal('k')).toBe('staging');

        expect(await raw.get(`${staging}c:voting-power:v0:k`)).toBe('"staging"');
        expect(await raw.get(`${staging}c:voting-power:version`)).toBeNull();
        expect(await raw.get(`${production}c:voting-power:version`)).toBe('1');
        for (const prefix of [staging, production])
          for (const key of await raw.keys(`${prefix}*`))
            expect(key.startsWith(`${prefix}c:voting-power:`)).toBe(true);
      } finally {
        const keys = await raw.keys(`${run}-*`);
        if (keys.length > 0) await raw.del(...keys);
        raw.disconnect();
      }
    });
  },
);
