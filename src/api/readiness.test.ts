import { describe, expect, test } from 'vitest';
import { until } from '../../test/until.ts';
import { createMetrics } from '../platform/metrics.ts';
import type { ReadinessCheck } from './app-context.ts';
import { runReadiness, startReadinessSampler } from './readiness.ts';

async function up(metrics: ReturnType<typeof createMetrics>, dependency: string) {
  const { values } = await metrics.dependencyUp.get();
  return values.find((v) => v.labels.dependency === dependency)?.value;
}

describe('runReadiness', () => {
  test('behavior: each check up or down, a hung one down at the timeout, messages redacted', async () => {
    const metrics = createMetrics();
    const report = await runReadiness(
      [
        { name: 'database', check: async () => {} },
        { name: 'redis', check: () => Promise.reject(new Error('ECONNREFUSED redis://:s3cret@cache:6379')) },
        { name: 'rpc', check: () => new Promise(() => {}) },
      ],
      50,
      metrics,
    );
    expect(report.ready).toBe(false);
    expect(report.checks).toEqual({ database: 'up', redis: 'down', rpc: 'down' });
    expect(report.errors.rpc).toBe('no answer within 50 ms');
    expect(report.errors.redis).not.toContain('s3cret');
    expect([await up(metrics, 'database'), await up(metrics, 'redis'), await up(metrics, 'rpc')]).toEqual([
      1, 0, 0,
    ]);
  });
});

describe('startReadinessSampler', () => {
  test('behavior: cb_dependency_up is set at once and kept fresh without any /readyz call', async () => {
    const metrics = createMetrics();
    let databaseUp = true;
    const checks: ReadinessCheck[] = [
      {
        name: 'database',
        check: async () => {
          if (!databaseUp) throw new Error('connection refused');
        },
      },
    ];
    const stop = startReadinessSampler(checks, { intervalMs: 30, timeoutMs: 20, metrics });
    try {
      await until(async () => (await up(metrics, 'database')) === 1);
      databaseUp = false;
      await until(async () => (await up(metrics, 'database')) === 0);
      // A check added later (the chain's, once it is set up) joins the next round.
      checks.push({ name: 'rpc', check: async () => {} });
      await until(async () => (await up(metrics, 'rpc')) === 1);
      databaseUp = true;
      await until(async () => (await up(metrics, 'database')) === 1);
    } finally {
      stop();
    }
  });

  test('behavior: a slow round is not doubled; stop ends the rounds', async () => {
    const metrics = createMetrics();
    let started = 0;
    let inFlight = 0;
    let most = 0;
    const stop = startReadinessSampler(
      [
        {
          name: 'database',
          check: async () => {
            started++;
            most = Math.max(most, ++inFlight);
            await new Promise((r) => setTimeout(r, 60));
            inFlight--;
          },
        },
      ],
      { intervalMs: 10, timeoutMs: 1000, metrics },
    );
    await new Promise((r) => setTimeout(r, 200));
    stop();
    const atStop = started;
    await new Promise((r) => setTimeout(r, 150));
    expect(most).toBe(1);
    // Ticks every 10 ms while a round takes 60 ms: without the guard rounds would overlap.
    expect(atStop).toBeGreaterThanOrEqual(1);
    expect(atStop).toBeLessThanOrEqual(4);
    expect(started).toBe(atStop);
  });
});
