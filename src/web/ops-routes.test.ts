import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { createSlowQueryRecorder } from '../platform/db/slow-queries.ts';
import { BaseError } from '../platform/errors.ts';
import { defineJob } from '../platform/jobs/index.ts';
import { createSilentLogger } from '../platform/logger.ts';
import type { HealthItem, HealthReport } from './health-report.ts';
import { createWebTestApp, type WebTestApp } from './test-support.ts';

const N = (v: unknown) => v as { n: number };
const refusedDef = defineJob({ queue: 'web.refused', payload: N, retryLimit: 0 });

let t: TestApi;
let web: WebTestApp;
let handled = 0;
let healed = false;
const keys: Record<'none' | 'read' | 'write', string> = { none: '', read: '', write: '' };

beforeAll(async () => {
  t = await createTestApi();
  web = await createWebTestApp(t, {
    withJobs: {
      register: (jobs) =>
        jobs.register(refusedDef, () => {
          handled++;
          if (!healed) throw new BaseError('T_REFUSED', 'refused for good', { retryable: false });
        }),
    },
  });
  keys.none = (await t.apiKeys.create({ name: 'web-events', scopes: ['events:write'] })).key;
  keys.read = (await t.apiKeys.create({ name: 'web-ops-read', scopes: ['ops:read'] })).key;
  keys.write = (await t.apiKeys.create({ name: 'web-ops-write', scopes: ['ops:read', 'ops:write'] })).key;
});
afterAll(async () => {
  await web?.close();
  await t?.close();
});

