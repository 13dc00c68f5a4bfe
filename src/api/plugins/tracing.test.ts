import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppContext } from '../app-context.ts';
import { buildApp } from '../build-app.ts';
import { listen } from '../listen.ts';
import { type CapturedLogs, createTestApi, type TestApi } from '../test-context.ts';

let t: TestApi;
let app: FastifyInstance;
let ctx: AppContext;
let logs: CapturedLogs;
let key: string;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING = `00-${INCOMING_TRACE}-00f067aa0ba902b7-01`;

beforeAll(async () => {
  t = await createTestApi();
  ({ ctx, logs } = t.context());
  key = (await t.apiKeys.create({ name: 'tracing-suite', scopes: ['events:write'] })).key;
  app = await buildApp(ctx, {
    routes: [
      async (a) => {
        a.get('/v1/hello', { config: { scope: 'public' } }, async () => {
          ctx.logger.info('inside handler', { context: { step: 'get' } });
          return { hello: 'world' };
        });
        a.post('/v1/events', { config: { scope: 'events:write' } }, async (request) => {
          // After a database round trip, still in the request's trace.
          await t.db.query('select 1');
          ctx.logger.info('inside handler', { context: { step: 'post' } });
          return { received: Object.keys(request.body as object).length };
        });
        a.get('/v1/boom', { config: { scope: 'public' } }, async () => {
          throw new Error('kaboom');
        });
      },
    ],
  });
});

afterAll(async () => {
  await app?.close();
  await t?.close();
});

function traceOf(header: string | string[] | number | undefined): { traceId: string; spanId: string } {
  const m = TRACEPARENT.exec(String(header));
  if (!m) throw new Error(`no valid traceparent: ${String(header)}`);
  return { traceId: m[1]!, spanId: m[2]! };
}

const handlerLine = (traceId: string, step: string) =>
  logs
    .lines()
    .find(
      (l) =>
        l.message === 'inside handler' &&
        (l.context as { step?: string }).step === step &&
        l.traceId === traceId,
    );

describe('traceparent', () => {
  test('default: the incoming trace is continued and returned with this hop’s span', async () => {
    const res = await app.inject({ url: '/v1/hello', headers: { traceparent: INCOMING } });
    const { traceId, spanId } = traceOf(res.headers.traceparent);
    expect(traceId).toBe(INCOMING_TRACE);
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(String(res.headers.traceparent).endsWith('-01')).toBe(true);
  });

  test('behavior: a new trace is started when the header is absent', async () => {
    const a = traceOf((await app.inject({ url: '/v1/hello' })).headers.traceparent);
    const b = traceOf((await app.inject({ url: '/v1/hello' })).headers.traceparent);
    expect(a.traceId).not.toBe(b.traceId);
  });

  test('behavior: an invalid header starts a new trace', async () => {
    for (const invalid of [
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `ff-${INCOMING_TRACE}-00f067aa0ba902b7-01`,
    ]) {
      const res = await app.inject({ url: '/v1/hello', headers: { traceparent: invalid } });
      expect(traceOf(res.headers.traceparent).traceId).not.toBe(INCOMING_TRACE);
    }
  });

  test('behavior: error replies carry traceparent too', async () => {
    for (const url of ['/v1/boom', '/v1/missing', '/v1/events']) {
      const res = await app.inject({
        url,
        method: url === '/v1/events' ? 'POST' : 'GET',
        headers: { traceparent: INCOMING },
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(traceOf(res.headers.traceparent).traceId).toBe(INCOMING_TRACE);
    }
  });

  test('behavior: a log line written inside a handler carries the request’s traceId (inject)', async () => {
    const get = traceOf((await app.inject({ url: '/v1/hello' })).headers.traceparent);
    expect(handlerLine(get.traceId, 'get')).toBeDefined();
    const post = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key}`, traceparent: INCOMING },
      payload: { a: 1, b: 2 },
    });
    expect(post.json()).toEqual({ received: 2 });
    expect(handlerLine(INCOMING_TRACE, 'post')).toBeDefined();
  });

  test('behavior: … and over a real socket, where the body arrives in the connection’s context', async () => {
    const server = await buildApp(ctx, {
      routes: [
        async (a) => {
          a.post('/v1/socket', { config: { scope: 'public' } }, async () => {
            ctx.logger.info('inside handler', { context: { step: 'socket' } });
            return { ok: true };
          });
        },
      ],
    });
    try {
      const url = await listen(server, { host: '127.0.0.1', port: 0 });
      const traces: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/v1/socket`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filler: 'x'.repeat(200_000) }),
        });
        expect(res.status).toBe(200);
        traces.push(traceOf(res.headers.get('traceparent') ?? undefined).traceId);
      }
      for (const traceId of traces) expect(handlerLine(traceId, 'socket')).toBeDefined();
    } finally {
      await server.close();
    }
  });
});

