import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REDIS_TEST_URL, redisAvailable } from '../../../test/services.ts';
import { createRedisSampler, type RedisSampler } from './create-redis-sampler.ts';
import { counterIncrement, parseRedisInfo } from './parse-redis-info.ts';
import { metricValue, testCommon } from './test-common.ts';
import { createPrivateRedis, type PrivateRedis, redisServerMissing } from './test-redis-server.ts';

const hasRedis = await redisAvailable();
const missing = redisServerMissing();
const samplers: RedisSampler[] = [];
afterEach(async () => {
  await Promise.all(samplers.splice(0).map((s) => s.close()));
});

describe('parseRedisInfo and counterIncrement', () => {
  test('default: fields by name, section headers skipped', () => {
    const info = parseRedisInfo(
      '# Memory\r\nused_memory:1024\r\nmaxmemory:0\r\n\r\n# Clients\r\nmaxclients:10000\r\n',
    );
    expect(Object.fromEntries(info)).toEqual({ used_memory: '1024', maxmemory: '0', maxclients: '10000' });
  });

  test('behavior: the increment is the growth, or the new value after a restart or at the first sample', () => {
    expect(counterIncrement(undefined, 7)).toBe(7);
    expect(counterIncrement(7, 10)).toBe(3);
    expect(counterIncrement(10, 10)).toBe(0);
    expect(counterIncrement(10, 4)).toBe(4);
  });
});

describe.skipIf(!hasRedis)(
  hasRedis ? 'createRedisSampler' : `createRedisSampler — skipped: no Redis at ${REDIS_TEST_URL}`,
  () => {
    test('default: a sample sets the gauges from INFO', async () => {
      const common = testCommon();
      const sampler = createRedisSampler({ common, redisUrl: REDIS_TEST_URL });
      samplers.push(sampler);
      expect(await sampler.sample()).toBe(true);
      const value = (name: string) => metricValue(common, name);
      expect(await value('cb_redis_up')).toBe(1);
      expect(await value('cb_redis_memory_used_bytes')).toBeGreaterThan(0);
      expect(await value('cb_redis_memory_max_bytes')).toBeGreaterThanOrEqual(0);
      expect(await value('cb_redis_connected_clients')).toBeGreaterThanOrEqual(1);
      expect(await value('cb_redis_max_clients')).toBeGreaterThan(0);
      const text = await common.metrics.registry.getSingleMetricAsString('cb_redis_keyspace_hits_total');
      expect(text).toMatch(/^cb_redis_keyspace_hits_total \d+$/m);
    });

    test('behavior: both memory limits are exported as INFO reports them: maxmemory and the host memory', async () => {
      const common = testCommon();
      const sampler = createRedisSampler({ common, redisUrl: REDIS_TEST_URL });
      samplers.push(sampler);
      expect(await sampler.sample()).toBe(true);
      const { Redis } = await import('ioredis');
      const raw = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
      let fields: Map<string, string>;
      try {
        await raw.connect();
        fields = parseRedisInfo(await raw.info('memory'));
      } finally {
        raw.disconnect();
      }
      // RedisMemoryHigh divides by the host's memory when maxmemory is 0 (Redis's default).
      const system = Number(fields.get('total_system_memory'));
      expect(system).toBeGreaterThan(0);
      expect(await metricValue(common, 'cb_redis_total_system_memory_bytes')).toBe(system);
      expect(await metricValue(common, 'cb_redis_memory_max_bytes')).toBe(Number(fields.get('maxmemory')));
    });

    test('behavior: start samples at once and on every interval; close stops it', async () => {
      const common = testCommon();
      const sampler = createRedisSampler({ common, redisUrl: REDIS_TEST_URL, intervalMs: 50 });
      samplers.push(sampler);
      sampler.start();
      await expect.poll(() => metricValue(common, 'cb_redis_up'), { timeout: 2000 }).toBe(1);
      await sampler.close();
      common.metrics.redisUp.set(-1);
      await new Promise((r) => setTimeout(r, 120));
      expect(await metricValue(common, 'cb_redis_up')).toBe(-1);
      expect(await sampler.sample()).toBe(false);
    });
  },
);

describe.skipIf(missing !== undefined)(
  missing
    ? `createRedisSampler (private server) — skipped: ${missing}`
    : 'createRedisSampler (private server)',
  () => {
    let server: PrivateRedis;
    beforeAll(async () => {
      server = await createPrivateRedis();
    });
    afterAll(async () => {
      await server?.dispose();
    });

    test('behavior: counters follow the server, through a restart; cb_redis_up is 0 while it is down', async () => {
      const common = testCommon();
      const sampler = createRedisSampler({ common, redisUrl: server.url, commandTimeoutMs: 300 });
      samplers.push(sampler);
      const misses = () => metricValue(common, 'cb_redis_keyspace_misses_total');
      const hits = () => metricValue(common, 'cb_redis_keyspace_hits_total');
      const raw = server.client();
      try {
        await raw.connect();
        await raw.set('present', '1');
        for (const key of ['a', 'b', 'c']) await raw.get(key);
        await raw.get('present');
        await expect.poll(() => sampler.sample(), { timeout: 2000 }).toBe(true);
        expect(await misses()).toBe(3);
        expect(await hits()).toBe(1);
        // No maxmemory (the default): the host's memory is exported as the limit to divide by.
        expect(await metricValue(common, 'cb_redis_memory_max_bytes')).toBe(0);
        expect(await metricValue(common, 'cb_redis_total_system_memory_bytes')).toBeGreaterThan(0);
        await raw.config('SET', 'maxmemory', String(64 * 1024 * 1024));
        expect(await sampler.sample()).toBe(true);
        expect(await metricValue(common, 'cb_redis_memory_max_bytes')).toBe(64 * 1024 * 1024);

        await raw.get('d');
        expect(await sampler.sample()).toBe(true);
        expect(await misses()).toBe(4);
      } finally {
        raw.disconnect();
      }

      await server.kill();
      expect(await sampler.sample()).toBe(false);
      expect(await metricValue(common, 'cb_redis_up')).toBe(0);

      await server.start(); // a fresh server: its counters start again from 0
      const again = server.client();
      try {
        await again.connect();
        await again.get('e');
        await again.get('f');
      } finally {
        again.disconnect();
      }
      await expect.poll(() => sampler.sample(), { timeout: 10_000, interval: 100 }).toBe(true);
      expect(await metricValue(common, 'cb_redis_up')).toBe(1);
      expect(await misses()).toBe(6);
    });
  },
);
