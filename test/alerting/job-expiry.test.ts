/**
 * JobRunningTooLong against the jobs it watches. A run that hangs is above its queue's threshold
 * (deploy/prometheus/rules/jobs.yml) only from that threshold until its `expireInSeconds`: then it
 * is aborted and retried, and `cb_job_oldest_active_seconds` drops back to 0. That window must
 * outlast the way to the on-call — a worker's sample of the gauge, a scrape, an evaluation, and
 * Alertmanager's group_wait for a P2 — or the alert resolves before anyone is told.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { consistencyJob, retroactiveJob } from '../../src/achievements/jobs.ts';
import { chainReconcileJob } from '../../src/chain/reconcile/reconcile-job.ts';
import { badgeDistributionJob, powerAccuracyJob, tickJob } from '../../src/governance/jobs.ts';
import { auditJob } from '../../src/ops/audit/audit-trail.ts';
import { backupJob } from '../../src/ops/backup/backup-job.ts';
import { capacityJob } from '../../src/ops/capacity/capacity-job.ts';
import { crossSystemJob } from '../../src/ops/consistency/cross-system-job.ts';
import { defineIncidentJobs } from '../../src/ops/incidents/incident-jobs.ts';
import { resolveIncidentsOptions } from '../../src/ops/incidents/options.ts';
import { DEFAULT_SAMPLE_INTERVAL_MS } from '../../src/platform/jobs/create-jobs.ts';
import { ALERTMANAGER_DIR, loadRules, PROMETHEUS_DIR, ROOT } from './support.ts';

const THRESHOLD = 'queue:cb_job_duration_seconds:threshold';
const CRON = '0 3 * * *';

/** Every job the platform defines, by the file defining it (the schedules do not matter here). */
function jobsByFile(): Record<string, { queue: string; expireInSeconds: number }[]> {
  const incidents = defineIncidentJobs(resolveIncidentsOptions());
  return {
    'src/achievements/jobs.ts': [retroactiveJob, consistencyJob],
    'src/chain/reconcile/reconcile-job.ts': [chainReconcileJob(CRON)],
    'src/governance/jobs.ts': [tickJob, powerAccuracyJob, badgeDistributionJob],
    'src/ops/audit/audit-trail.ts': [auditJob],
    'src/ops/backup/backup-job.ts': [backupJob(CRON)],
    'src/ops/capacity/capacity-job.ts': [capacityJob(CRON)],
    'src/ops/consistency/cross-system-job.ts': [crossSystemJob(CRON)],
    'src/ops/incidents/incident-jobs.ts': [
      ...Object.values(incidents.deliver),
      incidents.escalate,
      incidents.sweep,
    ],
  };
}

/** The source files (tests and the jobs subsystem aside) that call `defineJob`. */
function filesDefiningJobs(): string[] {
  const src = join(ROOT, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith(join('platform', 'jobs')))
    .filter((f) => readFileSync(join(src, f), 'utf8').includes('defineJob('))
    .map((f) => relative(ROOT, join(src, f)))
    .sort();
}

