/**
 * `cb events retry-failed [--user 0x…] [--since T] [--dry-run] [--json]`: events the engine marked
 * `failed` (a rule that threw on them, e.g. a bad definition since fixed) go back to `received`
 * and are processed here and now, as a worker would; then the progress of their members is
 * recomputed from the event log (`reconcileProgress --fix`), because an event processed after
 * later ones can leave an order-sensitive rule (streak, window) inexact. Nothing accepted is lost:
 * without this, a failed event stayed out of every member's progress for good.
 */
import type { Command } from 'commander';
import { createEventProcessor, normalizeAddress, reconcileProgress } from '../achievements/index.ts';
import { CliError, printJson, printLine } from './output.ts';
import { type CliContext, withDatabase } from './with-database.ts';

export interface RetryFailedReport {
  /** Failed events that matched. */
  matched: number;
  /** Members they belong to (lower case). */
  members: string[];
  dryRun: boolean;
  /** Of the matched events, after processing: processed, and failed again. */
  processed: number;
  failedAgain: number;
  /** The first error of an event that failed again. */
  firstError: unknown;
  /** Progress rows rewritten and unlocks added by the recompute of those members. */
  progressFixed: number;
  unlocksAdded: number;
}

export function registerEvents(program: Command): void {
  const events = program.command('events').description('Operate on the achievement event log.');
  events
    .command('retry-failed')
    .description(
      'Process the events the engine marked failed again (after fixing their cause), then recompute the progress of their members from the event log.',
    )
    .option('--user <address>', 'only this member’s failed events')
    .option('--since <time>', 'only events that failed at or after this time (ISO 8601)')
    .option('--dry-run', 'say what would be retried, change nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Exit code 3 when some events failed again (their first error is shown): fix the cause, run again.
On the embedded database stop cb start first; on PostgreSQL running workers may share the work.`,
    )
    .action(async (opts: { user?: string; since?: string; dryRun?: boolean; json?: boolean }) => {
      const user = opts.user === undefined ? undefined : normalizeAddress(opts.user);
      if (opts.user !== undefined && !user)
        throw new CliError(`--user must be a 0x address, got "${opts.user}"`);
      const since = opts.since === undefined ? undefined : new Date(opts.since);
      if (since && Number.isNaN(since.getTime()))
        throw new CliError(`--since must be an ISO 8601 time, got "${opts.since}"`);
      const report = await withDatabase((ctx) =>
        retryFailedEvents(ctx, { user, since, dryRun: opts.dryRun === true }).then((r) => {
          // Set before the database closes: the audit record of the command carries it.
          if (r.failedAgain > 0) process.exitCode = 3;
          return r;
        }),
      );
      if (opts.json) printJson(report);
      else if (report.matched === 0) printLine('no failed event matches');
      else if (report.dryRun)
        printLine(`${report.matched} failed event(s) of ${report.members.length} member(s) would be retried`);
      else {
        printLine(
          `${report.matched} failed event(s) of ${report.members.length} member(s) retried: ${report.processed} processed, ${report.failedAgain} failed again`,
        );
        printLine(
          `progress recomputed for those members: ${report.progressFixed} row(s) rewritten, ${report.unlocksAdded} unlock(s) added`,
        );
        if (report.failedAgain > 0) printLine(`still failing: ${JSON.stringify(report.firstError)}`);
      }
    });
}

export async function retryFailedEvents(
  ctx: CliContext,
  options: { user?: string | undefined; since?: Date | undefined; dryRun: boolean },
): Promise<RetryFailedReport> {
  const { db } = ctx;
  const filter = `status = 'failed' and ($1::text is null or user_address = $1) and ($2::timestamptz is null or processed_at >= $2)`;
  const params = [options.user ?? null, options.since ?? null];
  const report: RetryFailedReport = {
    matched: 0,
    members: [],
    dryRun: options.dryRun,
    processed: 0,
    failedAgain: 0,
    firstError: null,
    progressFixed: 0,
    unlocksAdded: 0,
  };
  // The dry run reads what the retry would take back to `received`.
  const { rows } = await db.query<{ seq: string; user_address: string }>(
    options.dryRun
      ? `select seq::text as seq, user_address from ach_events where ${filter}`
      : `update ach_events set status = 'received', error = null, processed_at = null
          where ${filter}
          returning seq::text as seq, user_address`,
    params,
  );
  const seqs = rows.map((r) => r.seq);
  report.members = [...new Set(rows.map((r) => r.user_address))].sort();
  report.matched = seqs.length;
  if (options.dryRun || seqs.length === 0) return report;

  // What a worker would do; workers running elsewhere (PostgreSQL) take other partitions meanwhile.
  const processor = createEventProcessor({ ...ctx, concurrency: 1, batchSize: 500 });
  try {
    await processor.drain();
  } finally {
    await processor.stop();
  }
  const after = await db.query<{ status: string; n: string; first_error: unknown }>(
    `select status, count(*)::text as n, (array_agg(error order by seq))[1] as first_error
       from ach_events where seq = any($1::bigint[]) group by status`,
    [seqs],
  );
  for (const r of after.rows) {
    if (r.status === 'processed') report.processed = Number(r.n);
    else if (r.status === 'failed') {
      report.failedAgain = Number(r.n);
      report.firstError = r.first_error;
    }
  }
  for (const member of report.members) {
    const fixed = await reconcileProgress(ctx, { user: member, fix: true });
    report.progressFixed += fixed.mismatches.length;
    report.unlocksAdded += fixed.unlocksAdded;
  }
  return report;
}
