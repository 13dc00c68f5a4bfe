/**
 * A local development chain (hardhat 2, EDR engine) for `cb chain dev`, for `cb start` with no
 * RPC_URLS, and for tests — always the same chain: id 31337, automine on, hardhat's 20 funded
 * default accounts, per-transaction gas cap 2^24 (Osaka). Settings live in /hardhat.config.cjs.
 *
 * - `in-process`: hardhat's EDR provider in this process, behind viem's `custom()` transport. Each
 *   call makes an independent chain. The provider is built from hardhat's config resolver and
 *   provider factory, given our config file's absolute path — not `import('hardhat')`, which looks
 *   for a config upward from the working directory and keeps one chain per process.
 * - `node`: a `hardhat node` child process serving HTTP JSON-RPC (and WebSocket) on host:port,
 *   for other processes (wallets, a second `cb` instance). Port 0 picks a free port.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Address,
  type Chain,
  custom,
  type EIP1193RequestFn,
  type Hex,
  http,
  numberToHex,
  type Transport,
} from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { hardhat } from 'viem/chains';

export {
  type DeployBadgeParameters,
  type DeployBadgeReturnType,
  deployBadge,
} from './contracts/deploy-badge.ts';

const require = createRequire(import.meta.url);
/** The repository root: the directory holding hardhat.config.cjs and node_modules/hardhat. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HARDHAT_CONFIG = join(ROOT, 'hardhat.config.cjs');

export type DevChainOptions =
  | { mode: 'in-process' }
  | {
      mode: 'node';
      /** Interface the node listens on. @defaultValue '127.0.0.1' */
      host?: string | undefined;
      /** JSON-RPC port; 0 picks a free one (see `rpcUrl`). @defaultValue 8545 */
      port?: number | undefined;
      /** Gives up when the node does not answer within this many ms. @defaultValue 30000 */
      startTimeoutMs?: number | undefined;
    };

/** A funded dev account. Hardhat's default mnemonic: public, well-known keys — never use them live. */
export interface DevAccount {
  address: Address;
  privateKey: Hex;
}

export interface DevChain {
  readonly mode: DevChainOptions['mode'];
  /** HTTP JSON-RPC URL (`node` mode only). */
  readonly rpcUrl: string | undefined;
  /** viem transport to this chain. */
  readonly transport: Transport;
  /** viem chain definition (hardhat, id 31337, with `rpcUrl` when there is one). */
  readonly chain: Chain;
  readonly chainId: number;
  /** The 20 funded accounts (10 000 ETH each), in hardhat's order. */
  readonly accounts: readonly DevAccount[];
  /** Deploys contracts: account #0. */
  readonly deployer: DevAccount;
  /** Gets the badge's DEFAULT_ADMIN_ROLE: account #0. */
  readonly admin: DevAccount;
  /** Gets MINTER_ROLE: account #1, so the minter's nonces never race the admin's. */
  readonly minter: DevAccount;
  /** Turns automine (one block per transaction, the default) on or off. */
  setAutomine(on: boolean): Promise<void>;
  /**
   * Also mines a block every `ms` milliseconds, transactions or not, as a real chain does (automine
   * stays as it is); 0 turns it off.
   */
  setIntervalMining(ms: number): Promise<void>;
  /** Mines `blocks` blocks (1 by default); pending transactions go into the first. */
  mine(blocks?: number): Promise<void>;
  /** Snapshots the chain state (`evm_snapshot`); an id can be reverted to once. */
  snapshot(): Promise<Hex>;
  /** Returns to a snapshot (`evm_revert`), which uses it up. @throws Error for an unknown or used id. */
  revert(id: Hex): Promise<void>;
  /** Stops the chain (kills the node); later requests fail. Idempotent. */
  stop(): Promise<void>;
  /**
   * Resolves when the chain stopped: by `stop()`, or when the node process exited by itself (then
   * with its exit code or signal; a terminal's Ctrl-C reaches the node too).
   */
  readonly closed: Promise<DevChainClosed>;
}

