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

  test('behavior: names carry the cb_ prefix and a unit or _total', async () => {
    const metrics = createMetrics();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      expect(m.name).toMatch(/^cb_/);
      if (String(m.type) === 'counter') expect(m.name).toMatch(/_total$/);
    }
  });
});
