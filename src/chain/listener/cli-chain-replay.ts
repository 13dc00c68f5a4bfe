/** `cb chain replay --from-block N [--to-block M] [--json]`: re-reads final blocks and re-applies them. */
import type { Command } from 'commander';
import { CliError, percent, printJson, printLine, progressWriter } from '../../cli/output.ts';
import { withChainContext } from './cli-chain-context.ts';
import { replayRange } from './replay-range.ts';

export function registerChainReplay(chainCommand: Command): void {
  chainCommand
    .command('replay')
    .description(
      'Re-read the badge events of final blocks from the chain and re-apply them: ownership history, tokens and events are repaired, events the chain does not have are undone, and every event is posted to the achievement intake again (already-known ones are duplicates). Idempotent.',
    )
    .requiredOption('--from-block <n>', 'first block to replay')
    .option('--to-block <n>', "last block to replay (default: the listener's last final block)")
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Needs RPC_URLS and CB_BADGE_ADDRESS (and the database cb uses). Blocks above the listener's last
final block are refused: the listener re-checks those on every poll. Progress is printed to stderr.
Example: cb chain replay --from-block 1200000 --to-block 1250000`,
    )
    .action(async (opts: { fromBlock: string; toBlock?: string; json?: boolean }) => {
      const fromBlock = blockNumber('--from-block', opts.fromBlock);
      const toBlock = opts.toBlock === undefined ? undefined : blockNumber('--to-block', opts.toBlock);
      if (toBlock !== undefined && toBlock < fromBlock)
        throw new CliError(`--to-block ${toBlock} is before --from-block ${fromBlock}`);
      // Every 2 s while a range of more than one chunk is read.
      const progress = progressWriter('replay');
      const report = await withChainContext('cb chain replay', (ctx) =>
        replayRange(ctx, {
          fromBlock,
          toBlock,
          onProgress: (p) => {
            if (p.doneBlock >= p.toBlock) return;
            progress(
              () =>
                `block ${p.doneBlock} of ${p.fromBlock}..${p.toBlock} (${percent(p.doneBlock - p.fromBlock + 1n, p.toBlock - p.fromBlock + 1n)} %), ${p.eventsRead} events`,
            );
          },
        }),
      );
      if (opts.json) {
        printJson(report);
        return;
      }
      printLine(
        `replayed blocks ${report.fromBlock}..${report.toBlock} of ${report.contract} in ${report.ranges} chunk(s), ${(report.durationMs / 1000).toFixed(1)} s`,
      );
      printLine(`  events on chain:          ${report.eventsRead}`);
      printLine(`  stored events undone:     ${report.eventsUndone} (not on chain as stored)`);
      printLine(
        `  achievement intake:       ${report.posted.accepted} added, ${report.posted.duplicates} already there, ${report.posted.rejected} rejected`,
      );
      printLine(`  mint requests confirmed:  ${report.outboxConfirmed}`);
      printLine(`  holders touched:          ${report.holders}`);
    });
}

function blockNumber(option: string, raw: string): bigint {
  if (!/^\d{1,20}$/.test(raw.trim()))
    throw new CliError(`${option} must be a block number (0 or more), got "${raw}"`);
  return BigInt(raw.trim());
}