const call = (method: 'GET' | 'POST', url: string, key?: string) =>
  web.app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('ops routes', () => {
  test('error: scopes — no key 401, other scopes 403, ops:read reads but cannot retry', async () => {
    expect((await call('GET', '/v1/ops/queues')).statusCode).toBe(401);
    const other = await call('GET', '/v1/ops/health', keys.none);
    expect(other.statusCode).toBe(403);
    expect(other.json().error).toMatchObject({
      code: 'CB_FORBIDDEN',
      details: { requiredScope: 'ops:read' },
    });
    expect((await call('GET', '/v1/ops/queues', keys.read)).statusCode).toBe(200);
    const retry = await call(
      'POST',
      '/v1/ops/queues/web.refused/dead-letters/00000000-0000-0000-0000-000000000000/retry',
      keys.read,
    );
    expect(retry.statusCode).toBe(403);
    expect(retry.json().error.details.requiredScope).toBe('ops:write');
  });

  test('default: a dead-lettered job is listed, then moved back by an operator and runs', async () => {
    await web.jobs!.send(refusedDef, { n: 42 });
    await vi.waitFor(
      async () =>
        expect(
          (await call('GET', '/v1/ops/queues/web.refused/dead-letters', keys.read)).json().items,
        ).toHaveLength(1),
      { timeout: 10_000, interval: 100 },
    );
    const queues = (await call('GET', '/v1/ops/queues', keys.read)).json().items;
    expect(queues.find((q: { queue: string }) => q.queue === 'web.refused')).toMatchObject({
      deadLetterQueue: 'web.refused.dlq',
      deadLettered: 1,
    });
    const [dead] = (await call('GET', '/v1/ops/queues/web.refused/dead-letters', keys.read)).json().items;
    expect(dead).toMatchObject({ queue: 'web.refused', payload: { n: 42 }, error: { code: 'T_REFUSED' } });
    expect(Date.parse(dead.deadLetteredAt)).not.toBeNaN();

    healed = true;
    const before = handled;
    const retried = await call(
      'POST',
      `/v1/ops/queues/web.refused/dead-letters/${dead.id}/retry`,
      keys.write,
    );
    expect(retried.statusCode).toBe(200);
    expect(retried.json().jobId).toMatch(/^[0-9a-f-]{36}$/);
    await vi.waitFor(() => expect(handled).toBe(before + 1), { timeout: 10_000, interval: 100 });
    expect((await call('GET', '/v1/ops/queues/web.refused/dead-letters', keys.read)).json().items).toEqual(
      [],
    );

    const again = await call('POST', `/v1/ops/queues/web.refused/dead-letters/${dead.id}/retry`, keys.write);
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('CB_JOB_NOT_FOUND');
    const noQueue = await call('GET', '/v1/ops/queues/nope/dead-letters', keys.read);
    expect(noQueue.statusCode).toBe(404);
    expect(noQueue.json().error.code).toBe('CB_JOB_QUEUE_NOT_FOUND');
  });

  test('default: health names each dependency and rates metrics against the seed thresholds', async () => {
    for (let i = 0; i < 20; i++) await call('GET', '/v1/ops/queues', keys.read);
    await call('GET', '/v1/ops/queues/nope/dead-letters', keys.read);
    healed = false;
    await web.jobs!.send(refusedDef, { n: 7 });
    web.metrics.webVital.observe({ name: 'LCP', page: '/' }, 3.2);

    // The jobs sampler refreshes the dead-letter gauge every 100 ms here.
    const report = await vi.waitFor(
      async () => {
        const res = await call('GET', '/v1/ops/health', keys.read);
        expect(res.statusCode).toBe(200);
        const r = res.json() as HealthReport;
        expect(r.items.find((i) => i.id === 'jobs.dead_letters')?.value).toBe(1);
        return r;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(report.dependencies).toEqual({ database: 'up' });
    const item = (id: string) => report.items.find((i) => i.id === id) as HealthItem;
    expect(item('api.p95')).toMatchObject({ unit: 'seconds', threshold: 1, status: 'ok' });
    expect(item('api.p95').value).toBeGreaterThan(0);
    expect(item('api.throughput').value).toBeGreaterThan(0);
    expect(item('jobs.dead_letters')).toMatchObject({ value: 1, threshold: 0, status: 'breach' });
    expect(item('web.lcp_p75')).toMatchObject({ threshold: 2.5, status: 'breach' });
    expect(item('web.lcp_p75').value).toBeGreaterThan(2.5);
    // Nothing reported yet by a chain listener: no data rather than a fake zero.
    expect(item('chain.lag')).toMatchObject({ value: null, status: 'no_data' });
    // Nor by a minter (its gauges have no sample here).
    expect(item('chain.tx_oldest_pending')).toMatchObject({ value: null, status: 'no_data', threshold: 300 });
    expect(item('chain.mint_queue_wait')).toMatchObject({ value: null, status: 'no_data', threshold: 300 });
    expect(item('cache.hit_rate')).toMatchObject({ direction: 'min', threshold: 0.85 });
    expect(report.status).toBe('breach');
  });

  test('behavior: the health window forgets what happened before it', async () => {
    const { createHealthSummary } = await import('./health-summary.ts');
    const { createMetrics } = await import('../platform/metrics.ts');
    const metrics = createMetrics();
    let now = 1_000_000;
    const health = createHealthSummary({
      metrics,
      readiness: async () => ({ ready: true, checks: {}, errors: {} }),
      windowMs: 60_000,
      sampleIntervalMs: 10_000,
      now: () => now,
    });
    const route = { method: 'GET', route: '/v1/x', status_code: '500' };
    for (let i = 0; i < 30; i++) metrics.httpRequestDuration.observe(route, 2);
    await health.sample();
    now += 30_000;
    await health.sample();
    now += 40_000; // the first sample is now outside the 60 s window, the second inside
    for (let i = 0; i < 25; i++) metrics.httpRequestDuration.observe({ ...route, status_code: '200' }, 0.01);
    metrics.txOldestPending.set(420);
    metrics.mintRequestOldestPending.set(3);
    const report = await health.report();
    // The minter's ages are current values, rated against the seed's 5 minutes.
    expect(report.items.find((i) => i.id === 'chain.tx_oldest_pending')).toMatchObject({
      value: 420,
      status: 'breach',
    });
    expect(report.items.find((i) => i.id === 'chain.mint_queue_wait')).toMatchObject({
      value: 3,
      status: 'ok',
    });
    const rate = report.items.find((i) => i.id === 'api.error_rate')!;
    expect(rate.value).toBe(0);
    expect(report.windowSeconds).toBe(40);
    // Too few events in the window: no data rather than a misleading ratio.
    metrics.cacheRequests.inc({ cache: 'c', level: 'memory', result: 'miss' }, 3);
    const sparse = await health.report();
    expect(sparse.items.find((i) => i.id === 'cache.hit_rate')).toMatchObject({
      value: null,
      status: 'no_data',
    });
  });
  test('default: the slow-query log by shape, for ops:read; a bad window is a 400 that says why', async () => {
    const log = createSlowQueryRecorder({ instance: 'cb-route', logger: createSilentLogger() });
    log.record('select ? from route_probe where id = ?', 'select', 750);
    log.record('select ? from route_probe where id = ?', 'select', 250);
    await log.flush(t.db);
    expect((await call('GET', '/v1/ops/db/slow-queries', keys.none)).statusCode).toBe(403);
    const res = await call('GET', '/v1/ops/db/slow-queries?since=7d&limit=200', keys.read);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const probe = res
      .json()
      .items.find((q: { statement: string }) => q.statement === 'select ? from route_probe where id = ?');
    expect(probe).toMatchObject({
      calls: 2,
      totalMs: 1000,
      meanMs: 500,
      maxMs: 750,
      lastInstance: 'cb-route',
    });
    for (const since of ['yesterday', '2999-01-01T00:00:00Z', '5x']) {
      const bad = await call('GET', `/v1/ops/db/slow-queries?since=${since}`, keys.read);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'CB_VALIDATION' });
      expect(bad.json().error.message).toMatch(/since must be a duration/);
    }
  });
});
