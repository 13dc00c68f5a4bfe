/**
 * The chain module as a process runs it: where the chain comes from, and the minter and listener
 * over it.
 *
 * - No `RPC_URLS` (the embedded default, role `all` only): an in-process dev chain (hardhat EDR) is
 *   started, the AchievementBadge contract deployed (admin = dev account #0, minter = #1), and the
 *   minter signs with dev account #1 — so a newcomer's unlocks become real tokens. The dev chain
 *   lives in memory: each start is a new chain, and `checkChainIdentity` re-mints the unlocked
 *   badges on it. It mines a block per transaction and one every 2 s besides, as a real chain
 *   does. Its blocks are final as mined (confirmations 0, whatever CB_CHAIN_CONFIRMATIONS says):
 *   one process writes to it, so nothing can reorg it.
 * - `RPC_URLS` set: the RPC pool (failover, circuit breaker) checks the chain id (CB_CHAIN_ID);
 *   `CB_BADGE_ADDRESS` is required; the minter runs when a key is configured
 *   (CB_MINTER_KEY_FILE / CB_MINTER_PRIVATE_KEY), governance executes onchain_call proposals when an
 *   executor key is (CB_EXECUTOR_KEY_FILE / CB_EXECUTOR_PRIVATE_KEY), and a changed chain or
 *   contract is refused. On the embedded dev chain the executor is dev account #0, the badge admin.
 */
import { type Address, type Chain, createPublicClient, type LocalAccount, type Transport } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Catalogue } from '../achievements/index.ts';
import type { ReadinessCheck } from '../api/index.ts';
import type { Common } from '../platform/common.ts';
import type { Db } from '../platform/db/create-db.ts';
import { BaseError, UnavailableError } from '../platform/errors.ts';
import { checkChainIdentity } from './chain-identity.ts';
import { chainOfId } from './chain-of-id.ts';
import { deployBadge } from './contracts/deploy-badge.ts';
import { type DevChain, startDevChain } from './dev-chain.ts';
import { type ChainSyncContext, createListener, type Listener } from './listener/index.ts';
import { loadExecutorAccount } from './load-executor-account.ts';
import { createMinter, loadMinterAccount, type Minter } from './minter/index.ts';
import { createRpcPool, type RpcPool } from './rpc/index.ts';

export interface ChainModule {
  transport: Transport;
  chain: Chain;
  badgeAddress: Address;
  devChain: DevChain | undefined;
  pool: RpcPool | undefined;
  listener: Listener;
  /** The listener's context (database, chain, contract, catalogue): for the reconciliation job. */
  syncContext: ChainSyncContext;
  /** Undefined without a minter key (RPC_URLS set and no CB_MINTER_* setting). */
  minter: Minter | undefined;
  /**
   * Sends the calls of passed onchain_call proposals: CB_EXECUTOR_KEY_FILE / CB_EXECUTOR_PRIVATE_KEY,
   * or on the embedded dev chain dev account #0 (the badge's admin, as a DAO's timelock would be).
   */
  executor: LocalAccount | undefined;
  /** Blocks on top of a block before it counts as final (0 on the embedded dev chain). */
  confirmations: number;
  readiness: ReadinessCheck;
}

export interface CreateChainParameters {
  common: Common;
  db: Db;
  catalogue: () => Promise<Catalogue>;
  onOwnershipChanged?: ((addresses: string[], fromBlock: bigint) => void | Promise<void>) | undefined;
  onEventsPosted?: ((accepted: number) => void) | undefined;
  /** The URL this process serves (for the dev chain's tokenURI base). */
  publicUrl: string;
}

/** The embedded dev chain's blocks are final as mined (see the module note). */
const DEV_CHAIN_CONFIRMATIONS = 0;
/** The embedded dev chain mines a block at least this often (and one per transaction). */
const DEV_CHAIN_BLOCK_TIME_MS = 2000;

