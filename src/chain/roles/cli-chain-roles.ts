/**
 * `cb chain roles [--json]`, `cb chain roles grant|revoke <admin|minter> <address>`: who holds the
 * badge contract's roles, and changing them — the incident procedure's "revoke the exposed minter"
 * and a minter-key rotation, done with cb (docs/operations.md, "Security incidents").
 *
 * - The list reads RoleGranted / RoleRevoked logs from CB_CHAIN_START_BLOCK and confirms every
 *   holder with `hasRole` (list-role-holders.ts), and says whether the configured minter and
 *   executor accounts hold their roles. Read-only: no database, no key.
 * - grant / revoke sign with `--admin-key-file` after the checks of change-badge-role.ts (chain
 *   id by the RPC pool, the signer is an admin, not a no-op, not the last admin), wait for the
 *   receipt CB_CHAIN_CONFIRMATIONS deep, and are recorded in the audit trail with their
 *   transaction (audited-commands.ts). `--dry-run` checks and simulates only; `--calldata` prints
 *   the call for an admin that signs elsewhere (a Safe, a hardware wallet), with no key and no RPC.
 */
import type { Command } from 'commander';
import {
  type Address,
  type Chain,
  createPublicClient,
  getAddress,
  isAddress,
  type PublicClient,
  type Transport,
} from 'viem';
import { noteAuditResult } from '../../cli/audited-commands.ts';
import { cliLogger } from '../../cli/cli-logger.ts';
import { cliConfig } from '../../cli/load-config.ts';
import { CliError, percent, printJson, printLine, progressWriter } from '../../cli/output.ts';
import { type CliContext, withDatabase } from '../../cli/with-database.ts';
import type { Config } from '../../platform/config.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { chainOfId } from '../chain-of-id.ts';
import { loadExecutorAccount } from '../load-executor-account.ts';
import { loadMinterAccount } from '../minter/index.ts';
import { createRpcPool } from '../rpc/index.ts';
import { BADGE_ROLE_NAMES, BADGE_ROLES, type BadgeRoleName, badgeRoleNamed } from './badge-roles.ts';
import { type ChangeBadgeRoleResult, changeBadgeRole } from './change-badge-role.ts';
import { listRoleHolders, type RoleHolder, type RoleHolders } from './list-role-holders.ts';
import { loadAdminKeyAccount } from './load-admin-key-account.ts';
import { type RoleAction, roleChangeCalldata } from './role-change-calldata.ts';

/** Above this many eth_getLogs requests, the list says on stderr what it reads and how far it is. */
const PROGRESS_ABOVE_REQUESTS = 10n;

