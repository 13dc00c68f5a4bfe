/**
 * Test helpers of the jobs suites (not used by the product): a Common context on a fresh database
 * of the driver under test (`CB_TEST_DRIVER`), log lines captured as parsed JSON, and metric values
 * read back from the Prometheus text format; a stand-in `Jobs` that catches a registered handler.
 */
import { Writable } from 'node:stream';
import { testDatabaseTarget } from '../../../test/services.ts';
import type { Common } from '../common.ts';
import { type Config, loadConfig } from '../config.ts';
import { createDb, type Db } from '../db/create-db.ts';
import { migrate } from '../db/migrate.ts';
import { createLogger, createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createShutdown } from '../shutdown.ts';
import type { Jobs } from './index.ts';

export interface LogLine {
  timestamp: string;
  level: string;
  service: string;
  traceId: string;
  userId?: string;
  message: string;
  context: Record<string, unknown>;
  metrics: Record<string, number>;
}

export interface TestCommon extends Common {
  /** Every line logged so far (empty when the logger is silent). */
  lines(): LogLine[];
}

/** A Common context of its own (metrics, shutdown, optionally a capturing logger) for one "instance". */
export function createTestCommon(overrides: Partial<Config> = {}, capture = false): TestCommon {
  let buffer = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      buffer += chunk.toString('utf8');
      done();
    },
  });
  const config = loadConfig({}, { shutdownGraceMs: 2_000, ...overrides });
  const logger = capture
    ? createLogger({ service: 'test', instance: config.instance, level: 'debug', destination })
    : createSilentLogger();
  return {
    config,
    logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: config.shutdownGraceMs, logger }),
    lines: () =>
      buffer
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as LogLine),
  };
}

/** A migrated database of the driver under test; `close()` closes and drops it. */
export async function createTestDb(common: Common): Promise<{ db: Db; close: () => Promise<void> }> {
  const target = await testDatabaseTarget();
  const db = await createDb({
    ...target,
    poolMax: 8,
    slowQueryMs: 10_000,
    logger: createSilentLogger(),
    metrics: common.metrics,
  });
  await migrate(db, createSilentLogger());
  return {
    db,
    close: async () => {
      await db.close();
      await target.drop();
    },
  };
}

/**
 * The value of the series with exactly these labels, read from `getSingleMetricAsString`
 * (`suffix` picks `_count`, `_sum`…); undefined when there is no such series.
 */
export async function metricValue(
  common: Common,
  name: string,
  labels: Record<string, string>,
  suffix = '',
): Promise<number | undefined> {
  const text = await common.metrics.registry.getSingleMetricAsString(name);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name + suffix) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const same =
      Object.keys(found).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => found[k] === v);
    if (same) return Number(m[3]);
  }
  return undefined;
}

/** A job handler as `Jobs.register` receives it, called by a test with a signal of its choosing. */
export type CaughtHandler = (job: { signal: AbortSignal }) => Promise<void>;

/**
 * A stand-in `Jobs` for the register functions of the domains: it keeps the handler registered last
 * (so a test can call it with an aborted signal, as the worker would) and lists what was registered
 * and unscheduled, as `register <queue> <cron>` and `unschedule <queue>`.
 */
export function handlerCatcher(): { jobs: Jobs; handler: () => CaughtHandler; calls: string[] } {
  const calls: string[] = [];
  let caught: CaughtHandler | undefined;
  const jobs = {
    register: (def: { queue: string; schedule?: { cron: string } }, h: CaughtHandler) => {
      calls.push(`register ${def.queue} ${def.schedule?.cron}`);
      caught = h;
    },
    unschedule: (queue: string) => calls.push(`unschedule ${queue}`),
  } as unknown as Jobs;
  return {
    jobs,
    calls,
    handler: () => {
      if (!caught) throw new Error('handlerCatcher: no handler was registered');
      return caught;
    },
  };
}
