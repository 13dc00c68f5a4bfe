import type { Command } from 'commander';
import { normalizeAddress, reconcileProgress } from '../achievements/index.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { withDatabase } from './with-database.ts';

export function registerReconcile(program: Command): Command {
  const reconcile = program
    .command('reconcile')
    .description(
      'Compare stored state with its source of truth and report (or, with --fix, repair) differences.',
    );

  reconcile
    .command('progress')
    .description('Recompute achievement progress from the event log and compare it with the stored progress.')
    .option('--user <address>', 'only this member')
    .option('--sample <n>', 'a random sample of n members (default: every member with progress)')
    .option('--fix', 'write the recomputed progress and unlock what is complete; says what it changed')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { user?: string; sample?: string; fix?: boolean; json?: boolean }) => {
      const user = opts.user === undefined ? undefined : normalizeAddress(opts.user);
      if (opts.user !== undefined && !user)
        throw new CliError(`--user must be a 0x address, got "${opts.user}"`);
      let sample: number | undefined;
      if (opts.sample !== undefined) {
        sample = Number(opts.sample);
        if (!Number.isInteger(sample) || sample < 1)
          throw new CliError(`--sample must be a positive whole number, got "${opts.sample}"`);
      }
      const report = await withDatabase((ctx) =>
        reconcileProgress(ctx, { user, sample, fix: opts.fix === true }),
      );
      if (opts.json) printJson(report);
      else {
        printLine(`checked ${report.membersChecked} member(s): ${report.mismatches.length} mismatch(es)`);
        if (report.mismatches.length > 0) {
          printTable(
            report.mismatches.map((m) => ({
              user: m.user,
              achievement: m.achievementId,
              stored: m.stored?.current ?? '-',
              expected: m.expected?.current ?? '-',
            })),
            ['user', 'achievement', 'stored', 'expected'],
          );
        }
        if (report.fixed)
          printLine(
            `fixed: ${report.mismatches.length} progress row(s) rewritten, ${report.unlocksAdded} unlock(s) added`,
          );
        else if (report.mismatches.length > 0) printLine('run again with --fix to repair');
      }
      if (!report.fixed && report.mismatches.length > 0) process.exitCode = 3;
    });
  return reconcile;
}