export function registerChainRoles(chainCommand: Command): void {
  const roles = chainCommand
    .command('roles')
    .description(
      "The badge contract's roles — DEFAULT_ADMIN_ROLE (admin) and MINTER_ROLE (minter): who holds them (list, the default), and grant or revoke them.",
    )
    .addHelpText(
      'after',
      `
Each has its own --help. Examples:
  cb chain roles                                                             # = cb chain roles list
  cb chain roles revoke minter 0x… --admin-key-file /etc/cb/badge-admin.key  # an exposed minter
  cb chain roles grant minter 0x… --admin-key-file /etc/cb/badge-admin.key   # its replacement
  cb chain roles grant minter 0x… --calldata                                 # for a Safe to sign
The incident procedure and the minter-key rotation: docs/operations.md, "Security incidents".`,
    );
  roles
    // The default: `cb chain roles [--json]`.
    .command('list', { isDefault: true })
    .description(
      'Who holds DEFAULT_ADMIN_ROLE and MINTER_ROLE on the badge contract, and whether the configured minter and executor accounts hold their roles.',
    )
    .option('--json', 'print the holders as JSON')
    .addHelpText(
      'after',
      `
Needs RPC_URLS and CB_BADGE_ADDRESS (the chain id is checked against CB_CHAIN_ID). AccessControl
keeps no list of holders: the candidates come from the contract's RoleGranted/RoleRevoked logs from
CB_CHAIN_START_BLOCK (the deployment block, as the listener reads) to the head, in chunks of
CB_LISTENER_CHUNK_BLOCKS (progress on stderr for a long range), and each one is confirmed with
hasRole at the head block. A grant older than CB_CHAIN_START_BLOCK is not seen (the configured
minter and executor accounts are asked directly). No key and no database needed; exit code 0.
Example: cb chain roles --json | jq '.roles.minter.holders'`,
    )
    .action(async (opts: { json?: boolean }) => {
      const config = requireChain('cb chain roles', false);
      const report = await withBadgeChain(standalone(config), async ({ chainId, client, transport }) => {
        const configured = configuredAccounts(config);
        const progress = progressWriter('roles');
        const holders = await listRoleHolders({
          transport,
          client,
          badgeAddress: badgeOf(config),
          fromBlock: BigInt(config.chainStartBlock),
          chunkBlocks: config.listenerChunkBlocks,
          concurrency: config.listenerConcurrency,
          alsoCheck: configured.flatMap((c) => (c.address ? [c.address] : [])),
          onProgress: (done, total) => {
            const requests =
              (total + BigInt(config.listenerChunkBlocks) - 1n) / BigInt(config.listenerChunkBlocks);
            if (requests <= PROGRESS_ABOVE_REQUESTS) return;
            if (done === 0n)
              process.stderr.write(
                `roles: reading the role logs of ${total} blocks from block ${config.chainStartBlock} (${requests} eth_getLogs requests of ${config.listenerChunkBlocks} blocks)\n`,
              );
            else progress(() => `blocks read ${done} of ${total} (${percent(done, total)} %)`);
          },
        });
        return rolesReport(config, chainId, holders, configured);
      });
      if (opts.json) printJson(report);
      else for (const line of describeRoles(report)) printLine(line);
    });

  for (const action of ['grant', 'revoke'] as const) registerChange(roles, action);
}

