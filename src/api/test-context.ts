/**
 * For tests (here and in the domains that mount routes): a real database on the suite's target
 * (PGlite in memory, or a fresh PostgreSQL database with `CB_TEST_DRIVER=pg`), migrated, with real
 * API keys; and `AppContext`s over it with their own config, metrics, shutdown and captured logs.
 *
 * ```ts
 * const t = await createTestApi();                       // beforeAll
 * const { ctx, logs } = t.context({ config: { rateLimitMax: 2 } });
 * const app = await buildApp(ctx, { routes: [myRoutes] });
 * const { key } = await t.apiKeys.create({ name: 'it', scopes: ['events:write'] });
 * await t.close();                                       // afterAll
 * ```
 */
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { testDatabaseTarget } from '../../test/services.ts';
import { type ApiKeys, createApiKeys } from '../platform/apikeys/index.ts';
import { type Config, loadConfig } from '../platform/config.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createLogger, createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { createShutdown } from '../platform/shutdown.ts';
import type { AppContext, ReadinessCheck } from './app-context.ts';
import { databaseReadiness } from './readiness.ts';

/** Log lines captured from a test context. */
export interface CapturedLogs {
  /** Every line so far, parsed. */
  lines(): Record<string, unknown>[];
  /** Everything written, raw (to assert what must never appear). */
  text(): string;
}

export interface TestContextOptions {
  config?: Partial<Config>;
  /** @defaultValue the database check */
  readiness?: ReadinessCheck[];
  redis?: Redis;
}

export interface TestApi {
  db: Db;
  apiKeys: ApiKeys;
  /** A fresh context over the shared database (new metrics registry, shutdown and log capture). */
  context(options?: TestContextOptions): { ctx: AppContext; logs: CapturedLogs };
  /** Closes the database and drops it. */
  close(): Promise<void>;
}

export async function createTestApi(): Promise<TestApi> {
  const target = await testDatabaseTarget();
  const quiet = createSilentLogger();
  const db = await createDb({
    ...target,
    poolMax: 4,
    slowQueryMs: 1000,
    logger: quiet,
    metrics: createMetrics(),
  });
  await migrate(db, quiet);
  const apiKeys = createApiKeys({ db, logger: quiet });

  return {
    db,
    apiKeys,
    context(options = {}) {
      // No shedding on database waits unless a test asks: the suites share 2 cores, and a wait over
      // the limit there is the test machine's load, not the instance's.
      const config = loadConfig(
        {},
        {
          instance: 'test-1',
          logLevel: 'debug',
          httpMaxQueueMs: 0,
          ...options.config,
        },
      );
      let text = '';
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          text += chunk.toString('utf8');
          done();
        },
      });
      const logger = createLogger({ service: 'cb', instance: config.instance, level: 'debug', destination });
      const ctx: AppContext = {
        config,
        logger,
        metrics: createMetrics(),
        shutdown: createShutdown({ graceMs: config.shutdownGraceMs, logger: quiet }),
        db,
        apiKeys,
        readiness: options.readiness ?? [databaseReadiness(db)],
        redis: options.redis,
      };
      return {
        ctx,
        logs: {
          lines: () =>
            text
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as Record<string, unknown>),
          text: () => text,
        },
      };
    },
    async close() {
      await db.close();
      await target.drop();
    },
  };
}
