import type { Config } from '../platform/config.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { createMetrics, type Metrics } from '../platform/metrics.ts';
import { cliConfig } from './load-config.ts';

export interface CliContext {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Runs `fn` with the configured database (migrations applied first, so a command works on a fresh
 * data directory too), then closes it. On the embedded database this takes the data-directory lock:
 * stop a running `cb start` on the same directory first (the error says so).
 */
export async function withDatabase<T>(
  fn: (ctx: CliContext) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const config = cliConfig();
  const logger = createLogger({
    service: 'cb',
    instance: config.instance,
    level: config.logLevel,
    pretty: config.logPretty,
    destination: process.stderr,
  });
  const metrics = createMetrics();
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: 4,
    slowQueryMs: config.dbSlowQueryMs,
    logger,
    metrics,
  });
  try {
    if (options.migrate !== false) await migrate(db, logger);
    return await fn({ config, db, logger, metrics });
  } finally {
    await db.close();
    await logger.flush();
  }
}