function registerChange(roles: Command, action: RoleAction): void {
  const verb = action === 'grant' ? 'Give' : 'Take';
  const command = roles
    .command(action)
    .argument(
      '<role>',
      `${BADGE_ROLE_NAMES.join(' or ')}: admin is DEFAULT_ADMIN_ROLE, minter is MINTER_ROLE`,
    )
    .argument('<address>', 'the account (0x + 40 hex; mixed case must be a valid EIP-55 checksum)')
    .description(
      `${verb} a badge role ${action === 'grant' ? 'to' : 'from'} an account: signed by an admin key (--admin-key-file), or printed as calldata for an admin that signs elsewhere (--calldata).`,
    )
    .option(
      '--admin-key-file <path>',
      'file holding the private key (0x + 64 hex) of an account with DEFAULT_ADMIN_ROLE; mode 600, never printed',
    )
    .option('--dry-run', 'check and simulate the change, print what would be sent, send nothing')
    .option(
      '--calldata',
      'print to/data of the call for a multisig (Safe) or hardware wallet: no key, no RPC',
    );
  if (action === 'revoke')
    command.option('--force', 'revoke DEFAULT_ADMIN_ROLE even from the last admin cb finds (irreversible)');
  command
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
Before sending, cb checks the chain id (CB_CHAIN_ID), that the signer holds DEFAULT_ADMIN_ROLE
(else CHAIN_ROLES_SIGNER_NOT_ADMIN, nothing sent), and that the change changes something: an
account that ${action === 'grant' ? 'already holds' : 'does not hold'} the role is said so, nothing is sent, exit code 0.${
        action === 'revoke'
          ? `
Revoking admin from the last admin cb finds is refused (CHAIN_ROLES_LAST_ADMIN) unless --force: a
badge without an admin can never grant a minter again.`
          : ''
      }
Then the transaction is sent, its receipt awaited CB_CHAIN_CONFIRMATIONS blocks deep, and its hash
and block printed; the command is recorded in the audit trail with the transaction (not --dry-run
nor --calldata). Needs RPC_URLS and CB_BADGE_ADDRESS (--calldata: only CB_BADGE_ADDRESS).
Examples:
  cb chain roles ${action} minter 0x… --admin-key-file /etc/cb/badge-admin.key --dry-run
  cb chain roles ${action} minter 0x… --admin-key-file /etc/cb/badge-admin.key
  cb chain roles ${action} minter 0x… --calldata --json`,
    )
    .action(
      async (
        rawRole: string,
        rawAddress: string,
        opts: {
          adminKeyFile?: string;
          dryRun?: boolean;
          calldata?: boolean;
          force?: boolean;
          json?: boolean;
        },
      ) => {
        const role = badgeRoleNamed(rawRole);
        if (!role)
          throw new CliError(`no role "${rawRole}": admin (DEFAULT_ADMIN_ROLE) or minter (MINTER_ROLE)`, 2);
        if (!isAddress(rawAddress, { strict: true }))
          throw new CliError(
            `"${rawAddress.slice(0, 80)}" is not an address: 0x and 40 hex digits (mixed case must be a valid EIP-55 checksum)`,
            2,
          );
        const account = getAddress(rawAddress);

        if (opts.calldata) {
          if (opts.adminKeyFile !== undefined || opts.dryRun)
            throw new CliError(
              '--calldata needs no key and sends nothing: drop --admin-key-file and --dry-run',
              2,
            );
          const config = requireChain(`cb chain roles ${action} --calldata`, true);
          const call = roleChangeCalldata(badgeOf(config), action, role, account);
          if (opts.json) return printJson({ ...call, chainId: config.chainId ?? null });
          printLine(`to: ${call.to}`);
          printLine(`data: ${call.data}`);
          printLine(`value: ${call.value}`);
          printLine(
            `${call.explanation}${config.chainId === undefined ? '' : ` (chain ${config.chainId})`}; nothing was sent: propose it from the admin (e.g. a Safe's transaction builder with custom data)`,
          );
          return;
        }

        if (opts.adminKeyFile === undefined)
          throw new CliError(
            `--admin-key-file is required to sign (or --calldata, to print the call for an admin that signs elsewhere)`,
            2,
          );
        const config = requireChain(`cb chain roles ${action}`, false);
        const signer = loadAdminKeyAccount(opts.adminKeyFile);
        const run = (ctx: Pick<CliContext, 'config' | 'logger' | 'metrics'>) =>
          withBadgeChain(ctx, async ({ chainId, client, transport, chain }) => {
            const badgeAddress = badgeOf(config);
            noteAuditResult({ signer: signer.address, role: role.label, account, chainId, badgeAddress });
            const result = await changeBadgeRole({
              client,
              transport,
              chain,
              badgeAddress,
              action,
              role,
              account,
              signer,
              confirmations: config.chainConfirmations,
              force: opts.force,
              dryRun: opts.dryRun,
              admins: async () =>
                (
                  await listRoleHolders({
                    transport,
                    client,
                    badgeAddress,
                    fromBlock: BigInt(config.chainStartBlock),
                    chunkBlocks: config.listenerChunkBlocks,
                    concurrency: config.listenerConcurrency,
                    alsoCheck: [signer.address],
                  })
                ).holders.admin,
              onSent: (hash) =>
                process.stderr.write(
                  `roles: sent ${hash}, waiting for its receipt ${config.chainConfirmations} block(s) deep\n`,
                ),
            });
            noteAuditResult(auditResult(result));
            return { chainId, badgeAddress, result };
          });
        const { chainId, badgeAddress, result } = opts.dryRun
          ? await run(standalone(config))
          : await withDatabase(run, { migrate: true });
        const base = { action, role: role.label, account, chainId, badgeAddress };
        if (opts.json) return printJson({ ...base, ...result });
        printLine(describeChange(action, role.label, account, result));
      },
    );
}

/** The settings the chain commands need, checked before anything is opened. */
function requireChain(command: string, calldataOnly: boolean): Readonly<Config> {
  const config = cliConfig();
  const missing = [
    ...(!calldataOnly && config.rpcEndpoints.length === 0 ? ['RPC_URLS'] : []),
    ...(config.badgeAddress === undefined ? ['CB_BADGE_ADDRESS'] : []),
  ];
  if (missing.length > 0)
    throw new CliError(
      `${command} needs ${missing.join(' and ')} (the badge contract${calldataOnly ? '' : ' and its chain; the embedded dev chain exists only inside `cb start`'})`,
      2,
    );
  return config;
}

