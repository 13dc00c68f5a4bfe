import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import {
  createMetrics,
  HTTP_ERROR_STATUS_REGEX,
  HTTP_PROBE_ROUTE_REGEX,
  isHttpErrorStatus,
  isHttpProbeRoute,
} from '../platform/metrics.ts';
import type { HealthItem } from './health-report.ts';
import { createHealthSummary } from './health-summary.ts';

const summaryOf = (metrics: ReturnType<typeof createMetrics>) =>
  createHealthSummary({ metrics, readiness: async () => ({ ready: true, checks: {}, errors: {} }) });

const item = (items: HealthItem[], id: string) => items.find((i) => i.id === id) as HealthItem;

describe('health summary', () => {
  test('behavior: the API error rate counts what ApiErrorRateHigh counts: 5xx, 408 and 499, not 429 or other 4xx', async () => {
    const metrics = createMetrics();
    const health = summaryOf(metrics);
    await health.sample();
    const observe = (status_code: string, n: number) => {
      for (let i = 0; i < n; i++)
        metrics.httpRequestDuration.observe({ method: 'POST', route: '/v1/events', status_code }, 0.01);
    };
    observe('200', 89);
    observe('500', 1);
    observe('503', 1);
    observe('408', 1);
    observe('499', 1);
    observe('429', 5);
    observe('404', 2);
    // Probes are not the API, whatever they answer.
    metrics.httpRequestDuration.observe({ method: 'GET', route: '/readyz', status_code: '503' }, 0.01);
    const { items } = await health.report();
    // 4 errors of 100 API requests; 5xx alone are 2.
    expect(item(items, 'api.error_rate')).toMatchObject({ value: 0.04, threshold: 0.01, status: 'breach' });
    expect(item(items, 'api.error_rate').label).toBe('API error rate (5xx, 408 and 499)');
    expect(item(items, 'api.5xx_rate')).toMatchObject({ value: 0.02 });
  });

  test('behavior: the bounce rate is of all sessions, whatever page type they landed on (BounceRateHigh judges each type)', async () => {
    const metrics = createMetrics();
    const health = summaryOf(metrics);
    await health.sample();
    metrics.frontendSessions.inc({ outcome: 'bounced', page_type: 'proposal' }, 9);
    metrics.frontendSessions.inc({ outcome: 'engaged', page_type: 'proposal' }, 1);
    metrics.frontendSessions.inc({ outcome: 'bounced', page_type: 'home' }, 3);
    metrics.frontendSessions.inc({ outcome: 'engaged', page_type: 'home' }, 7);
    const { items } = await health.report();
    expect(item(items, 'web.bounce_rate')).toMatchObject({ value: 0.6, threshold: null, status: 'ok' });
  });

  test('behavior: the API figures count the requests the alerts count: every route but the probes, RUM beacons, unknown paths and console pages included', async () => {
    const metrics = createMetrics();
    let now = 0;
    const health = createHealthSummary({
      metrics,
      readiness: async () => ({ ready: true, checks: {}, errors: {} }),
      now: () => now,
    });
    await health.sample();
    const observe = (route: string, status_code: string, n: number, seconds: number) => {
      for (let i = 0; i < n; i++)
        metrics.httpRequestDuration.observe({ method: 'GET', route, status_code }, seconds);
    };
    observe('/v1/events', '200', 80, 0.1);
    observe('/v1/events', '408', 2, 0.1);
    observe('/v1/rum', '503', 2, 0.1);
    observe('unmatched', '404', 10, 0.1);
    observe('/openapi.json', '200', 4, 0.1);
    observe('/*', '200', 2, 0.1);
    // Probes: slow and failing, and none of it shows.
    observe('/readyz', '503', 50, 5);
    observe('/healthz', '500', 50, 5);
    observe('/metrics', '500', 10, 5);
    now = 60_000;
    const { items } = await health.report();
    // 100 requests in the minute; errors: the two 408s and the two 503s of /v1/rum.
    expect(item(items, 'api.throughput').value).toBe(100);
    expect(item(items, 'api.error_rate').value).toBe(0.04);
    expect(item(items, 'api.5xx_rate').value).toBe(0.02);
    expect(item(items, 'api.mean').value).toBeCloseTo(0.1, 9);
    expect(item(items, 'api.p95').value).toBeLessThanOrEqual(0.1);
  });

  test('behavior: 429s alone are no error', async () => {
    const metrics = createMetrics();
    const health = summaryOf(metrics);
    await health.sample();
    for (let i = 0; i < 50; i++)
      metrics.httpRequestDuration.observe(
        { method: 'POST', route: '/v1/events', status_code: i % 2 ? '429' : '202' },
        0.01,
      );
    const { items } = await health.report();
    expect(item(items, 'api.error_rate')).toMatchObject({ value: 0, status: 'ok' });
  });

  test('behavior: one definition of an error and of the API requests: the alert rules match HTTP_ERROR_STATUS_REGEX and HTTP_PROBE_ROUTE_REGEX verbatim', () => {
    const doc = YAML.parse(
      readFileSync(new URL('../../deploy/prometheus/rules/api.yml', import.meta.url), 'utf8'),
    ) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    const errors = rules.find((r) => r.record === 'cb:http_errors:ratio_rate5m');
    expect(errors?.expr).toContain(`status_code=~"${HTTP_ERROR_STATUS_REGEX}"`);
    // One definition of the API's requests too: every recording over the HTTP histogram leaves out
    // exactly HTTP_PROBE_ROUTE_REGEX and selects no other route, as the health page does.
    const httpRecordings = rules.filter(
      (r) => r.record?.startsWith('cb:http_') && r.expr.includes('cb_http_request_duration_seconds'),
    );
    const alerted = [
      'cb:http_requests:rate5m',
      'cb:http_request_duration_seconds:mean_5m',
      'cb:http_request_duration_seconds:p95_5m',
      'cb:http_errors:ratio_rate5m',
      'cb:http_5xx:ratio_rate5m',
    ];
    expect(httpRecordings.map((r) => r.record)).toEqual(expect.arrayContaining(alerted));
    for (const r of httpRecordings) {
      const selectors = [...r.expr.matchAll(/cb_http_request_duration_seconds\w*\{([^}]*)\}/g)];
      expect(selectors.length, r.record).toBeGreaterThan(0);
      for (const [, labels] of selectors) {
        const routeMatchers = [...(labels ?? '').matchAll(/route\s*(!~|=~|!=|=)\s*"([^"]*)"/g)];
        expect(
          routeMatchers.map(([, op, value]) => `${op}${value}`),
          r.record,
        ).toEqual([`!~${HTTP_PROBE_ROUTE_REGEX}`]);
      }
    }
    for (const [alert, recording] of [
      ['ApiErrorRateHigh', 'cb:http_errors:ratio_rate5m'],
      ['Api5xxRateHigh', 'cb:http_5xx:ratio_rate5m'],
      ['ApiLatencyMeanHigh', 'cb:http_request_duration_seconds:mean_5m'],
      ['ApiLatencyP95High', 'cb:http_request_duration_seconds:p95_5m'],
    ])
      expect(rules.find((r) => r.alert === alert)?.expr, alert).toContain(recording);
    // Anchored as PromQL anchors it: only the probes themselves.
    expect(['/metrics', '/healthz', '/readyz'].map(isHttpProbeRoute)).toEqual([true, true, true]);
    expect(
      ['/v1/metrics', '/metricsx', '/readyz/x', '/v1/rum', 'unmatched', ''].map(isHttpProbeRoute),
    ).toEqual([false, false, false, false, false, false]);
    expect(rules.find((r) => r.alert === 'ApiErrorRateHigh')?.expr).toContain('cb:http_errors:ratio_rate5m');
    // PromQL anchors a regex match; isHttpErrorStatus does too.
    expect(['500', '502', '599', '408', '499', 503].map(isHttpErrorStatus)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['429', '404', '400', '200', '4080', '1500', '50'].map(isHttpErrorStatus)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  test('behavior: Redis memory is of maxmemory, or of the host memory when maxmemory is 0 (as RedisMemoryHigh)', async () => {
    const metrics = createMetrics();
    const health = summaryOf(metrics);
    // No Redis sampled: no data, not 0 %.
    expect(item((await health.report()).items, 'cache.redis_memory')).toMatchObject({
      value: null,
      status: 'no_data',
    });
    metrics.redisMemoryUsed.set(8e8);
    metrics.redisMemoryMax.set(0);
    metrics.redisTotalSystemMemory.set(1e9);
    expect(item((await health.report()).items, 'cache.redis_memory')).toMatchObject({
      value: 0.8,
      threshold: 0.75,
      status: 'breach',
    });
    metrics.redisMemoryMax.set(2e9);
    expect(item((await health.report()).items, 'cache.redis_memory')).toMatchObject({
      value: 0.4,
      status: 'ok',
    });
  });
});
