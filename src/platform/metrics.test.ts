import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createMetrics } from './metrics.ts';

describe('metrics', () => {
  test('behavior: docs/metrics.md lists exactly the declared metrics', async () => {
    const metrics = createMetrics();
    const declared = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => !n.startsWith('cb_process_') && !n.startsWith('cb_nodejs_'))
      .sort();
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(cb_[a-z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(declared);
  });

  test('behavior: every process metric named in the docs, runbooks and dashboards exists', async () => {
    const names = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const root = new URL('../../', import.meta.url);
    const files = [
      'docs/metrics.md',
      ...readdirSync(new URL('docs/runbooks/', root)).map((f) => `docs/runbooks/${f}`),
      ...readdirSync(new URL('deploy/grafana/', root))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `deploy/grafana/${f}`),
    ];
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(new URL(file, root), 'utf8');
      for (const [name] of text.matchAll(/\bcb_(?:process|nodejs)_[a-z0-9_]*[a-z0-9]/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        if (!names.has(name) && !names.has(base)) missing.push(`${file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("behavior: the listener's, the minter's and the reconciliation's gauges have no sample until set, as docs/metrics.md marks them", async () => {
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
    const marked = [
      ...doc.matchAll(
        /^\| `(cb_[a-z0-9_]+)` \| gauge \((?:listener|minter|reconciliation|audit check|capacity|incidents)\) \|/gm,
      ),
    ]
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