/** Seconds of a Prometheus/Alertmanager duration such as `15s`, `1m`, `0s`. */
function seconds(duration: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!m) throw new Error(`unsupported duration ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

interface Route {
  matchers?: string[];
  group_wait?: string;
  continue?: boolean;
  routes?: Route[];
}

/** Whether `labels` satisfy every matcher (`name="v"`, `name=~"re"`, `!=`, `!~`) of a route. */
function matches(route: Route, labels: Record<string, string>): boolean {
  return (route.matchers ?? []).every((m) => {
    const p = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(m);
    if (!p) throw new Error(`unsupported matcher ${m}`);
    const [, name, op, value] = p as unknown as [string, string, string, string];
    const v = labels[name] ?? '';
    const re = new RegExp(`^(?:${value})$`);
    return { '=': v === value, '!=': v !== value, '=~': re.test(v), '!~': !re.test(v) }[op]!;
  });
}

/** The longest group_wait an alert with `labels` meets on its routes (top-level routes only: ours nest no deeper). */
function groupWaitSeconds(labels: Record<string, string>): number {
  const doc = YAML.parse(readFileSync(join(ALERTMANAGER_DIR, 'alertmanager.yml'), 'utf8')) as {
    route: Route;
  };
  const root = doc.route;
  const waits: number[] = [];
  for (const r of root.routes ?? []) {
    if (!matches(r, labels)) continue;
    waits.push(seconds(r.group_wait ?? root.group_wait ?? '30s'));
    if (!r.continue) break;
  }
  return Math.max(seconds(root.group_wait ?? '30s'), ...waits);
}

/** JobRunningTooLong's threshold per queue, and its default for the queues without one. */
function runningThresholds(): {
  byQueue: Map<string, number>;
  fallback: number;
  labels: Record<string, string>;
} {
  const rules = loadRules().filter((r) => r.file === 'jobs.yml');
  const byQueue = new Map<string, number>();
  for (const r of rules.filter((r) => r.name === THRESHOLD)) {
    const m = /^\s*vector\((\d+(?:\.\d+)?)\)\s*$/.exec(r.expr);
    if (!m || !r.labels.queue) throw new Error(`${THRESHOLD}: not vector(N) with a queue: ${r.expr}`);
    byQueue.set(r.labels.queue, Number(m[1]));
  }
  const alert = rules.find((r) => r.name === 'JobRunningTooLong');
  const fallback = /\*\s*0\s*\+\s*(\d+(?:\.\d+)?)/.exec(alert?.expr ?? '');
  if (!alert || !fallback) throw new Error('JobRunningTooLong: no default threshold (* 0 + N)');
  return { byQueue, fallback: Number(fallback[1]), labels: { alertname: alert.name, ...alert.labels } };
}

/**
 * How long a run must stay above its threshold for the alert to reach Alertmanager's first
 * notification: the gauge is sampled (so the first value above may come one sample late, and the
 * last one below the expiry one sample early), scraped and evaluated, and Alertmanager holds a new
 * group for group_wait, sending nothing if the alert resolved meanwhile.
 */
function alertPathSeconds(labels: Record<string, string>): number {
  const prometheus = YAML.parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
    global: { scrape_interval: string; evaluation_interval: string };
  };
  return (
    DEFAULT_SAMPLE_INTERVAL_MS / 1000 +
    seconds(prometheus.global.scrape_interval) +
    seconds(prometheus.global.evaluation_interval) +
    groupWaitSeconds(labels)
  );
}

describe('JobRunningTooLong against the jobs it watches', () => {
  test('default: every file that defines a job is checked here', () => {
    expect(filesDefiningJobs()).toEqual(Object.keys(jobsByFile()).sort());
  });

  test('behavior: a run that hangs until its expiry is above its threshold long enough to reach the on-call', () => {
    const { byQueue, fallback, labels } = runningThresholds();
    const path = alertPathSeconds(labels);
    const tooShort: string[] = [];
    for (const def of Object.values(jobsByFile()).flat()) {
      const threshold = byQueue.get(def.queue) ?? fallback;
      const window = def.expireInSeconds - threshold;
      if (window < path)
        tooShort.push(
          `${def.queue}: above ${threshold} s for ${window} s before its ${def.expireInSeconds} s expiry, under the ${path} s the alert needs`,
        );
    }
    expect(path).toBeGreaterThanOrEqual(60);
    expect(tooShort).toEqual([]);
  });

  test('behavior: every per-queue threshold is for a job the platform defines', () => {
    const queues = new Set(
      Object.values(jobsByFile())
        .flat()
        .map((d) => d.queue),
    );
    expect([...runningThresholds().byQueue.keys()].filter((q) => !queues.has(q))).toEqual([]);
  });
});
