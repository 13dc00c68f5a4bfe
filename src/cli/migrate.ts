import type { Command } from 'commander';
import { createDb } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { cliConfig } from './load-config.ts';
import { printJson, printLine } from './output.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'Apply pending database migrations (DATABASE_URL, or the embedded database in CB_DATA_DIR). Safe to run from several instances at once.',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = cliConfig();
      const logger = createLogger({
        service: 'cb',
        instance: config.instance,
        level: config.logLevel,
        pretty: config.logPretty,
        destination: process.stderr,
      });
      const db = await createDb({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        poolMax: 2,
        slowQueryMs: config.dbSlowQueryMs,
        logger,
        metrics: createMetrics(),
      });
      try {
        const result = await migrate(db, logger);
        if (opts.json) printJson(result);
        else if (result.applied.length === 0)
          printLine(`database is up to date (${result.alreadyApplied} migrations applied before)`);
        else printLine(`applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`);
      } finally {
        await db.close();
        await logger.flush();
      }
    });
}
