/**
 * `cb governance …` commands. Register with `registerGovernance(program)` in src/cli/index.ts.
 *
 * - `cb governance verify <proposalId> [--rpc-url URL] [--workers N] [--json]`: recomputes the tally
 *   from the stored ballots' signatures and the ownership history and compares it with the stored
 *   tally (and the fixed result). Exit 0 when they agree, 3 when they differ (like `cb reconcile`).
 *   Contract-wallet (ERC-1271) ballots need a chain: `--rpc-url`, else the first of RPC_URLS.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { http } from 'viem';
import { CliError, printJson, printLine, printTable } from '../cli/output.ts';
import { withDatabase as realWithDatabase } from '../cli/with-database.ts';
import { createWalletVerifier } from '../platform/wallet-verifier.ts';
import { createRecoverPool } from './recover-pool.ts';
import { type ContractSignatureVerifier, createSignatureVerifier } from './verify-signature.ts';
import { verifyTally } from './verify-tally.ts';

export interface GovernanceCliDeps {
  /** How a command reaches the database. @defaultValue the CLI's `withDatabase` (config from the environment) */
  withDatabase?: typeof realWithDatabase;
}

export function registerGovernance(program: Command, deps: GovernanceCliDeps = {}): void {
  const withDatabase = deps.withDatabase ?? realWithDatabase;
  const governance = program
    .command('governance')
    .description('Audit governance: proposals, ballots and tallies.');

  governance
    .command('verify')
    .description(
      'Recompute a proposal’s tally from the stored ballot signatures alone (and voting power from the ownership history) and compare it with the stored tally. Exits 3 when they differ.',
    )
    .argument('<proposalId>', 'the proposal id')
    .option(
      '--rpc-url <url>',
      'JSON-RPC endpoint to check contract-wallet (ERC-1271) signatures (default: first of RPC_URLS)',
    )
    .option('--workers <n>', 'threads recovering signatures (default: the number of cores)')
    .option('--json', 'print the report as JSON')
    .action(async (proposalId: string, opts: { rpcUrl?: string; workers?: string; json?: boolean }) => {
      if (!/^\d{1,18}$/.test(proposalId))
        throw new CliError(`<proposalId> must be a whole number, got "${proposalId}"`);
      let workers = availableParallelism();
      if (opts.workers !== undefined) {
        workers = Number(opts.workers);
        if (!Number.isInteger(workers) || workers < 0 || workers > 64)
          throw new CliError(`--workers must be a whole number from 0 to 64, got "${opts.workers}"`);
      }
      if (opts.rpcUrl !== undefined && !/^https?:\/\//.test(opts.rpcUrl))
        throw new CliError('--rpc-url must be an http(s) URL');
      const report = await withDatabase(async (ctx) => {
        const url = opts.rpcUrl ?? ctx.config.rpcEndpoints[0]?.url;
        // An unreachable node fails the check (GOV_VERIFIER_UNAVAILABLE), never marks a ballot invalid.
        const contractVerifier: ContractSignatureVerifier | undefined =
          url && /^https?:/.test(url)
            ? (createWalletVerifier(http(url)) as unknown as ContractSignatureVerifier)
            : undefined;
        const pool = workers > 0 ? createRecoverPool({ workers }) : undefined;
        try {
          return await verifyTally(
            { db: ctx.db, signatures: createSignatureVerifier({ contractVerifier, recover: pool?.recover }) },
            proposalId,
          );
        } finally {
          await pool?.close();
        }
      });
      if (opts.json) printJson(report);
      else {
        printLine(`proposal ${report.proposalId} (${report.state}), snapshot block ${report.snapshotBlock}`);
        printLine(
          `ballots: ${report.ballots.total}, ${report.ballots.valid} with a valid signature, ${report.ballots.invalid.length} not`,
        );
        printTable(
          [
            { tally: 'stored', ...report.stored },
            { tally: 'recomputed', ...report.recomputed },
            ...(report.storedResult ? [{ tally: 'fixed result', ...report.storedResult }] : []),
          ],
          ['tally', 'for', 'against', 'abstain', 'voters'],
        );
        if (report.ballots.invalid.length > 0) {
          printLine('\nballots whose signature does not verify:');
          printTable(report.ballots.invalid, ['ballotId', 'voter', 'reason']);
        }
        if (report.differences.length > 0) {
          printLine('\nvotes that differ:');
          printTable(
            report.differences.map((d) => ({
              voter: d.voter,
              stored: d.stored ? `${d.stored.support} ${d.stored.weight} (#${d.stored.ballotId})` : '-',
              recomputed: d.recomputed
                ? `${d.recomputed.support} ${d.recomputed.weight} (#${d.recomputed.ballotId})`
                : '-',
            })),
            ['voter', 'stored', 'recomputed'],
          );
        }
        printLine(
          report.agrees
            ? '\nthe stored tally agrees with the signatures'
            : '\nthe stored tally DIFFERS from the signatures',
        );
      }
      if (!report.agrees) process.exitCode = 3;
    });
}