function badgeOf(config: Pick<Config, 'badgeAddress'>): Address {
  return getAddress(config.badgeAddress as string);
}

/** Logger (stderr) and metrics for a command that opens no database. */
function standalone(config: Readonly<Config>): Pick<CliContext, 'config' | 'logger' | 'metrics'> {
  return { config, logger: cliLogger(config), metrics: createMetrics() };
}

/** The RPC pool over RPC_URLS, its chain id checked (CB_CHAIN_ID, or the endpoints agree), for `fn`. */
async function withBadgeChain<T>(
  ctx: Pick<CliContext, 'config' | 'logger' | 'metrics'>,
  fn: (chain: {
    chainId: number;
    chain: Chain;
    client: PublicClient<Transport, Chain>;
    transport: Transport;
  }) => Promise<T>,
): Promise<T> {
  const { config, logger, metrics } = ctx;
  const shutdown = createShutdown({ graceMs: config.shutdownGraceMs, logger });
  const pool = createRpcPool({
    common: { config, logger, metrics, shutdown },
    endpoints: config.rpcEndpoints,
  });
  try {
    const chainId = await pool.checkChainId(config.chainId);
    const chain = chainOfId(chainId);
    const client = createPublicClient({
      chain,
      transport: pool.transport,
      pollingInterval: config.chainPollIntervalMs,
    });
    return await fn({ chainId, chain, client, transport: pool.transport });
  } finally {
    await pool.stop();
  }
}

/** A configured signing account and the role it is there for. */
interface ConfiguredAccount {
  kind: 'minter' | 'executor';
  /** Null when the key cannot be read (then `error` says why). */
  address: Address | null;
  error: string | null;
}

/** The minter (CB_MINTER_KEY_FILE / CB_MINTER_PRIVATE_KEY) and executor accounts, when configured. */
function configuredAccounts(config: Readonly<Config>): ConfiguredAccount[] {
  const accounts: ConfiguredAccount[] = [];
  for (const [kind, load] of [
    ['minter', () => loadMinterAccount(config)],
    ['executor', () => loadExecutorAccount(config)],
  ] as const) {
    try {
      const account = load();
      if (account) accounts.push({ kind, address: account.address, error: null });
    } catch (err) {
      accounts.push({ kind, address: null, error: (err as Error).message });
    }
  }
  return accounts;
}

/** `cb chain roles --json`. Blocks are decimal strings. */
export interface RolesReport {
  chainId: number;
  badgeAddress: Address;
  /** Logs were read from here to `headBlock`; `hasRole` asked at `headBlock`. */
  fromBlock: string;
  headBlock: string;
  logsRead: number;
  roles: Record<
    BadgeRoleName,
    {
      role: 'DEFAULT_ADMIN_ROLE' | 'MINTER_ROLE';
      roleId: string;
      holders: {
        address: Address;
        grantedInBlock: string | null;
        grantedInTx: string | null;
        grantedBy: Address | null;
      }[];
    }
  >;
  /** The configured keys' accounts: null when not configured. */
  accounts: Record<
    'minter' | 'executor',
    {
      address: Address | null;
      /** The role it is there for: MINTER_ROLE for the minter, DEFAULT_ADMIN_ROLE for the executor (a DAO's timelock). */
      role: 'DEFAULT_ADMIN_ROLE' | 'MINTER_ROLE';
      holds: boolean | null;
      error: string | null;
    } | null
  >;
}

const ROLE_OF: Record<ConfiguredAccount['kind'], BadgeRoleName> = { minter: 'minter', executor: 'admin' };

