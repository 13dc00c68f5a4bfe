/** `cb reconcile chain [--fix] [--json]`: the database's badge records against the chain. */
import type { Command } from 'commander';
import { percent, printJson, printLine, printTable, progressWriter } from '../../cli/output.ts';
import { withChainContext } from '../listener/index.ts';
import type { ChainDifference, ReconcileProgress } from './reconcile-chain.ts';
import { runRecordedReconcile } from './reconcile-job.ts';

/** Adds `chain` to `cb reconcile` (exit code 3 when differences were found and not fixed). */
export function registerReconcileChain(reconcileCommand: Command): void {
  reconcileCommand
    .command('chain')
    .description(
      "Compare badge ownership, tokens and mint records with the chain (the chain is the truth) at the listener's checkpoint block: badges minted on chain but unknown, recorded but not on chain, wrong holder or achievement, broken ownership history, mint requests not matching their badge.",
    )
    .option(
      '--fix',
      'rebuild each token with a difference from its chain events and repair mint records; says what it changed',
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Needs RPC_URLS and CB_BADGE_ADDRESS (and the database cb uses). Reads ownerOf and achievementOf of
every token id the contract issued, with eth_call at that block; progress is printed to stderr.
Every run is recorded (chain_reconcile_runs) like the scheduled ones (CB_CHAIN_RECONCILE_SCHEDULE):
cb_chain_reconcile_differences and the ChainStateDiverged alert follow the latest.
Exit code 3: differences found and not (all) fixed.`,
    )
    .action(async (opts: { fix?: boolean; json?: boolean }) => {
      // Every 2 s while the chain is read.
      const progress = progressWriter('reconcile');
      // Recorded like the scheduled runs: cb_chain_reconcile_differences follows it (a --fix that
      // repaired everything clears ChainStateDiverged at the next sample).
      const report = await withChainContext('cb reconcile chain', (ctx, cli) =>
        runRecordedReconcile(ctx, {
          trigger: 'cli',
          fix: opts.fix === true,
          logger: cli.logger,
          onProgress: (p) => progress(() => progressLine(p)),
        }).then((r) => {
          // Set before the database closes: the audit record of a --fix carries it.
          if ((opts.fix ? r.unfixed : r.differences).length > 0) process.exitCode = 3;
          return r;
        }),
      );
      if (opts.json) printJson(report);
      else {
        printLine(
          `checked ${report.checkedTokens} token(s) of ${report.contract} at block ${report.block}: ${report.differences.length} difference(s)`,
        );
        printLine(
          `  on chain: ${report.chainSupply} held (next token id ${report.nextTokenId}); database: ${report.dbSupply} held`,
        );
        if (report.differences.length > 0)
          printTable(report.differences.map(row), ['kind', 'token', 'database', 'chain']);
        if (opts.fix) {
          for (const change of report.changes) printLine(`fixed: ${change}`);
          for (const d of report.unfixed)
            printLine(`not fixed: ${row(d).kind} ${row(d).token}: ${row(d).chain}`);
        } else if (report.differences.length > 0) printLine('run again with --fix to repair');
      }
    });
}

/** One stderr line of progress. */
export function progressLine(p: ReconcileProgress): string {
  if (p.phase === 'tokens')
    return `read ${p.tokensRead} of ${p.tokens} tokens from the chain (${percent(p.tokensRead, p.tokens)} %)`;
  const done = percent(p.doneBlock - p.fromBlock + 1n, p.toBlock - p.fromBlock + 1n);
  return `--fix: read the history of the tokens to rebuild up to block ${p.doneBlock} of ${p.fromBlock}..${p.toBlock} (${done} %), ${p.events} events`;
}

function row(d: ChainDifference): { kind: string; token: string; database: string; chain: string } {
  switch (d.kind) {
    case 'missing':
      return {
        kind: d.kind,
        token: d.tokenId,
        database: d.db?.owner ?? (d.db ? 'revoked' : 'absent'),
        chain: d.chain.owner ?? 'revoked',
      };
    case 'unexpected':
      return { kind: d.kind, token: d.tokenId, database: d.db.owner, chain: d.reason };
    case 'wrong_owner':
      return { kind: d.kind, token: d.tokenId, database: d.db.owner ?? 'revoked', chain: d.chain.owner };
    case 'wrong_achievement':
      return { kind: d.kind, token: d.tokenId, database: d.db.achievementKey, chain: d.chain.achievementKey };
    case 'history':
      return { kind: d.kind, token: d.tokenId, database: d.detail, chain: '-' };
    case 'outbox':
      return {
        kind: d.kind,
        token: d.tokenId ?? '-',
        database: `request ${d.outboxId} ${d.status}`,
        chain: d.detail,
      };
  }
}
