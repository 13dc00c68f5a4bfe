import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Common } from '../common.ts';
import { createLogger } from '../logger.ts';
import { type Cache, createCache } from './create-cache.ts';
import { metricValue, testCommon } from './test-common.ts';
import { createPrivateRedis, type PrivateRedis, redisServerMissing } from './test-redis-server.ts';

const missing = redisServerMissing();

describe.skipIf(missing !== undefined)(
  missing ? `createCache (Redis outage) — skipped: ${missing}` : 'createCache (Redis outage)',
  () => {
    let server: PrivateRedis;
    const opened: Cache[] = [];

    beforeAll(async () => {
      server = await createPrivateRedis();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()));
      await server.start().catch(() => {}); // a test that failed mid-outage leaves it down
    });
    afterAll(async () => {
      await server?.dispose();
    });

    async function instance(): Promise<{ cache: Cache; common: Common }> {
      const common = testCommon({ REDIS_URL: server.url });
      const cache = createCache({ common, commandTimeoutMs: 300 });
      opened.push(cache);
      await cache.ping(2000);
      return { cache, common };
    }

    const errors = (common: Common, cache: string) =>
      metricValue(common, 'cb_cache_redis_errors_total', { cache });

    /** Until both connections of `cache` are back (subscribed, PING answered). */
    const back = (cache: Cache) => vi.waitFor(() => cache.ping(300), { timeout: 10_000, interval: 50 });

    test('behavior: while Redis is down the loader serves, errors are counted; when it is back L2 is used again', async () => {
      const a = await instance();
      const b = await instance();
      const na = a.cache.namespace<string>('profiles');
      const nb = b.cache.namespace<string>('profiles');
      await na.getOrLoad('k1', async () => 'v1');
      expect(await nb.getOrLoad('k1', async () => 'unused')).toBe('v1');

      await server.kill();
      await expect(a.cache.ping(300)).rejects.toMatchObject({
        name: 'UnavailableError',
        code: 'CB_REDIS_UNAVAILABLE',
        retryable: true,
      });

      const loader = vi.fn(async () => 'v2');
      expect(await na.getOrLoad('k2', loader)).toBe('v2');
      expect(await na.getOrLoad('k2', loader)).toBe('v2'); // L1 keeps serving
      expect(loader).toHaveBeenCalledTimes(1);
      expect(await na.get('k1')).toBe('v1');
      expect(await na.get('missing')).toBeUndefined();
      await na.set('k3', 'v3');
      await na.delete('k3');
      await na.invalidateAll();
      expect(await errors(a.common, 'profiles')).toBeGreaterThanOrEqual(4);

      await server.start();
      await Promise.all([back(a.cache), back(b.cache)]);
      // Invalidations may have been missed while cut off: B's copy from before the outage is gone.
      expect(nb.peekLocal('k1')).toBeUndefined();

      const before = await metricValue(b.common, 'cb_cache_requests_total', {
        cache: 'profiles',
        level: 'redis',
        result: 'hit',
      });
      expect(await na.getOrLoad('k4', async () => 'v4')).toBe('v4');
      const loaderB = vi.fn(async () => 'unused');
      expect(await nb.getOrLoad('k4', loaderB)).toBe('v4');
      expect(loaderB).not.toHaveBeenCalled();
      expect(
        await metricValue(b.common, 'cb_cache_requests_total', {
          cache: 'profiles',
          level: 'redis',
          result: 'hit',
        }),
      ).toBe(before + 1);
    });

    test('behavior: an invalidation that failed while Redis was down is replayed when it is back', async () => {
      const a = await instance();
      const b = await instance();
      const na = a.cache.namespace<string>('tallies');
      const nb = b.cache.namespace<string>('tallies');
      await na.set('p1', 'old');
      await na.set('p2', 'old');
      await server.save(); // the restarted server comes back holding 'old'
      await server.kill();

      await na.delete('p1');
      expect(await errors(a.common, 'tallies')).toBeGreaterThanOrEqual(1);
      // Until the delete reaches Redis, this key skips it: the loader answers.
      expect(await na.getOrLoad('p1', async () => 'new')).toBe('new');

      await server.start();
      await Promise.all([back(a.cache), back(b.cache)]);
      const raw = server.client();
      try {
        await vi.waitFor(async () => expect(await raw.exists('cb:c:tallies:v0:p1')).toBe(0), {
          timeout: 5000,
          interval: 20,
        });
        expect(await raw.exists('cb:c:tallies:v0:p2')).toBe(1);
      } finally {
        raw.disconnect();
      }
      expect(await nb.getOrLoad('p1', async () => 'fresh')).toBe('fresh');
      expect(await nb.get('p2')).toBe('old');
    });

    test('behavior: a namespace bump that failed while Redis was down is replayed when it is back', async () => {
      const a = await instance();
      const na = a.cache.namespace<string>('rules');
      await na.set('r', 'old');
      await server.save();
      await server.kill();
      await na.invalidateAll();
      await server.start();
      await back(a.cache);
      const raw = server.client();
      try {
        await vi.waitFor(async () => expect(await raw.get('cb:c:rules:version')).toBe('1'), {
          timeout: 5000,
          interval: 20,
        });
      } finally {
        raw.disconnect();
      }
      expect(await na.getOrLoad('r', async () => 'new')).toBe('new');
    });

    test('behavior: an instance whose subscriber was cut off drops its memory copies when it is back', async () => {
      const a = await instance();
      const b = await instance();
      const na = a.cache.namespace<string>('members');
      const nb = b.cache.namespace<string>('members');
      await na.getOrLoad('m', async () => 'old');
      expect(await nb.getOrLoad('m', async () => 'unused')).toBe('old');
      const raw = server.client();
      try {
        await raw.connect();
        // Only the subscribers are cut: commands still work, so A's delete succeeds, but its
        // message reaches nobody.
        await raw.client('KILL', 'TYPE', 'pubsub');
        await na.delete('m');
      } finally {
        raw.disconnect();
      }
      await vi.waitFor(() => expect(nb.peekLocal('m')).toBeUndefined(), { timeout: 5000, interval: 20 });
      expect(await nb.getOrLoad('m', async () => 'new')).toBe('new');
    });

    test('behavior: an invalidation Redis refused makes its key skip Redis until it is replayed', async () => {
      const raw = server.client();
      await raw.connect();
      try {
        await raw.acl('SETUSER', 'app', 'on', 'nopass', '~*', '&*', '+@all');
        const common = testCommon({ REDIS_URL: server.url.replace('redis://', 'redis://app:x@') });
        const cache = createCache({ common, commandTimeoutMs: 300 });
        opened.push(cache);
        await cache.ping(2000);
        const ns = cache.namespace<string>('grants');
        await ns.set('g', 'old');

        await raw.acl('SETUSER', 'app', '-del'); // Redis is up, but this delete fails
        await ns.delete('g');
        expect(
          await metricValue(common, 'cb_cache_redis_errors_total', { cache: 'grants', operation: 'delete' }),
        ).toBe(1);
        expect(await raw.get('cb:c:grants:v0:g')).toBe('"old"');
        expect(await ns.getOrLoad('g', async () => 'new')).toBe('new');

        await raw.acl('SETUSER', 'app', '+del');
        await ns.get('other'); // succeeds: the failed delete is replayed
        await vi.waitFor(async () => expect(await raw.exists('cb:c:grants:v0:g')).toBe(0), {
          timeout: 2000,
          interval: 20,
        });
      } finally {
        await raw.acl('DELUSER', 'app').catch(() => {});
        raw.disconnect();
      }
    });

    test('behavior: failures are logged once per interval, not once per request', async () => {
      const lines: Record<string, unknown>[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      });
      const common = {
        ...testCommon({ REDIS_URL: server.url }),
        logger: createLogger({ service: 'test', instance: 'i1', level: 'warn', destination }),
      };
      const cache = createCache({ common, commandTimeoutMs: 300, logEveryMs: 60_000 });
      opened.push(cache);
      await cache.ping(2000);
      const ns = cache.namespace<number>('noisy');
      await server.kill();
      for (let i = 0; i < 25; i++) expect(await ns.getOrLoad(`k${i}`, async () => i)).toBe(i);
      expect(await errors(common, 'noisy')).toBe(25);
      const warnings = lines.filter((l) => String(l.message).startsWith('cache redis operation failed'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 'WARN', context: { cache: 'noisy', operation: 'version' } });
    });

    test('error: ping throws CB_REDIS_UNAVAILABLE when Redis never answers', async () => {
      const common = testCommon({ REDIS_URL: 'redis://127.0.0.1:1' });
      const cache = createCache({ common });
      opened.push(cache);
      await expect(cache.ping(200)).rejects.toMatchObject({ code: 'CB_REDIS_UNAVAILABLE' });
      const ns = cache.namespace<number>('never');
      expect(await ns.getOrLoad('k', async () => 1)).toBe(1);
      expect(await errors(common, 'never')).toBeGreaterThanOrEqual(1);
    });
  },
);
