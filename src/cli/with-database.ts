import { appendAudit } from '../ops/audit/audit-log.ts';
import type { Config } from '../platform/config.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import type { Logger } from '../platform/logger.ts';
import { createMetrics, type Metrics } from '../platform/metrics.ts';
import { type AuditedCommand, auditedCommand } from './audited-commands.ts';
import { cliLogger } from './cli-logger.ts';
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
  options: {
    migrate?: boolean;
    /** Another PostgreSQL database than DATABASE_URL (`cb backup restore --to`). */
    databaseUrl?: string | undefined;
  } = {},
): Promise<T> {
  const settings = cliConfig();
  const config = options.databaseUrl ? { ...settings, databaseUrl: options.databaseUrl } : settings;
  const logger = cliLogger(config);
  const metrics = createMetrics();
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: 4,
    slowQueryMs: config.dbSlowQueryMs,
    logger,
    metrics,
  });
  const audited = auditedCommand();
  let failed = false;
  try {
    if (options.migrate !== false) await migrate(db, logger);
    return await fn({ config, db, logger, metrics });
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (audited) await recordCommand(db, audited, failed);
    await db.close();
    await logger.flush();
  }
}

/** Records a database-changing command in the audit trail (audited-commands.ts); a failure to is a warning. */
async function recordCommand(db: Db, command: AuditedCommand, failed: boolean): Promise<void> {
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  try {
    await appendAudit(db, {
      actorKind: 'cli',
      actor: command.actor,
      action: command.action,
      target: command.target,
      outcome: failed ? 'failed' : 'ok',
      status: failed ? 1 : code,
      details: { options: command.options, ...(command.result ? { result: command.result } : {}) },
    });
  } catch (err) {
    process.stderr.write(
      `cb: warning: the audit record of this command was not written: ${(err as Error).message}\n`,
    );
  }
}
