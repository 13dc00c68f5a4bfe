/**
 * The job duration thresholds of deploy/prometheus/rules/jobs.yml against the buckets of
 * `cb_job_duration_seconds` as this process exports them: histogram_quantile never answers above
 * the largest finite bucket, so a threshold at or above it is an alert that can never fire.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { createMetrics } from '../metrics.ts';

interface RuleFile {
  groups: {
    name: string;
    rules: { record?: string; alert?: string; expr: string; labels?: Record<string, string> }[];
  }[];
}

const THRESHOLD = 'queue:cb_job_duration_seconds:threshold';

/** Every duration threshold the rules use: the per-type table, and each alert's default for the others. */
function durationThresholds(): { where: string; seconds: number }[] {
  const doc = YAML.parse(
    readFileSync(new URL('../../../deploy/prometheus/rules/jobs.yml', import.meta.url), 'utf8'),
  ) as RuleFile;
  const found: { where: string; seconds: number }[] = [];
  for (const rule of doc.groups.flatMap((g) => g.rules)) {
    if (rule.record === THRESHOLD) {
      const m = /^\s*vector\((\d+(?:\.\d+)?)\)\s*$/.exec(rule.expr);
      if (!m) throw new Error(`${THRESHOLD} of ${rule.labels?.queue}: not vector(N): ${rule.expr}`);
      found.push({ where: `${THRESHOLD}{queue="${rule.labels?.queue}"}`, seconds: Number(m[1]) });
    }
    if (rule.alert && rule.expr.includes(THRESHOLD)) {
      const defaults = [...rule.expr.matchAll(/\*\s*0\s*\+\s*(\d+(?:\.\d+)?)/g)];
      if (defaults.length !== 1) throw new Error(`${rule.alert}: expected one default threshold (* 0 + N)`);
      found.push({ where: `${rule.alert} default`, seconds: Number(defaults[0]![1]) });
    }
  }
  return found;
}

/** The finite upper bounds of `cb_job_duration_seconds`, read from the histogram itself. */
async function durationBuckets(): Promise<number[]> {
  const metrics = createMetrics();
  metrics.jobDuration.observe({ queue: 'probe' }, 1);
  const { values } = await metrics.jobDuration.get();
  return values
    .filter((v) => v.metricName === 'cb_job_duration_seconds_bucket')
    .map((v) => Number((v.labels as Record<string, string | number>).le))
    .filter((le) => Number.isFinite(le));
}

describe('job duration thresholds', () => {
  test('default: the rules have the per-type table and both alerts read it', () => {
    const where = durationThresholds().map((t) => t.where);
    expect(where).toEqual(
      expect.arrayContaining([
        `${THRESHOLD}{queue="achievements.retroactive"}`,
        'JobDurationHigh default',
        'JobRunningTooLong default',
      ]),
    );
  });

  test('behavior: every threshold is at most half the largest finite bucket of cb_job_duration_seconds', async () => {
    const top = Math.max(...(await durationBuckets()));
    // Room above a threshold: a run twice as long as allowed still reads as what it is.
    const tooHigh = durationThresholds().filter((t) => t.seconds * 2 > top);
    expect({ top, tooHigh }).toEqual({ top, tooHigh: [] });
    expect(top).toBeGreaterThanOrEqual(3600);
  });
});
