/**
 * `cb chain status [--json]`: the chain plane for an operator on the box — what `GET /v1/ops/chain`
 * reports from the database (the chain followed, the listener's checkpoint, open and failed mints,
 * the minter's open transactions) and, with RPC_URLS, every endpoint asked now (eth_chainId and the
 * head: up, latency, head, lag, chain id, why it is down). No API key needed; the running
 * instances' own listener and minter state is on `GET /v1/ops/chain` of each.
 *
 * With a minter key configured (CB_MINTER_KEY_FILE / CB_MINTER_PRIVATE_KEY) it also names the
 * minter's account and, with RPC_URLS, asks its balance and whether it holds MINTER_ROLE on the
 * badge — what an operator needs to fund it or grant the role (MinterBalanceLow, MintQueueStalled).
 * The key itself never leaves loadMinterAccount.
 *
 * An emergency pause in force (`cb pause minting|execution`) is named first, with its reason.
 */
import type { Command } from 'commander';
import { type Address, createPublicClient, getAddress } from 'viem';
import { printJson, printLine } from '../../cli/output.ts';
import { withDatabase } from '../../cli/with-database.ts';
import { listPauses, type Pause } from '../../ops/pauses/pauses.ts';
import type { Config } from '../../platform/config.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { hasMinterRole, loadMinterAccount, shortReason } from '../minter/index.ts';
import { nativeAmount } from '../native-amount.ts';
import { createRpcPool, type RpcPool } from '../rpc/index.ts';
import { chainStatus } from './chain-ops-routes.ts';
import type { ChainStatusShape } from './chain-status-shape.ts';

export function registerChainStatus(chainCommand: Command): void {
  chainCommand
    .command('status')
    .description(
      "The chain plane: the chain and badge contract the database follows, the listener's applied and final block, open and failed mint requests, the minter's open transactions, and (with RPC_URLS) each RPC endpoint asked now.",
    )
    .option(
      '--json',
      'print the report as JSON (the shape of GET /v1/ops/chain, plus minterAccount and pauses)',
    )
    .addHelpText(
      'after',
      `
Reads the database cb uses (DATABASE_URL or the embedded one: stop cb start on the same data
directory first). With RPC_URLS, each endpoint is asked eth_chainId and eth_blockNumber; a down
endpoint is listed with the reason (never its URL). With a minter key (CB_MINTER_KEY_FILE or
CB_MINTER_PRIVATE_KEY), the minter's account is named and, with RPC_URLS, its balance and
MINTER_ROLE are asked now. Exit code 0 either way: read the report.
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
          const [status, minterAccount, pauses] = await Promise.all([
            chainStatus({ db, logger, chain: pool ? { pool } : undefined }),
            minterAccountReport(config, pool),
            listPauses(db),
          ]);
          return { ...status, minterAccount, pauses };
        } finally {
          await pool?.stop();
        }
      });
      if (opts.json) printJson(report);
      else for (const line of describeStatus(report)) printLine(line);
    });
}

/** The minter account of this configuration, as `cb chain status` reports it. */
export interface MinterAccountReport {
  /** Null when the configured key cannot be read (then `error` says why). */
  address: string | null;
  /** Wei (decimal); null without RPC_URLS or when the node could not be asked. */
  balanceWei: string | null;
  /** Holds MINTER_ROLE on CB_BADGE_ADDRESS; null when not asked. */
  minterRole: boolean | null;
  /** Why something could not be read (never the key, never a URL). */
  error: string | null;
}

/** Null when no minter key is configured. */
export async function minterAccountReport(
  config: Pick<Config, 'minterPrivateKey' | 'minterKeyFile' | 'badgeAddress'>,
  pool: Pick<RpcPool, 'transport'> | undefined,
): Promise<MinterAccountReport | null> {
  let address: Address;
  try {
    const account = loadMinterAccount(config);
    if (!account) return null;
    address = account.address;
  } catch (err) {
    return { address: null, balanceWei: null, minterRole: null, error: (err as Error).message };
  }
  if (!pool) return { address, balanceWei: null, minterRole: null, error: null };
  const client = createPublicClient({ transport: pool.transport });
  const badge = config.badgeAddress ? getAddress(config.badgeAddress) : undefined;
  const [balance, role] = await Promise.allSettled([
    client.getBalance({ address }),
    badge ? hasMinterRole(client, badge, address) : Promise.resolve(null),
  ]);
  const failed = [balance, role].find((r) => r.status === 'rejected');
  return {
    address,
    balanceWei: balance.status === 'fulfilled' ? balance.value.toString() : null,
    minterRole: role.status === 'fulfilled' ? role.value : null,
    error: failed ? shortReason(failed.reason) : null,
  };
}

/** The report as lines for a terminal. */
export function describeStatus(
  s: ChainStatusShape & { minterAccount?: MinterAccountReport | null; pauses?: Pause[] },
): string[] {
  const lines: string[] = [];
  lines.push(
    s.identity
      ? `chain ${s.identity.chainId}${s.identity.dev ? ' (embedded dev chain)' : ''}, badge ${s.identity.badgeAddress}`
      : 'chain: none recorded yet (the first cb start with a chain records it)',
  );
  // An emergency stop first: it explains a queue that does not move (cb resume <switch>).
  for (const p of s.pauses ?? [])
    lines.push(`${p.name}: PAUSED since ${p.pausedAt} by ${p.pausedBy}: ${p.reason} (cb resume ${p.name})`);
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
  lines.push(describeReconciliation(s.reconciliation));
  const a = s.minterAccount;
  if (a === null)
    lines.push('minter account: no key configured (CB_MINTER_KEY_FILE or CB_MINTER_PRIVATE_KEY)');
  else if (a !== undefined) lines.push(describeMinterAccount(a));
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

function describeMinterAccount(a: MinterAccountReport): string {
  if (a.address === null) return `minter account: the key cannot be used: ${a.error}`;
  const parts: string[] = [];
  if (a.balanceWei !== null) parts.push(`balance ${nativeAmount(a.balanceWei)} (native unit)`);
  if (a.minterRole === true) parts.push('holds MINTER_ROLE');
  if (a.minterRole === false)
    parts.push(`LACKS MINTER_ROLE (badge admin: cb chain roles grant minter ${a.address})`);
  if (a.error) parts.push(`could not ask the chain: ${a.error}`);
  else if (a.balanceWei === null) parts.push('balance and role: need RPC_URLS');
  return `minter account ${a.address}: ${parts.join(', ')}`;
}

/** The latest chain reconciliation, one line. */
export function describeReconciliation(r: ChainStatusShape['reconciliation']): string {
  if (!r) return 'reconciliation: none yet (the chain.reconcile job, or cb reconcile chain)';
  const how = `${r.trigger === 'cli' ? 'cb reconcile chain' : 'scheduled'}${r.fix ? ' --fix' : ''}`;
  if (r.error !== null) return `reconciliation: FAILED ${r.finishedAt} (${how}): ${r.error}`;
  const kinds = Object.entries(r.differences)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  const found = kinds ? `found ${kinds}` : 'no difference';
  const left = r.fix && kinds ? `; ${r.changes} repair(s), ${r.differencesLeft} left` : '';
  return `reconciliation: ${r.finishedAt} (${how}) at block ${r.block}, ${r.checkedTokens} token(s): ${found}${left}`;
}
