import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createMetrics } from './metrics.ts';

describe('metrics', () => {
  test('behavior: docs/metrics.md lists exactly the declared metrics', async () => {
    const metrics = createMetrics();
    const declared = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => !n.startsWith('cb_process_'))
      .sort();
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(cb_[a-z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(declared);
  });

  test("behavior: the listener's and the minter's gauges have no sample until set, as docs/metrics.md marks them", async () => {
    const metrics = createMetrics();
    const sampled = async () =>
      new Set(
        (await metrics.registry.getMetricsAsJSON()).filter((m) => m.values.length > 0).map((m) => m.name),
      );
    const fresh = await sampled();
    const unsampled = (await metrics.registry.getMetricsAsJSON())
      .filter((m) => String(m.type) === 'gauge' && !fresh.has(m.name))
      .filter(
        (m) =>
          (metrics.registry.getSingleMetric(m.name) as { labelNames?: string[] }).labelNames?.length === 0,
      )
      .map((m) => m.name)
      .sort();
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const marked = [...doc.matchAll(/^\| `(cb_[a-z0-9_]+)` \| gauge \((?:listener|minter)\) \|/gm)]
      .map((m) => m[1])
      .sort();
    expect(unsampled).toEqual(marked);
    expect(marked).toEqual(expect.arrayContaining(['cb_chain_processed_block', 'cb_tx_pending']));

    metrics.txPending.set(2);
    expect(await metrics.registry.getSingleMetricAsString('cb_tx_pending')).toMatch(/^cb_tx_pending 2$/m);
    metrics.txPending.remove();
    expect(await metrics.registry.getSingleMetricAsString('cb_tx_pending')).not.toMatch(/^cb_tx_pending /m);
    // Any other unlabelled gauge keeps prom-client's 0 from the start.
    expect(fresh.has('cb_http_requests_in_flight')).toBe(true);
  });

  test('behavior: names carry the cb_ prefix and a unit or _total', async () => {
    const metrics = createMetrics();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      expect(m.name).toMatch(/^cb_/);
      if (String(m.type) === 'counter') expect(m.name).toMatch(/_total$/);
    }
  });
});
