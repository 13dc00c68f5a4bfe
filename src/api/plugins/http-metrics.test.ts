import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../../../test/until.ts';
import { buildApp } from '../build-app.ts';
import { listen } from '../listen.ts';
import { createTestApi, type TestApi } from '../test-context.ts';

let t: TestApi;

beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => {
  await t?.close();
});

describe('http metrics', () => {
  test('default: in flight while running, back to 0 after; duration observed by pattern and status', async () => {
    const { ctx } = t.context();
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const app = await buildApp(ctx, {
      routes: [
        async (a) => {
          a.get('/v1/slow/:id', { config: { scope: 'public' } }, async () => {
            await released;
            return { ok: true };
          });
        },
      ],
    });
    try {
      const inFlight = async () => (await ctx.metrics.httpRequestsInFlight.get()).values[0]?.value ?? 0;
      const pending = [app.inject({ url: '/v1/slow/1' }), app.inject({ url: '/v1/slow/2' })];
      await until(async () => (await inFlight()) === 2);
      release();
      await Promise.all(pending);
      await until(async () => (await inFlight()) === 0);
      const text = await ctx.metrics.registry.getSingleMetricAsString('cb_http_request_duration_seconds');
      expect(text).toContain(
        'cb_http_request_duration_seconds_count{method="GET",route="/v1/slow/:id",status_code="200"} 2',
      );
    } finally {
      await app.close();
    }
  });

  test('behavior: a request the client aborts leaves no in-flight leak and is counted as 499', async () => {
    const { ctx, logs } = t.context();
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => {
      entered = r;
    });
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const app = await buildApp(ctx, {
      routes: [
        async (a) => {
          a.get('/v1/hang', { config: { scope: 'public' } }, async () => {
            entered();
            await released;
            return { late: true };
          });
        },
      ],
    });
    try {
      const url = new URL(await listen(app, { host: '127.0.0.1', port: 0 }));
      const socket = connect(Number(url.port), url.hostname);
      socket.on('error', () => {});
      socket.write(`GET /v1/hang HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      await handlerEntered;
      const inFlight = async () => (await ctx.metrics.httpRequestsInFlight.get()).values[0]?.value ?? 0;
      expect(await inFlight()).toBe(1);
      socket.destroy();
      await until(async () => (await inFlight()) === 0);
      release(); // the handler finishing afterwards must not decrement again
      await new Promise((r) => setTimeout(r, 50));
      expect(await inFlight()).toBe(0);
      const text = await ctx.metrics.registry.getSingleMetricAsString('cb_http_request_duration_seconds');
      expect(text).toContain(
        'cb_http_request_duration_seconds_count{method="GET",route="/v1/hang",status_code="499"} 1',
      );
      expect(text).not.toContain('route="/v1/hang",status_code="200"');
      const lines = logs
        .lines()
        .filter((l) => l.service === 'api' && String(l.message).startsWith('GET /v1/hang'));
      expect(lines).toEqual([
        expect.objectContaining({ level: 'WARN', message: 'GET /v1/hang aborted by the client' }),
      ]);
    } finally {
      release();
      await app.close();
    }
  });
});