export async function createChain(params: CreateChainParameters): Promise<ChainModule> {
  const { common, db } = params;
  const { config, logger, shutdown } = common;
  const log = logger.child('chain');
  let transport: Transport;
  let chain: Chain;
  let badgeAddress: Address;
  let account: LocalAccount | undefined;
  let executor: LocalAccount | undefined;
  let devChain: DevChain | undefined;
  let pool: RpcPool | undefined;
  let startBlock = BigInt(config.chainStartBlock);

  if (config.rpcEndpoints.length === 0) {
    devChain = await startDevChain({ mode: 'in-process' });
    shutdown.add('dev-chain', () => devChain!.stop());
    transport = devChain.transport;
    chain = devChain.chain;
    const deployed = await deployBadge({
      transport,
      chain,
      deployer: devChain.deployer,
      admin: devChain.admin.address,
      minter: devChain.minter.address,
      baseUri: `${(config.publicUrl ?? params.publicUrl).replace(/\/$/, '')}/v1/badges/`,
    });
    badgeAddress = deployed.address;
    startBlock = deployed.blockNumber;
    // Blocks keep coming, transactions or not, as on a real chain: what waits for "the next
    // block" (a delegation counts from the block after it is recorded) does not wait forever.
    await devChain.setIntervalMining(DEV_CHAIN_BLOCK_TIME_MS);
    account = privateKeyToAccount(devChain.minter.privateKey);
    executor = privateKeyToAccount(devChain.admin.privateKey);
    log.info('embedded dev chain started and AchievementBadge deployed', {
      context: {
        chainId: devChain.chainId,
        badgeAddress,
        minter: account.address,
        deploymentBlock: String(deployed.blockNumber),
      },
    });
  } else {
    if (!config.badgeAddress) {
      throw new BaseError(
        'CHAIN_BADGE_ADDRESS_MISSING',
        'RPC_URLS is set but CB_BADGE_ADDRESS is not: name the AchievementBadge contract',
      );
    }
    pool = createRpcPool({ common, endpoints: config.rpcEndpoints });
    const chainId = await pool.checkChainId(config.chainId);
    pool.start();
    transport = pool.transport;
    chain = chainOfId(chainId);
    badgeAddress = config.badgeAddress as Address;
    account = loadMinterAccount(config);
    executor = loadExecutorAccount(config);
    if (!executor)
      log.info(
        'no governance executor key (CB_EXECUTOR_KEY_FILE or CB_EXECUTOR_PRIVATE_KEY): onchain_call proposals are refused',
      );
    if (!account)
      log.warn(
        'no minter key (CB_MINTER_KEY_FILE or CB_MINTER_PRIVATE_KEY): unlocks wait in the mint outbox',
      );
  }

  const client = createPublicClient({ transport, chain });
  const genesis = await client.getBlock({ blockNumber: 0n });
  await checkChainIdentity(
    db,
    { chainId: chain.id, badgeAddress, genesisHash: genesis.hash ?? '0x', dev: devChain !== undefined },
    log,
  );

  const confirmations = devChain ? DEV_CHAIN_CONFIRMATIONS : config.chainConfirmations;
  // The dev chain's depth, and a quicker poll there; elsewhere both from the config.
  const devOptions = devChain
    ? { confirmations, pollIntervalMs: Math.min(config.chainPollIntervalMs, 500) }
    : {};
  const syncContext: ChainSyncContext = {
    common,
    db,
    transport,
    chain,
    badgeAddress,
    options: { startBlock, ...devOptions },
    catalogue: params.catalogue,
    onOwnershipChanged: params.onOwnershipChanged,
    onEventsPosted: params.onEventsPosted,
  };
  const listener = createListener(syncContext);
  const minter = account
    ? createMinter({ common, db, transport, chain, badgeAddress, account, options: devOptions })
    : undefined;

  const readiness: ReadinessCheck = {
    name: 'rpc',
    async check(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.getBlockNumber({ cacheTime: 0 }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        throw new UnavailableError('CB_RPC_UNAVAILABLE', `chain RPC unreachable: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return {
    transport,
    chain,
    badgeAddress,
    devChain,
    pool,
    listener,
    syncContext,
    minter,
    executor,
    confirmations,
    readiness,
  };
}