export interface DevChainClosed {
  /** True when `stop()` stopped it. */
  stopped: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** A dev chain could not be started or used; `message` is one line. */
export class DevChainError extends Error {
  override name = 'DevChainError';
}

interface HardhatAccountsConfig {
  mnemonic: string;
}
interface HardhatResolvedConfig {
  networks: { hardhat: { chainId: number; accounts: HardhatAccountsConfig } };
}
interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

/** Hardhat's resolved config for our hardhat.config.cjs (read once per process). */
let resolvedConfig: HardhatResolvedConfig | undefined;
function hardhatConfig(): HardhatResolvedConfig {
  if (!resolvedConfig) {
    const { resolveConfig } = require('hardhat/internal/core/config/config-resolution') as {
      resolveConfig(path: string, userConfig: unknown): HardhatResolvedConfig;
    };
    resolvedConfig = resolveConfig(HARDHAT_CONFIG, require(HARDHAT_CONFIG));
  }
  return resolvedConfig;
}

function devAccounts(config: HardhatResolvedConfig): DevAccount[] {
  const { normalizeHardhatNetworkAccountsConfig } = require('hardhat/internal/core/providers/util') as {
    normalizeHardhatNetworkAccountsConfig(accounts: HardhatAccountsConfig): { privateKey: string }[];
  };
  return normalizeHardhatNetworkAccountsConfig(config.networks.hardhat.accounts).map(({ privateKey }) => ({
    address: privateKeyToAddress(privateKey as Hex),
    privateKey: privateKey as Hex,
  }));
}

/** Starts a local dev chain; see the module comment for the two modes. */
export async function startDevChain(options: DevChainOptions): Promise<DevChain> {
  const config = hardhatConfig();
  const accounts = devAccounts(config);
  if (options.mode === 'in-process') return startInProcess(config, accounts);
  return startNode(options, accounts);
}

async function startInProcess(config: HardhatResolvedConfig, accounts: DevAccount[]): Promise<DevChain> {
  const { createProvider } = require('hardhat/internal/core/providers/construction') as {
    createProvider(config: HardhatResolvedConfig, network: string): Promise<Eip1193Provider>;
  };
  const provider = await createProvider(config, 'hardhat');
  await provider.request({ method: 'hardhat_setLoggingEnabled', params: [false] });
  let stopped = false;
  let markClosed!: (v: DevChainClosed) => void;
  const closed = new Promise<DevChainClosed>((resolve) => {
    markClosed = resolve;
  });
  const request = (async (args: { method: string; params?: unknown }) => {
    if (stopped) throw new DevChainError(`dev chain stopped (request ${args.method})`);
    try {
      return await provider.request(args);
    } catch (err) {
      throw asJsonRpcError(err);
    }
  }) as EIP1193RequestFn;
  return makeDevChain({
    mode: 'in-process',
    rpcUrl: undefined,
    transport: custom({ request }, { name: 'Hardhat in-process', retryCount: 0 }),
    request,
    chainId: config.networks.hardhat.chainId,
    accounts,
    closed,
    async stop() {
      if (stopped) return;
      stopped = true;
      markClosed({ stopped: true, exitCode: null, signal: null });
    },
  });
}

/** A JSON-RPC error as `hardhat node` sends it over HTTP: `{ code, message, data: { message, data, txHash } }`. */
class JsonRpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data: unknown,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * The in-process provider throws a revert as an Error without a JSON-RPC `code` (the revert data in
 * `data`), which viem cannot decode. Reshape it the way hardhat's JSON-RPC server does (code -32603,
 * `data.data` = revert data) so both modes give viem the same errors — e.g. a decoded custom error.
 */
function asJsonRpcError(err: unknown): unknown {
  if (!(err instanceof Error) || typeof (err as { code?: unknown }).code === 'number') return err;
  const { data, transactionHash } = err as { data?: unknown; transactionHash?: unknown };
  const returnData = typeof data === 'object' && data !== null && 'data' in data ? data.data : data;
  return new JsonRpcError(
    err.message,
    -32603,
    {
      message: err.message,
      ...(returnData === undefined ? {} : { data: returnData }),
      ...(transactionHash === undefined ? {} : { txHash: transactionHash }),
    },
    err,
  );
}