describe('access log', () => {
  test('default: one INFO line per request with method, route pattern, status, duration and key name', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events?x=1',
      headers: { 'x-api-key': key },
      payload: { a: 1 },
    });
    const { traceId } = traceOf(res.headers.traceparent);
    const lines = logs.lines().filter((l) => l.traceId === traceId && l.service === 'api');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'POST /v1/events 200',
      instance: 'test-1',
      context: {
        method: 'POST',
        route: '/v1/events',
        statusCode: 200,
        clientIp: '127.0.0.1',
        keyName: 'tracing-suite',
      },
    });
    expect(typeof (lines[0]!.metrics as { durationMs: unknown }).durationMs).toBe('number');
    expect(lines[0]!.userId).toBeUndefined();
  });

  test('behavior: a 5xx is logged at ERROR with the error; probes at DEBUG', async () => {
    const res = await app.inject({ url: '/v1/boom' });
    const { traceId } = traceOf(res.headers.traceparent);
    const line = logs.lines().find((l) => l.traceId === traceId && l.service === 'api');
    expect(line).toMatchObject({ level: 'ERROR', message: 'GET /v1/boom 500' });
    // The error is there whole; the caller-facing message is for refusals only.
    expect((line!.context as { errorMessage?: string }).errorMessage).toBeUndefined();
    expect((line!.context as { error: { message: string } }).error.message).toBe('kaboom');
    const probe = traceOf((await app.inject({ url: '/healthz' })).headers.traceparent);
    expect(logs.lines().find((l) => l.traceId === probe.traceId)?.level).toBe('DEBUG');
  });

  test('behavior: refused credentials and scopes are WARN lines with the client address', async () => {
    const readOnly = (await t.apiKeys.create({ name: 'tracing-read-only', scopes: ['ops:read'] })).key;
    const wrong = await app.inject({
      url: '/v1/events',
      method: 'POST',
      headers: { 'x-api-key': 'cb_not_a_key' },
      payload: {},
      remoteAddress: '203.0.113.9',
    });
    const scope = await app.inject({
      url: '/v1/events',
      method: 'POST',
      headers: { 'x-api-key': readOnly },
      payload: {},
      remoteAddress: '198.51.100.4',
    });
    expect([wrong.statusCode, scope.statusCode]).toEqual([401, 403]);
    const lineOf = (res: { headers: Record<string, unknown> }) =>
      logs.lines().find((l) => l.traceId === traceOf(res.headers.traceparent as string).traceId);
    expect(lineOf(wrong)).toMatchObject({
      level: 'WARN',
      message: 'POST /v1/events 401',
      context: { statusCode: 401, clientIp: '203.0.113.9', errorMessage: wrong.json().error.message },
    });
    expect(wrong.json().error.message).toBeTruthy();
    expect(lineOf(scope)).toMatchObject({
      level: 'WARN',
      message: 'POST /v1/events 403',
      context: {
        statusCode: 403,
        clientIp: '198.51.100.4',
        keyName: 'tracing-read-only',
        errorCode: scope.json().error.code,
        errorMessage: scope.json().error.message,
      },
    });
  });

  test('behavior: keys, headers and bodies never reach the log', async () => {
    const bodySecret = 'body-secret-4f1c9e';
    await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key}`, cookie: 'session=cookie-secret-77' },
      payload: { password: bodySecret, note: key },
    });
    await app.inject({ url: '/v1/whoami', headers: { 'x-api-key': `${key.slice(0, -1)}Z` } });
    const text = logs.text();
    expect(text).not.toContain(key.slice(4));
    expect(text).not.toContain(key.slice(-32, -1));
    expect(text).not.toContain(bodySecret);
    expect(text).not.toContain('cookie-secret-77');
  });
});
