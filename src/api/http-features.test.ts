import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { deleteRedisKeys, REDIS_TEST_URL, redisAvailable, uniqueName } from '../../test/services.ts';
import { loadConfig } from '../platform/config.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { closeRedis, createRedis } from '../platform/redis.ts';
import { type BuildAppOptions, buildApp } from './build-app.ts';
import { createTestApi, type TestApi, type TestContextOptions } from './test-context.ts';

let t: TestApi;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  t = await createTestApi();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(async () => {
  await t?.close();
});

const routes: BuildAppOptions['routes'] = [
  async (a) => {
    a.get<{ Querystring: { size: string } }>(
      '/v1/blob',
      { config: { scope: 'public' } },
      async (request) => ({
        data: 'x'.repeat(Number(request.query.size)),
      }),
    );
    a.get('/v1/mine', { config: { scope: 'events:write' } }, async () => ({ ok: true }));
  },
];

async function start(options: TestContextOptions = {}, extra: BuildAppOptions = {}) {
  const { ctx } = t.context(options);
  const app = await buildApp(ctx, { routes, ...extra });
  apps.push(app);
  return app;
}

describe('compression', () => {
  test('default: large replies are compressed with br or gzip as the client accepts', async () => {
    const app = await start();
    const br = await app.inject({ url: '/v1/blob?size=5000', headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString()).data).toHaveLength(5000);
    const gzip = await app.inject({ url: '/v1/blob?size=5000', headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString()).data).toHaveLength(5000);
  });

  test('behavior: small replies, and clients that accept no encoding, get identity', async () => {
    const app = await start();
    const small = await app.inject({ url: '/v1/blob?size=100', headers: { 'accept-encoding': 'br, gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.json().data).toHaveLength(100);
    const plain = await app.inject({ url: '/v1/blob?size=5000' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json().data).toHaveLength(5000);
    const deflateOnly = await app.inject({
      url: '/v1/blob?size=5000',
      headers: { 'accept-encoding': 'deflate' },
    });
    expect(deflateOnly.headers['content-encoding']).toBeUndefined();
  });

  test('behavior: the threshold comes from config.compressThresholdBytes', async () => {
    const app = await start({ config: { compressThresholdBytes: 50 } });
    const res = await app.inject({ url: '/v1/blob?size=100', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
  });
});

describe('CORS', () => {
  test('default: off when no origin is configured', async () => {
    const app = await start();
    const res = await app.inject({ url: '/v1/blob?size=1', headers: { origin: 'https://app.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/mine',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.json().error.code).toBe('CB_ROUTE_NOT_FOUND');
  });

  test('behavior: listed origins are allowed, others not; preflights need no key', async () => {
    const app = await start({ config: { corsOrigins: ['https://app.example'] } });
    const ok = await app.inject({ url: '/v1/blob?size=1', headers: { origin: 'https://app.example' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(ok.headers['access-control-expose-headers'])).toContain('traceparent');
    const other = await app.inject({ url: '/v1/blob?size=1', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/mine',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('Authorization');
    const refused = await app.inject({
      method: 'OPTIONS',
      url: '/v1/mine',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    // Answered (no key needed) but without Allow-Origin, so the browser refuses the real request.
    expect(refused.statusCode).toBe(204);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('behavior: `*` allows any origin', async () => {
    const app = await start({ config: { corsOrigins: ['*'] } });
    const res = await app.inject({ url: '/v1/blob?size=1', headers: { origin: 'https://anyone.example' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('rate limit (in memory)', () => {
  test('error: over the limit is 429 CB_RATE_LIMITED with Retry-After', async () => {
    const app = await start({ config: { rateLimitMax: 2, rateLimitWindowMs: 60_000 } });
    expect((await app.inject({ url: '/v1/blob?size=1' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/blob?size=1' })).statusCode).toBe(200);
    const res = await app.inject({ url: '/v1/blob?size=1' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.json()).toEqual({
      error: {
        code: 'CB_RATE_LIMITED',
        message: 'rate limit of 2 requests exceeded; retry in 1 minute',
        details: { limit: 2, retryAfterSeconds: 60 },
      },
    });
  });

  test('behavior: counted per API key when one is valid, per IP otherwise', async () => {
    const app = await start({ config: { rateLimitMax: 1 } });
    const a = await t.apiKeys.create({ name: uniqueName('rl-a-'), scopes: ['events:write'] });
    const b = await t.apiKeys.create({ name: uniqueName('rl-b-'), scopes: ['events:write'] });
    const get = (key?: string) =>
      app.inject({ url: '/v1/mine', headers: key ? { 'x-api-key': key } : {} }).then((r) => r.statusCode);
    expect(await get(a.key)).toBe(200);
    expect(await get(a.key)).toBe(429);
    expect(await get(b.key)).toBe(200); // same IP, another key
    expect(await get()).toBe(401); // the IP's own budget: spent on this 401
    expect(await get()).toBe(429);
  });

  test("behavior: behind a trusted proxy the per-IP budget is the client's (X-Forwarded-For); from any other peer the header is ignored", async () => {
    // inject's peer is 127.0.0.1: the proxy when it is trusted.
    const viaProxy = (app: Awaited<ReturnType<typeof start>>, client: string) =>
      app
        .inject({ url: '/v1/mine', headers: { 'x-forwarded-for': client }, remoteAddress: '127.0.0.1' })
        .then((r) => r.statusCode);
    for (const trustProxy of [['127.0.0.1'], ['127.0.0.0/8', '::1'], 1] as const) {
      const app = await start({ config: { rateLimitMax: 1, trustProxy } });
      expect(await viaProxy(app, '203.0.113.5')).toBe(401);
      expect(await viaProxy(app, '203.0.113.5')).toBe(429);
      expect(await viaProxy(app, '203.0.113.6')).toBe(401); // another client behind the same proxy
    }
    for (const trustProxy of [false, ['10.0.0.0/8']] as const) {
      const app = await start({ config: { rateLimitMax: 1, trustProxy } });
      expect(await viaProxy(app, '203.0.113.5')).toBe(401);
      expect(await viaProxy(app, '203.0.113.6')).toBe(429); // the header is not believed: one peer
    }
  });

  test('behavior: probes are never limited; unknown routes are', async () => {
    const app = await start({ config: { rateLimitMax: 1 } });
    for (let i = 0; i < 3; i++) {
      for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
        expect((await app.inject({ url })).statusCode).toBe(200);
      }
    }
    expect((await app.inject({ url: '/v1/nope' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/nope' })).statusCode).toBe(429);
  });
});

describe('rate limit (Redis)', async () => {
  const hasRedis = await redisAvailable();

  test.skipIf(!hasRedis)('behavior: instances sharing Redis share one budget', async () => {
    const redis = createRedis({ url: REDIS_TEST_URL, name: 'api-test', logger: createSilentLogger() });
    const rateLimitNamespace = uniqueName('cb-test:rl:');
    try {
      // The client fails fast while connecting (no offline queue): wait, or the limit is skipped.
      if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
      const options: TestContextOptions = { config: { rateLimitMax: 3 }, redis };
      const one = await start(options, { rateLimitNamespace });
      const two = await start(options, { rateLimitNamespace });
      const codes: number[] = [];
      for (const app of [one, two, one, two])
        codes.push((await app.inject({ url: '/v1/blob?size=1' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const res = await one.inject({ url: '/v1/blob?size=1' });
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(await redis.keys(`${rateLimitNamespace}*`)).toHaveLength(1);
    } finally {
      await Promise.all(apps.splice(0).map((a) => a.close()));
      await deleteRedisKeys(rateLimitNamespace);
      await closeRedis(redis);
    }
  });

  test.skipIf(!hasRedis)(
    'behavior: deployments on one Redis database, each with its own CB_REDIS_KEY_PREFIX, keep their own budgets',
    async () => {
      const redis = createRedis({ url: REDIS_TEST_URL, name: 'api-test', logger: createSilentLogger() });
      const run = uniqueName('cbtest-');
      const [staging, production] = [`${run}-staging:`, `${run}-production:`];
      try {
        if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
        // The key prefix from the configuration, as in `cb start` (no rateLimitNamespace).
        const deployment = (redisKeyPrefix: string) =>
          start({ config: { redisKeyPrefix, rateLimitMax: 2 }, redis });
        const [s, p] = [await deployment(staging), await deployment(production)];
        const codes: number[] = [];
        for (const app of [s, s, p, p, s])
          codes.push((await app.inject({ url: '/v1/blob?size=1' })).statusCode);
        expect(codes).toEqual([200, 200, 200, 200, 429]);
        expect(await redis.keys(`${staging}ratelimit:*`)).toHaveLength(1);
        expect(await redis.keys(`${production}ratelimit:*`)).toHaveLength(1);
        expect(await redis.keys(`${run}-*`)).toHaveLength(2);
      } finally {
        await Promise.all(apps.splice(0).map((a) => a.close()));
        const keys = await redis.keys(`${run}-*`);
        if (keys.length > 0) await redis.del(...keys);
        await closeRedis(redis);
      }
    },
  );

  test('behavior: with Redis unreachable, requests pass instead of failing (skipOnError)', async () => {
    const down: Redis = createRedis({
      url: 'redis://127.0.0.1:1/0',
      name: 'api-test-down',
      logger: createSilentLogger(),
    });
    try {
      const app = await start({ config: { rateLimitMax: 1 }, redis: down });
      for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/v1/blob?size=1' })).statusCode).toBe(200);
    } finally {
      await Promise.all(apps.splice(0).map((a) => a.close()));
      down.disconnect();
    }
  });
});

describe('load shedding (CB_HTTP_MAX_IN_FLIGHT, CB_HTTP_MAX_QUEUE_MS)', () => {
  test('behavior: at the cap a request is answered 503 CB_OVERLOADED with Retry-After at once; the probes still answer; a slot frees when a request ends', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: BuildAppOptions['routes'] = [
      async (a) => {
        a.get('/v1/slow', { config: { scope: 'public' } }, async () => {
          await gate;
          return { ok: true };
        });
        a.get('/v1/fast', { config: { scope: 'public' } }, async () => ({ ok: true }));
      },
    ];
    const { ctx } = t.context({ config: { httpMaxInFlight: 2 } });
    const app = await buildApp(ctx, { routes: slow });
    apps.push(app);
    const held = [app.inject({ url: '/v1/slow' }), app.inject({ url: '/v1/slow' })];
    await new Promise((r) => setTimeout(r, 50)); // both are in their handler
    const shed = await app.inject({ url: '/v1/fast' });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json().error).toMatchObject({ code: 'CB_OVERLOADED' });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).body).toMatch(
      /^cb_http_requests_shed_total\{reason="in_flight"\} 1$/m,
    );
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^cb_http_requests_in_flight_limit 2$/m);
    release();
    expect((await Promise.all(held)).map((r) => r.statusCode)).toEqual([200, 200]);
    expect((await app.inject({ url: '/v1/fast' })).statusCode).toBe(200);
  });

  test('behavior: while the oldest database request has waited over CB_HTTP_MAX_QUEUE_MS, new requests are answered 503 CB_OVERLOADED; the probes still answer; once the queue drains they pass again', async () => {
    const { ctx } = t.context({ config: { httpMaxInFlight: 0, httpMaxQueueMs: 100 } });
    const app = await buildApp(ctx, { routes });
    apps.push(app);
    expect((await app.inject({ url: '/v1/blob?size=1' })).statusCode).toBe(200);
    // Every connection of the pool held (PGlite has one), and one statement waiting behind them.
    const { db } = ctx;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let holding = 0;
    const held = Array.from({ length: db.poolStats().max }, () =>
      db.transaction(async (tx) => {
        await tx.query('select 1');
        holding++;
        await gate;
      }),
    );
    try {
      await vi.waitFor(() => expect(holding).toBe(db.poolStats().max), { timeout: 5000 });
      const waiting = db.query('select 1');
      await new Promise((r) => setTimeout(r, 50));
      // Not yet over the limit: let in.
      expect(db.poolStats().oldestWaitMs).toBeGreaterThan(0);
      expect((await app.inject({ url: '/v1/blob?size=1' })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(db.poolStats().oldestWaitMs).toBeGreaterThan(100);
      const shed = await app.inject({ url: '/v1/blob?size=1' });
      expect(shed.statusCode).toBe(503);
      expect(shed.headers['retry-after']).toBe('1');
      expect(shed.json().error.code).toBe('CB_OVERLOADED');
      expect(shed.json().error.message).toMatch(
        /wait \d+ ms for the database, over its limit of 100 ms \(CB_HTTP_MAX_QUEUE_MS\)/,
      );
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^cb_http_requests_shed_total\{reason="queue"\} 1$/m);
      expect(metrics).toMatch(/^cb_http_requests_shed_total\{reason="in_flight"\} 0$/m);
      release();
      await Promise.all([...held, waiting]);
      expect(db.poolStats().oldestWaitMs).toBe(0);
      expect((await app.inject({ url: '/v1/blob?size=1' })).statusCode).toBe(200);
    } finally {
      release();
      await Promise.allSettled(held);
    }
  });

  test('default: 512 at once; 0 turns the cap off', async () => {
    expect(loadConfig({}).httpMaxInFlight).toBe(512);
    expect(loadConfig({}).httpMaxQueueMs).toBe(500);
    const { ctx } = t.context({ config: { httpMaxInFlight: 0 } });
    const app = await buildApp(ctx, { routes });
    apps.push(app);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => app.inject({ url: '/v1/blob?size=1' })),
    );
    expect(replies.every((r) => r.statusCode === 200)).toBe(true);
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^cb_http_requests_in_flight_limit 0$/m);
  });
});
