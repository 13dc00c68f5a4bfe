import type { Command } from 'commander';
import { cliConfig } from '../cli/load-config.ts';
import { CliError, printJson, printLine } from '../cli/output.ts';
import { deployBadge } from './contracts/deploy-badge.ts';
import { type DevChain, type DevChainClosed, startDevChain } from './dev-chain.ts';

const KEYS_WARNING =
  "These are hardhat's PUBLIC, well-known development keys: anyone can take what is sent to them on a real network. Use them on this dev chain only.";

/** Adds `cb chain dev`: a local hardhat node with the badge contract deployed, until Ctrl-C. */
export function registerChainDev(chainCommand: Command): void {
  chainCommand
    .command('dev')
    .description(
      'Run a local dev chain (hardhat node, chain id 31337, automine) with AchievementBadge deployed; prints the RPC URL, the contract and the funded dev accounts, and runs until Ctrl-C.',
    )
    .option('--port <port>', 'JSON-RPC port on 127.0.0.1 (0 picks a free one)', '8545')
    .option(
      '--block-time <seconds>',
      'also mine a block every this many seconds, transactions or not, as a real chain does (then confirmations come by themselves); default: only when a transaction arrives',
    )
    .option(
      '--base-uri <url>',
      'tokenURI prefix of the badges (default: CB_PUBLIC_URL, or http://CB_HOST:CB_PORT, + /v1/badges/)',
    )
    .option('--json', 'print the chain, the contract and the accounts as one JSON object')
    .addHelpText(
      'after',
      `
The contract's admin (DEFAULT_ADMIN_ROLE) is dev account #0, its minter (MINTER_ROLE) account #1;
the printed settings make #0 the governance executor (onchain_call proposals) and #1 the minter.
The 20 dev accounts hold 10000 ETH each. ${KEYS_WARNING}

Without --block-time a block is mined only when a transaction arrives, so nothing would bring a
mint its confirmations: the settings printed for cb start then include CB_CHAIN_CONFIRMATIONS=0.
With --block-time they keep cb's default depth, as against a real chain.

Example: in one terminal \`cb chain dev\`; in another, run cb against it with the settings it prints:
  RPC_URLS=http://127.0.0.1:8545 CB_CHAIN_ID=31337 CB_BADGE_ADDRESS=0x… CB_MINTER_PRIVATE_KEY=0x… cb start`,
    )
    .action(async (opts: { port: string; blockTime?: string; baseUri?: string; json?: boolean }) => {
      const port = parsePort(opts.port);
      const blockTimeMs = opts.blockTime === undefined ? undefined : parseBlockTime(opts.blockTime);
      const baseUri = opts.baseUri ?? defaultBaseUri();
      if (!/^https?:\/\/\S+\/$/.test(baseUri))
        throw new CliError(`--base-uri must be an http(s) URL ending with "/", got "${baseUri}"`);

      let chain: DevChain;
      try {
        chain = await startDevChain({ mode: 'node', host: '127.0.0.1', port });
      } catch (err) {
        throw new CliError(`could not start the dev chain on 127.0.0.1:${port}: ${(err as Error).message}`);
      }
      let badge: Awaited<ReturnType<typeof deployBadge>>;
      try {
        badge = await deployBadge({
          transport: chain.transport,
          chain: chain.chain,
          deployer: chain.deployer,
          admin: chain.admin.address,
          minter: chain.minter.address,
          baseUri,
        });
      } catch (err) {
        await chain.stop();
        throw new CliError(`could not deploy AchievementBadge: ${(err as Error).message.split('\n')[0]}`);
      }
      if (blockTimeMs !== undefined) await chain.setIntervalMining(blockTimeMs);

      const settings = {
        RPC_URLS: chain.rpcUrl,
        CB_CHAIN_ID: String(chain.chainId),
        CB_BADGE_ADDRESS: badge.address,
        CB_CHAIN_START_BLOCK: String(badge.blockNumber),
        CB_MINTER_PRIVATE_KEY: chain.minter.privateKey,
        // The badge's admin executes passed onchain_call proposals, as on the embedded dev chain.
        CB_EXECUTOR_PRIVATE_KEY: chain.admin.privateKey,
        // Blocks only on transactions: a confirmation depth would keep the last mint waiting.
        ...(blockTimeMs === undefined ? { CB_CHAIN_CONFIRMATIONS: '0' } : {}),
      };
      if (opts.json) {
        printJson({
          rpcUrl: chain.rpcUrl,
          chainId: chain.chainId,
          blockTimeSeconds: blockTimeMs === undefined ? null : blockTimeMs / 1000,
          badge: { address: badge.address, blockNumber: badge.blockNumber, baseUri },
          admin: chain.admin.address,
          minter: chain.minter.address,
          accounts: chain.accounts,
          accountsWarning: KEYS_WARNING,
          settings,
        });
      } else {
        printLine(
          `cb dev chain: hardhat node at ${chain.rpcUrl} (chain id ${chain.chainId}), automine on${blockTimeMs === undefined ? '' : `, a block every ${blockTimeMs / 1000} s`}`,
        );
        printLine(`AchievementBadge deployed at ${badge.address} in block ${badge.blockNumber}`);
        printLine(`  admin  (DEFAULT_ADMIN_ROLE)  account #0  ${chain.admin.address}`);
        printLine(`  minter (MINTER_ROLE)         account #1  ${chain.minter.address}`);
        printLine(`  tokenURI                     ${baseUri}<id>/metadata`);
        printLine();
        printLine(`Funded dev accounts (10000 ETH each). ${KEYS_WARNING}`);
        chain.accounts.forEach((a, i) => {
          printLine(`  #${String(i).padEnd(2)}  ${a.address}  ${a.privateKey}`);
        });
        printLine();
        printLine('To run cb against this chain:');
        printLine(
          `  ${Object.entries(settings)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')} cb start`,
        );
        printLine();
        printLine('Ctrl-C stops the chain.');
      }

      const closed = await untilStopped(chain);
      if (!closed.stopped && closed.signal === null && closed.exitCode !== 0)
        throw new CliError(`the dev chain exited unexpectedly (exit code ${closed.exitCode})`);
      if (!opts.json) printLine('dev chain stopped');
    });
}

/** Waits for Ctrl-C / SIGTERM (then stops the node) or for the node to exit by itself. */
async function untilStopped(chain: DevChain): Promise<DevChainClosed> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = () => void chain.stop();
  for (const s of signals) process.on(s, onSignal);
  try {
    return await chain.closed;
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new CliError(`--port must be a whole number from 0 to 65535, got "${raw}"`);
  return port;
}

function parseBlockTime(raw: string): number {
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || seconds < 0.1 || seconds > 3600)
    throw new CliError(`--block-time must be a number of seconds from 0.1 to 3600, got "${raw}"`);
  return Math.round(seconds * 1000);
}

function defaultBaseUri(): string {
  const config = cliConfig();
  const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
  return `${base.replace(/\/+$/, '')}/v1/badges/`;
}
