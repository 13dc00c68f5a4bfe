import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CB_VERSION, recordInstanceInfo } from './instance-info.ts';
import { createMetrics } from './metrics.ts';

describe('recordInstanceInfo', () => {
  test('default: exports the role and the version as cb_instance_info 1', async () => {
    const metrics = createMetrics();
    // Before a role starts (a CLI command's registry), there is no series to mistake for a role.
    expect(await metrics.registry.getSingleMetricAsString('cb_instance_info')).not.toMatch(
      /^cb_instance_info\{/m,
    );
    recordInstanceInfo(metrics, 'worker');
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(CB_VERSION).toBe(version);
    expect(await metrics.registry.getSingleMetricAsString('cb_instance_info')).toMatch(
      new RegExp(`^cb_instance_info\\{role="worker",version="${version.replace(/\./g, '\\.')}"\\} 1$`, 'm'),
    );
  });

  test('behavior: a process has one role: a second call replaces the first', async () => {
    const metrics = createMetrics();
    recordInstanceInfo(metrics, 'all');
    recordInstanceInfo(metrics, 'api');
    const lines = (await metrics.registry.getSingleMetricAsString('cb_instance_info'))
      .split('\n')
      .filter((l) => l.startsWith('cb_instance_info{'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('role="api"');
  });
});
