/**
 * `cb chain retry-failed-mints [--failed-before T] [--dry-run] [--json]`: the console's "Retry all
 * failed mints" for the operator on the box (retry-failed-mints.ts) — after fixing what made them
 * fail. Shows what it takes, grouped by reason, before it acts; `--dry-run` only shows. Recorded in
 * the audit trail (not the dry run).
 */
import type { Command } from 'commander';
import { CliError, printJson, printLine, printTable } from '../../cli/output.ts';
import { withDatabase } from '../../cli/with-database.ts';
import { failedMintReasons, retryFailedMints } from './retry-failed-mints.ts';

export function registerRetryFailedMints(chainCommand: Command): void {
  chainCommand
    .command('retry-failed-mints')
    .description(
      'Send the dead-lettered mint requests again (back to pending, fresh attempts) once their cause is fixed: funds, the minter role, fees, a pause lifted. Shows them grouped by reason first.',
    )
    .option('--failed-before <time>', 'only those that failed at or before this time (ISO 8601; default now)')
    .option('--dry-run', 'show what would be sent again, change nothing')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
The minter picks them up on its next tick, in batches. A request fails again for the same reason if
the cause is still there: read the reasons first (--dry-run). The same as the console's Chain page
"Retry all" and POST /v1/ops/mints/failed/retry.`,
    )
    .action(async (opts: { failedBefore?: string; dryRun?: boolean; json?: boolean }) => {
      const failedBefore = opts.failedBefore?.trim();
      if (failedBefore !== undefined && Number.isNaN(Date.parse(failedBefore)))
        throw new CliError(`--failed-before must be a date-time (ISO 8601), got "${opts.failedBefore}"`, 2);
      const { reasons, retried } = await withDatabase(async ({ db }) => {
        const reasons = await failedMintReasons(db, { failedBefore });
        const retried = opts.dryRun ? 0 : await retryFailedMints(db, { failedBefore });
        return { reasons, retried };
      });
      const total = reasons.reduce((n, r) => n + r.count, 0);
      if (opts.json) return printJson({ dryRun: opts.dryRun === true, failed: total, retried, reasons });
      if (total === 0) return printLine('no failed mint request to send again');
      printTable(
        reasons.map((r) => ({ count: r.count, 'last failed': r.lastFailedAt, reason: r.reason })),
        ['count', 'last failed', 'reason'],
      );
      printLine(
        opts.dryRun
          ? `${total} failed mint request(s) would be sent again (dry run: nothing changed)`
          : `${retried} mint request(s) are pending again: the minter sends them on its next rounds`,
      );
    });
}
