/**
 * `cb reconcile systems [--member 0x…] [--fix] [--json]`: the achievement system against governance
 * (src/ops/consistency): what members earned against the badges governance counts.
 */
import type { Command } from 'commander';
import { createEventProcessor, normalizeAddress } from '../achievements/index.ts';
import { achievementTokenId } from '../chain/contracts/achievement-token-id.ts';
import { buildWeightSet, formatScaled, readParameters, resolveDefaults } from '../governance/index.ts';
import { governanceOptionsFromConfig } from '../governance-settings.ts';
import {
  type CrossSystemReport,
  checkCrossSystem,
  runRecordedCrossSystem,
} from '../ops/consistency/index.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { type CliContext, withDatabase } from './with-database.ts';

/** Adds `systems` to `cb reconcile` (exit code 3 when differences are left). */
export function registerReconcileSystems(reconcileCommand: Command): void {
  reconcileCommand
    .command('systems')
    .description(
      'Compare the achievement system with governance: every achievement a member earned must be held as exactly one badge, and every badge governance counts must have been earned.',
    )
    .option('--member <address>', 'only this member, every difference of theirs listed')
    .option('--limit <n>', 'differences listed at most (the counts are always complete)', '200')
    .option(
      '--grace <seconds>',
      'a confirmed mint the listener has not seen yet counts as minting this long',
      '900',
    )
    .option('--fix', 'ask for the mint of every earned achievement that never had one; says how many')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Each side is the truth for what it owns: the achievement system for what was earned (unlocks, mint
requests), the chain for what is held (the listener's copy: run cb reconcile chain first if in
doubt), governance for what a badge weighs. Kinds of difference:
  no_mint_request      earned, never asked to be minted             (--fix asks for it)
  mint_failed          earned, the mint was dead-lettered           (cb chain retry-failed-mints, once fixed)
  revoked_on_chain     earned and minted, then revoked on chain
  held_by_other        the mint record names a token someone else holds
  not_seen             mint confirmed, token never seen by the listener (after the grace period)
  not_earned           held, but its achievement was never unlocked for the holder
  unknown_achievement  held, but no achievement of the catalogue has its key (weight 0)
  held_twice           one member holds two badges of one achievement (governance counts both)
"power" is what governance counts minus what was earned, in votes. Mints in flight are counted,
not reported. Every run reads one snapshot of the database; --fix is recorded in the audit trail.
A run without --member is recorded (cross_system_runs) like the scheduled ones (job
ops.cross-system, CB_CROSS_SYSTEM_SCHEDULE): cb_cross_system_differences and the
CrossSystemInconsistent alert follow the latest.
Exit code 3: differences left.`,
    )
    .action(
      async (opts: { member?: string; limit: string; grace: string; fix?: boolean; json?: boolean }) => {
        const member = opts.member === undefined ? undefined : normalizeAddress(opts.member);
        if (opts.member !== undefined && !member)
          throw new CliError(`--member must be a 0x address, got "${opts.member}"`);
        const limit = wholeNumber('--limit', opts.limit, 1);
        const graceSeconds = wholeNumber('--grace', opts.grace, 0);
        const report = await withDatabase((cli) =>
          crossSystemReport(cli, { member, limit, graceSeconds, fix: opts.fix === true }).then((r) => {
            // Set before the database closes: the audit record of a --fix carries it.
            if (r.total > 0) process.exitCode = 3;
            return r;
          }),
        );
        if (opts.json) printJson(report);
        else printReport(report, opts.fix === true);
      },
    );
}

/** The governance weight set in force, as an instance builds it, then the check. */
async function crossSystemReport(
  cli: CliContext,
  options: { member: string | undefined; limit: number; graceSeconds: number; fix: boolean },
): Promise<CrossSystemReport> {
  const { config, db, logger, metrics } = cli;
  const processor = createEventProcessor({ db, metrics, logger: logger.child('achievement-trigger') });
  const defaults = resolveDefaults(governanceOptionsFromConfig(config).defaults);
  const weights = buildWeightSet(
    await processor.catalogue(),
    await readParameters(db, defaults),
    achievementTokenId,
  );
  if (options.member !== undefined) return checkCrossSystem(db, weights, options);
  // The whole community: recorded like the scheduled runs, so cb_cross_system_differences follows
  // it (a --fix, or a clean run, clears CrossSystemInconsistent at the next sample).
  return runRecordedCrossSystem(
    { db, metrics, logger: logger.child('consistency'), weights: async () => weights },
    { trigger: 'cli', ...options },
  );
}

function wholeNumber(option: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min)
    throw new CliError(`${option} must be a whole number ≥ ${min}, got "${text}"`);
  return n;
}

function printReport(report: CrossSystemReport, fix: boolean): void {
  printLine(
    `${report.member ? `member ${report.member}: ` : ''}${report.unlocks} unlock(s), ${report.heldBadges} badge(s) held, ${report.members} member(s); ${report.minting} minting`,
  );
  if (fix) printLine(`fixed: ${report.mintRequested} mint(s) asked for`);
  if (report.total === 0) {
    printLine('the achievement system and governance agree');
    return;
  }
  const kinds = Object.entries(report.counts).filter(([, n]) => n > 0);
  printLine(
    `${report.total} difference(s) for ${report.membersAffected} member(s): ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
  printTable(
    report.differences.map((d) => ({
      kind: d.kind,
      member: d.member,
      achievement: d.achievementId ?? `key ${d.achievementKey}`,
      tokens: d.tokenIds.join(' ') || '-',
      power: formatScaled(BigInt(d.powerGap)),
    })),
    ['kind', 'member', 'achievement', 'tokens', 'power'],
  );
  if (report.truncated)
    printLine(`… ${report.total - report.differences.length} more (--limit, or --json for the counts)`);
  for (const [kind] of kinds) {
    const action = report.differences.find((d) => d.kind === kind)?.action;
    if (action) printLine(`${kind}: ${action}`);
  }
}
