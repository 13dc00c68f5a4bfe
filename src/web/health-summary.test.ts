import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { createMetrics, HTTP_ERROR_STATUS_REGEX, isHttpErrorStatus } from '../platform/metrics.ts';
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

  test('behavior: one definition of an error: the alert rule matches HTTP_ERROR_STATUS_REGEX verbatim', () => {
    const doc = YAML.parse(
      readFileSync(new URL('../../deploy/prometheus/rules/api.yml', import.meta.url), 'utf8'),
    ) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    const errors = rules.find((r) => r.record === 'cb:http_errors:ratio_rate5m');
    expect(errors?.expr).toContain(`status_code=~"${HTTP_ERROR_STATUS_REGEX}"`);
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
