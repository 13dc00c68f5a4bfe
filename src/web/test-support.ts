/**
 * Test helpers of the web routes (not used by the product): an app with `webRoutes` over a test
 * database, a jobs instance that only sends and reads, and metric values read back from the
 * registry's text format.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/index.ts';
import type { TestApi } from '../api/test-context.ts';
import type { Config } from '../platform/config.ts';
import { createJobs, type Jobs } from '../platform/jobs/index.ts';
import type { Metrics } from '../platform/metrics.ts';
import { type WebDeps, webRoutes } from './index.ts';
import { createSessions, type Sessions } from './sessions.ts';

export interface WebTestApp {
  app: FastifyInstance;
  metrics: Metrics;
  sessions: Sessions;
  jobs: Jobs | undefined;
  close(): Promise<void>;
}

export interface WebTestOptions {
  config?: Partial<Config>;
  web?: Partial<WebDeps>;
  /** Clock of the sessions. */
  now?: () => number;
  /** Start a jobs instance (pg-boss) for the ops routes. @defaultValue false */
  withJobs?: boolean | { register: (jobs: Jobs) => void };
}

const noJobs: WebDeps['jobs'] = {
  stats: async () => [],
  listDeadLetters: async () => [],
  retryDeadLetter: async () => {
    throw new Error('no jobs in this test');
  },
};

export async function createWebTestApp(t: TestApi, options: WebTestOptions = {}): Promise<WebTestApp> {
  const { ctx } = t.context({ config: options.config ?? {} });
  let jobs: Jobs | undefined;
  if (options.withJobs) {
    jobs = createJobs({
      common: ctx,
      db: t.db,
      options: { sampleIntervalMs: 100, heartbeatIntervalMs: 200, registerShutdown: false },
    });
    if (typeof options.withJobs === 'object') options.withJobs.register(jobs);
    await jobs.start();
  }
  const sessions = createSessions({ db: t.db, now: options.now });
  const app = await buildApp(ctx, {
    routes: webRoutes({
      db: t.db,
      metrics: ctx.metrics,
      logger: ctx.logger,
      jobs: jobs ?? noJobs,
      readiness: ctx.readiness,
      readyTimeoutMs: ctx.config.readyTimeoutMs,
      devMode: true,
      chainId: 31337,
      sessions,
      distDir: join(mkdtempSync(join(tmpdir(), 'cb-web-')), 'dist'),
      ...options.web,
    }),
  });
  return {
    app,
    metrics: ctx.metrics,
    sessions,
    jobs,
    async close() {
      await app.close();
      await jobs?.stop();
    },
  };
}

/** Value of one series in the Prometheus text (exact labels, any order); undefined when absent. */
export async function seriesValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    const want = Object.entries(labels);
    if (Object.keys(got).length === want.length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