function rolesReport(
  config: Readonly<Config>,
  chainId: number,
  found: RoleHolders,
  configured: ConfiguredAccount[],
): RolesReport {
  const holder = (h: RoleHolder) => ({
    address: h.address,
    grantedInBlock: h.grantedInBlock === null ? null : String(h.grantedInBlock),
    grantedInTx: h.grantedInTx,
    grantedBy: h.grantedBy,
  });
  const accounts: RolesReport['accounts'] = { minter: null, executor: null };
  for (const c of configured) {
    const role = BADGE_ROLES[ROLE_OF[c.kind]];
    accounts[c.kind] = {
      address: c.address,
      role: role.label,
      holds: c.address ? (found.checked.get(c.address)?.[role.name] ?? null) : null,
      error: c.error,
    };
  }
  return {
    chainId,
    badgeAddress: badgeOf(config),
    fromBlock: String(found.fromBlock),
    headBlock: String(found.headBlock),
    logsRead: found.logsRead,
    roles: {
      admin: {
        role: 'DEFAULT_ADMIN_ROLE',
        roleId: BADGE_ROLES.admin.id,
        holders: found.holders.admin.map(holder),
      },
      minter: {
        role: 'MINTER_ROLE',
        roleId: BADGE_ROLES.minter.id,
        holders: found.holders.minter.map(holder),
      },
    },
    accounts,
  };
}

/** The report as lines for a terminal. */
export function describeRoles(r: RolesReport): string[] {
  const lines = [
    `badge ${r.badgeAddress} on chain ${r.chainId}: holders at block ${r.headBlock} (role logs read from block ${r.fromBlock}: ${r.logsRead})`,
  ];
  for (const name of BADGE_ROLE_NAMES) {
    const { role, holders } = r.roles[name];
    lines.push(
      `${role} (${name}): ${holders.length === 0 ? 'no holder found' : `${holders.length} holder(s)`}`,
    );
    for (const h of holders)
      lines.push(
        h.grantedInBlock === null
          ? `  ${h.address}  (granted before block ${r.fromBlock})`
          : `  ${h.address}  granted in block ${h.grantedInBlock} by ${h.grantedBy} (tx ${h.grantedInTx})`,
      );
    if (name === 'admin' && holders.length === 0)
      lines.push(
        `  no admin since block ${r.fromBlock}: roles can no longer be changed, unless one was granted earlier (CB_CHAIN_START_BLOCK)`,
      );
  }
  for (const kind of ['minter', 'executor'] as const) {
    const a = r.accounts[kind];
    const setting = kind === 'minter' ? 'CB_MINTER_KEY_FILE' : 'CB_EXECUTOR_KEY_FILE';
    if (a === null) lines.push(`${kind} account: no key configured (${setting})`);
    else if (a.address === null) lines.push(`${kind} account: the key cannot be used: ${a.error}`);
    else if (a.holds) lines.push(`${kind} account ${a.address} holds ${a.role}`);
    else if (kind === 'minter')
      lines.push(
        `minter account ${a.address} LACKS MINTER_ROLE: it cannot mint (cb chain roles grant minter ${a.address})`,
      );
    else
      lines.push(
        `executor account ${a.address} does not hold DEFAULT_ADMIN_ROLE: passed proposals calling the badge's admin functions will revert`,
      );
  }
  return lines;
}

/** What the audit record keeps of the outcome (blocks as decimal strings). */
function auditResult(result: ChangeBadgeRoleResult): Record<string, unknown> {
  if (result.outcome === 'unchanged') return { outcome: 'unchanged', reason: result.reason };
  if (result.outcome === 'dry-run') return { outcome: 'dry-run' };
  return { outcome: 'sent', txHash: result.txHash, blockNumber: String(result.blockNumber) };
}

function describeChange(
  action: RoleAction,
  label: string,
  account: Address,
  result: ChangeBadgeRoleResult,
): string {
  switch (result.outcome) {
    case 'unchanged':
      return `${account} ${result.reason} ${label}: nothing sent`;
    case 'dry-run':
      return `dry run: would send ${action === 'grant' ? 'grantRole' : 'revokeRole'}(${label}, ${account}) from ${result.from} to ${result.to} (gas ${result.gas}), data ${result.data}; nothing sent`;
    case 'sent':
      return `${action === 'grant' ? `granted ${label} to` : `revoked ${label} from`} ${account}: transaction ${result.txHash} in block ${result.blockNumber} (signed by ${result.from})`;
  }
}