async function startNode(
  options: Extract<DevChainOptions, { mode: 'node' }>,
  accounts: DevAccount[],
): Promise<DevChain> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8545;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  // Hardhat's CLI refuses to run from outside the project ("non-local installation"): run it from
  // the repo root, with our config by path.
  const child = spawn(
    process.execPath,
    [
      require.resolve('hardhat/internal/cli/bootstrap.js'),
      'node',
      '--config',
      HARDHAT_CONFIG,
      '--hostname',
      host,
      '--port',
      String(port),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // A crashed or interrupted parent must not leave a node holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const tail: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line.trim());
    tail.splice(0, Math.max(0, tail.length - 30));
  };
  let stopping = false;
  const closed = new Promise<DevChainClosed>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      process.removeListener('exit', killOnExit);
      resolve({ stopped: stopping, exitCode, signal });
    });
  });

  let rpcUrl: string;
  try {
    rpcUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DevChainError(`hardhat node did not start within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        remember(chunk);
        const m = /JSON-RPC server at (http:\/\/\S+?)\/?(\s|$)/.exec(tail.join('\n'));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr.on('data', remember);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new DevChainError(`could not run hardhat node: ${err.message}`, { cause: err }));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        const reason = tail.find((l) => /^Error\b|EADDRINUSE|HH\d+/.test(l)) ?? tail.at(-1) ?? 'no output';
        reject(new DevChainError(`hardhat node exited (code ${code}) before it was ready: ${reason}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await closed;
    throw err;
  }

  const transport = http(rpcUrl, { retryCount: 0 });
  const request = transport({}).request;
  let chainId: number;
  try {
    chainId = Number(await request({ method: 'eth_chainId' }));
    await request({ method: 'hardhat_setLoggingEnabled', params: [false] });
  } catch (err) {
    child.kill('SIGKILL');
    await closed;
    throw new DevChainError(`hardhat node at ${rpcUrl} does not answer: ${(err as Error).message}`, {
      cause: err,
    });
  }

  return makeDevChain({
    mode: 'node',
    rpcUrl,
    transport,
    request,
    chainId,
    accounts,
    closed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await closed;
      clearTimeout(timer);
    },
  });
}

function makeDevChain(parts: {
  mode: DevChain['mode'];
  rpcUrl: string | undefined;
  transport: Transport;
  request: EIP1193RequestFn;
  chainId: number;
  accounts: DevAccount[];
  closed: DevChain['closed'];
  stop(): Promise<void>;
}): DevChain {
  const { request, accounts } = parts;
  if (accounts.length < 5)
    throw new DevChainError(`hardhat.config.cjs funds only ${accounts.length} accounts`);
  const call = (method: string, params: unknown[] = []) =>
    (request as (args: { method: string; params: unknown[] }) => Promise<unknown>)({ method, params });
  const chain: Chain = {
    ...hardhat,
    id: parts.chainId,
    name: 'cb dev chain',
    rpcUrls: { default: { http: [parts.rpcUrl ?? 'http://127.0.0.1:8545'] } },
  };
  return {
    mode: parts.mode,
    rpcUrl: parts.rpcUrl,
    transport: parts.transport,
    chain,
    chainId: parts.chainId,
    accounts,
    deployer: accounts[0]!,
    admin: accounts[0]!,
    minter: accounts[1]!,
    closed: parts.closed,
    stop: parts.stop,
    async setAutomine(on) {
      await call('evm_setAutomine', [on]);
    },
    async setIntervalMining(ms) {
      if (!Number.isInteger(ms) || ms < 0)
        throw new DevChainError(`setIntervalMining: ms must be a whole number ≥ 0, got ${ms}`);
      await call('evm_setIntervalMining', [ms]);
    },
    async mine(blocks = 1) {
      if (!Number.isInteger(blocks) || blocks < 1)
        throw new DevChainError(`mine: blocks must be a positive whole number, got ${blocks}`);
      await call('hardhat_mine', [numberToHex(blocks)]);
    },
    async snapshot() {
      return (await call('evm_snapshot')) as Hex;
    },
    async revert(id) {
      const ok = await call('evm_revert', [id]);
      if (ok !== true) throw new DevChainError(`evm_revert: no snapshot ${id} (ids are single-use)`);
    },
  };
}
