import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createDb } from '../../platform/db/create-db.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import type { ReadinessCheck } from '../app-context.ts';
import { buildApp } from '../build-app.ts';
import { databaseReadiness } from '../readiness.ts';
import { createTestApi, type TestApi, type TestContextOptions } from '../test-context.ts';

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

async function start(options: TestContextOptions = {}) {
  const { ctx, logs } = t.context(options);
  const app = await buildApp(ctx);
  apps.push(app);
  return { app, ctx, logs };
}

const failing = (name: string, message: string): ReadinessCheck => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});

describe('GET /healthz', () => {
  test('default: 200 with instance and uptime, no key needed', async () => {
    const { app } = await start();
    const res = await app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'ok', instance: 'test-1' });
    expect(Number.isInteger(body.uptimeSeconds)).toBe(true);
  });

  test('behavior: stays 200 while a dependency is down (it checks none)', async () => {
    const { app } = await start({ readiness: [failing('database', 'down')] });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('GET /readyz', () => {
  test('default: 200 with every check up, and cb_dependency_up set to 1', async () => {
    const { app, ctx } = await start();
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { database: 'up' } });
    const text = await ctx.metrics.registry.getSingleMetricAsString('cb_dependency_up');
    expect(text).toContain('cb_dependency_up{dependency="database"} 1');
  });

  test('error: 503 CB_NOT_READY naming the check that throws, with its message', async () => {
    const { app, ctx } = await start({
      readiness: [databaseReadiness(t.db), failing('redis', 'connect ECONNREFUSED 127.0.0.1:6390')],
    });
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: {
        code: 'CB_NOT_READY',
        message: 'not ready: redis down',
        details: {
          checks: { database: 'up', redis: 'down' },
          errors: { redis: 'connect ECONNREFUSED 127.0.0.1:6390' },
        },
      },
    });
    const text = await ctx.metrics.registry.getSingleMetricAsString('cb_dependency_up');
    expect(text).toContain('cb_dependency_up{dependency="redis"} 0');
    expect(text).toContain('cb_dependency_up{dependency="database"} 1');
  });

  test('error: 503 naming the database when PostgreSQL is unreachable (a real Db and its ping)', async () => {
    const unreachable = await createDb({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/x',
      dataDir: 'memory://',
      poolMax: 1,
      slowQueryMs: 1000,
      logger: createSilentLogger(),
      metrics: createMetrics(),
    });
    try {
      const { app, logs } = await start({ readiness: [databaseReadiness(unreachable)] });
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      const { error } = res.json();
      expect(error.code).toBe('CB_NOT_READY');
      expect(error.message).toBe('not ready: database down');
      expect(error.details.errors.database).toMatch(/^database unreachable: /);
      // A 5xx is logged at ERROR with the reason.
      const line = logs.lines().find((l) => l.message === 'GET /readyz 503');
      expect(line?.level).toBe('ERROR');
      expect(JSON.stringify(line)).toContain('database unreachable');
    } finally {
      await unreachable.close();
    }
  });

  test('behavior: a check that hangs is down after readyTimeoutMs', async () => {
    const hanging: ReadinessCheck = { name: 'rpc', check: () => new Promise(() => {}) };
    const { app } = await start({ readiness: [hanging], config: { readyTimeoutMs: 50 } });
    const t0 = performance.now();
    const res = await app.inject({ url: '/readyz' });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.statusCode).toBe(503);
    expect(res.json().error.details.errors).toEqual({ rpc: 'no answer within 50 ms' });
  });

  test('behavior: concurrent probes share one round of checks', async () => {
    let calls = 0;
    const slow: ReadinessCheck = {
      name: 'database',
      check: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 30));
      },
    };
    const { app } = await start({ readiness: [slow] });
    const replies = await Promise.all(Array.from({ length: 5 }, () => app.inject({ url: '/readyz' })));
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(calls).toBe(1);
  });

  test('behavior: 503 CB_SHUTTING_DOWN once shutdown has begun', async () => {
    const { app, ctx } = await start();
    await ctx.shutdown.run('test');
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('CB_SHUTTING_DOWN');
  });
});

describe('GET /metrics', () => {
  test('default: Prometheus text with the HTTP histogram labelled by route pattern', async () => {
    const { ctx } = t.context();
    const app = await buildApp(ctx, {
      routes: [
        async (a) => {
          a.get('/v1/things/:id', { config: { scope: 'public' } }, async () => ({ ok: true }));
        },
      ],
    });
    apps.push(app);
    await app.inject({ url: '/v1/things/42' });
    await app.inject({ url: '/v1/things/43' });
    await app.inject({ url: '/no/such/route/7' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain(
      'cb_http_request_duration_seconds_count{method="GET",route="/v1/things/:id",status_code="200"} 2',
    );
    expect(res.body).toContain(
      'cb_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1',
    );
    expect(res.body).not.toContain('/v1/things/42');
    expect(res.body).not.toContain('/no/such/route');
    // The scrape itself is in flight while the text is rendered.
    expect(res.body).toMatch(/cb_http_requests_in_flight 1\n/);
    expect(res.body).toContain('cb_process_');
  });
});

describe('GET /openapi.json', () => {
  test('default: an OpenAPI 3 document listing every route, with the API-key security scheme', async () => {
    const { ctx } = t.context();
    const app = await buildApp(ctx, {
      routes: [
        async (a) => {
          a.post(
            '/v1/events',
            {
              config: { scope: 'events:write' },
              schema: {
                summary: 'Post events.',
                body: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] },
              },
            },
            async () => ({ accepted: 1 }),
          );
        },
      ],
    });
    apps.push(app);
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('cb platform API');
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/healthz', '/metrics', '/openapi.json', '/readyz', '/v1/events', '/v1/whoami'].sort(),
    );
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKeyBearer', 'apiKeyHeader']);
    const events = doc.paths['/v1/events'].post;
    expect(events.security).toEqual([{ apiKeyBearer: [] }, { apiKeyHeader: [] }]);
    expect(events['x-cb-scope']).toBe('events:write');
    expect(events.requestBody.content['application/json'].schema.required).toEqual(['type']);
    expect(events.responses.default.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorReply',
    });
    expect(doc.paths['/healthz'].get.security).toBeUndefined();
    expect(doc.components.schemas.ErrorReply.properties.error.required).toEqual(['code', 'message']);
  });
});
