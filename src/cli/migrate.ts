import type { Command } from 'commander';
import { migrate } from '../platform/db/migrate.ts';
import { printJson, printLine } from './output.ts';
import { withDatabase } from './with-database.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'Apply pending database migrations (DATABASE_URL, or the embedded database in CB_DATA_DIR). Safe to run from several instances at once.',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const result = await withDatabase(({ db, logger }) => migrate(db, logger), { migrate: false });
      if (opts.json) printJson(result);
      else if (result.applied.length === 0)
        printLine(`database is up to date (${result.alreadyApplied} migrations applied before)`);
      else printLine(`applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`);
    });
}
