/**
 * `cb chain status [--json]`: the chain plane for an operator on the box — what `GET /v1/ops/chain`
 * reports from the database (the chain followed, the listener's checkpoint, open and failed mints,
 * the minter's open transactions) and, with RPC_URLS, every endpoint asked now (eth_chainId and the
 * head: up, latency, head, lag, chain id, why it is down). No API key needed; the running
 * instances' own listener and minter state is on `GET /v1/ops/chain` of each.
 */
import type { Command } from 'commander';
import { printJson, printLine } from '../../cli/output.ts';
import { withDatabase } from '../../cli/with-database.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { createRpcPool, type RpcPool } from '../rpc/index.ts';
import { chainStatus } from './chain-ops-routes.ts';
import type { ChainStatusShape } from './chain-status-shape.ts';

export function registerChainStatus(chainCommand: Command): void {
  chainCommand
    .command('status')
    .description(
      "The chain plane: the chain and badge contract the database follows, the listener's applied and final block, open and failed mint requests, the minter's open transactions, and (with RPC_URLS) each RPC endpoint asked now.",
    )
    .option('--json', 'print the report as JSON (the shape of GET /v1/ops/chain)')
    .addHelpText(
      'after',
      `
Reads the database cb uses (DATABASE_URL or the embedded one: stop cb start on the same data
directory first). With RPC_URLS, each endpoint is asked eth_chainId and eth_blockNumber; a down
endpoint is listed with the reason (never its URL). Exit code 0 either way: read the report.
Example: cb chain status --json | jq '.mints'`,
    )
    .action(async (opts: { json?: boolean }) => {
      const report = await withDatabase(async ({ config, db, logger, metrics }) => {
        let pool: RpcPool | undefined;
        if (config.rpcEndpoints.length > 0) {
          const shutdown = createShutdown({ graceMs: config.shutdownGraceMs, logger });
          pool = createRpcPool({
            common: { config, logger, metrics, shutdown },
            endpoints: config.rpcEndpoints,
          });
          // A wrong or unreachable endpoint is part of the report, not a reason to stop.
          await pool.checkChainId(config.chainId).catch(() => {});
          await pool.pollHeads();
        }
        try {
          return await chainStatus({ db, logger, chain: pool ? { pool } : undefined });
        } finally {
          await pool?.stop();
        }
      });
      if (opts.json) printJson(report);
      else for (const line of describeStatus(report)) printLine(line);
    });
}

/** The report as lines for a terminal. */
export function describeStatus(s: ChainStatusShape): string[] {
  const lines: string[] = [];
  lines.push(
    s.identity
      ? `chain ${s.identity.chainId}${s.identity.dev ? ' (embedded dev chain)' : ''}, badge ${s.identity.badgeAddress}`
      : 'chain: none recorded yet (the first cb start with a chain records it)',
  );
  if (s.checkpoints.length === 0) lines.push('listener: no checkpoint yet');
  for (const c of s.checkpoints)
    lines.push(
      `listener ${c.contract}: applied block ${c.appliedBlock}, final ${c.finalizedBlock ?? '—'}, moved ${c.updatedAt ?? '—'}`,
    );
  const m = s.mints;
  lines.push(
    `mints: ${m.pending} pending, ${m.submitted} submitted${m.oldestOpenAt ? ` (oldest open ${m.oldestOpenAt})` : ''}; ${m.failed} failed${m.lastFailedAt ? ` (last ${m.lastFailedAt}; listed by GET /v1/ops/mints/failed)` : ''}`,
  );
  const t = s.transactions;
  lines.push(
    `transactions: ${t.open} open${t.oldestSubmittedAt ? ` (oldest sent ${t.oldestSubmittedAt})` : ''}, ${t.replacements} replacement(s)`,
  );
  if (s.instance.rpc === null) lines.push('rpc: no RPC_URLS (the embedded dev chain lives inside cb start)');
  for (const e of s.instance.rpc ?? []) {
    // The pool keeps an endpoint in rotation until failureThreshold failures in a row: say so sooner.
    const why = e.lastError ? `: ${e.lastError}` : '';
    const state = !e.up
      ? `DOWN (circuit ${e.circuit}${why})`
      : e.consecutiveFailures > 0
        ? `FAILING (${e.consecutiveFailures} failure(s) in a row${why})`
        : 'up';
    const latency = e.latencyMs === null ? '' : `, ${e.latencyMs} ms`;
    const head =
      e.headBlock === null ? '' : `, head ${e.headBlock}${e.lagBlocks ? ` (${e.lagBlocks} behind)` : ''}`;
    const chain = e.chainId === null ? '' : `, chain ${e.chainId}`;
    lines.push(`rpc ${e.name}: ${state}${latency}${head}${chain}`);
  }
  return lines;
}
