/**
 * Test helpers: a Common context of real parts (silent logger, own metrics registry) and a reader
 * of metric values from the Prometheus text. Not used in production.
 */
import type { Common } from '../common.ts';
import { loadConfig } from '../config.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createShutdown } from '../shutdown.ts';

/** A Common context; `env` as the process environment would give it (`CB_CACHE_TTL_MS`…). */
export function testCommon(env: Record<string, string> = {}): Common {
  const logger = createSilentLogger();
  return {
    config: loadConfig(env),
    logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: 1000, logger }),
  };
}

/** Sum of the samples of `name` whose labels include `labels` (0 when there are none). */
export async function metricValue(
  common: Common,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await common.metrics.registry.getSingleMetricAsString(name);
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const present = new Map(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]] as const),
    );
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

/** The value of the unlabelled metric `name`, or undefined when it has no sample (an unset ownedGauge). */
export async function metricSample(common: Common, name: string): Promise<number | undefined> {
  const text = await common.metrics.registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
