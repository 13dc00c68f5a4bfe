/**
 * For tests and the backfill benchmark: minting and revoking badges on a dev chain straight through
 * the contract (the dev minter holds MINTER_ROLE, the dev admin DEFAULT_ADMIN_ROLE), and a testbed
 * of a dev chain with the badge deployed plus a migrated database on the suite's driver.
 */
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hash,
  type Hex,
  keccak256,
  numberToHex,
  slice,
  type TransactionReceipt,
  type Transport,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type CapturedLogs, captureLogs } from '../../../test/log-capture.ts';
import { testDatabaseTarget } from '../../../test/services.ts';
import { type Catalogue, createEventProcessor } from '../../achievements/index.ts';
import type { Common } from '../../platform/common.ts';
import { type Config, loadConfig } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { deployBadge } from '../contracts/deploy-badge.ts';
import { type DevChain, startDevChain } from '../dev-chain.ts';
import type { ChainSyncContext } from './types.ts';

export interface BadgeWriter {
  transport: Transport;
  chain: Chain;
  address: Address;
}

/** `n` deterministic member addresses (never the zero address). */
export function memberAddresses(n: number, seed = 0): Address[] {
  return Array.from({ length: n }, (_, i) =>
    getAddress(slice(keccak256(numberToHex(seed * 1_000_000 + i + 1)), 12)),
  );
}

/** Sends `mintBatch(to, ids)` in transactions of `batchSize` as `minter` and waits for each receipt. */
export async function mintBadges(
  target: BadgeWriter,
  minter: { privateKey: Hex },
  mints: readonly { to: Address; achievementId: bigint }[],
  options: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Promise<TransactionReceipt[]> {
  const batchSize = options.batchSize ?? 250;
  const wallet = createWalletClient({
    account: privateKeyToAccount(minter.privateKey),
    chain: target.chain,
    transport: target.transport,
  });
  const client = createPublicClient({
    chain: target.chain,
    transport: target.transport,
    pollingInterval: 10,
  });
  const receipts: TransactionReceipt[] = [];
  for (let i = 0; i < mints.length; i += batchSize) {
    const part = mints.slice(i, i + batchSize);
    const hash: Hash =
      part.length === 1
        ? await wallet.writeContract({
            address: target.address,
            abi: achievementBadgeAbi,
            functionName: 'mint',
            args: [part[0]!.to, part[0]!.achievementId],
          })
        : await wallet.writeContract({
            address: target.address,
            abi: achievementBadgeAbi,
            functionName: 'mintBatch',
            args: [part.map((m) => m.to), part.map((m) => m.achievementId)],
            gas: 16_000_000n,
          });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`mint transaction ${hash} reverted`);
    receipts.push(receipt);
    options.onBatch?.(Math.min(mints.length, i + batchSize));
  }
  return receipts;
}

/** Sends `revoke(tokenId)` as `admin` and waits for the receipt. */
export async function revokeBadge(
  target: BadgeWriter,
  admin: { privateKey: Hex },
  tokenId: bigint,
): Promise<TransactionReceipt> {
  const wallet = createWalletClient({
    account: privateKeyToAccount(admin.privateKey),
    chain: target.chain,
    transport: target.transport,
  });
  const client = createPublicClient({
    chain: target.chain,
    transport: target.transport,
    pollingInterval: 10,
  });
  const hash = await wallet.writeContract({
    address: target.address,
    abi: achievementBadgeAbi,
    functionName: 'revoke',
    args: [tokenId],
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`revoke transaction ${hash} reverted`);
  return receipt;
}

/** A dev chain with the badge deployed, a migrated database, and a context to build listeners on. */
export interface Testbed {
  chain: DevChain;
  writer: BadgeWriter;
  /** Deployment block of the badge. */
  startBlock: bigint;
  db: Db;
  /** Fresh per call: its own metrics registry and captured logs. */
  context(overrides?: Partial<ChainSyncContext> & { config?: Partial<Config> }): {
    ctx: ChainSyncContext;
    common: Common;
    logs: CapturedLogs;
  };
  /** The achievement catalogue over `db` (as main.ts passes the processor's). */
  catalogue(): Promise<Catalogue>;
  /** Empties the chain tables, the intake and the outbox (the chain keeps its state). */
  resetDb(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestbed(options: { chain?: DevChain } = {}): Promise<Testbed> {
  const chain = options.chain ?? (await startDevChain({ mode: 'in-process' }));
  const badge = await deployBadge({
    transport: chain.transport,
    chain: chain.chain,
    deployer: chain.deployer,
    admin: chain.admin.address,
    minter: chain.minter.address,
    baseUri: 'http://cb.test/v1/badges/',
    pollingIntervalMs: 10,
  });
  const target = await testDatabaseTarget();
  const quiet = createSilentLogger();
  const db = await createDb({
    ...target,
    poolMax: 4,
    slowQueryMs: 10_000,
    logger: quiet,
    metrics: createMetrics(),
  });
  await migrate(db, quiet);
  const processor = createEventProcessor({ db, metrics: createMetrics(), logger: quiet });
  const writer = { transport: chain.transport, chain: chain.chain, address: badge.address };
  return {
    chain,
    writer,
    startBlock: badge.blockNumber,
    db,
    catalogue: () => processor.catalogue(),
    context(overrides = {}) {
      const { config: configOverrides, ...rest } = overrides;
      const config = loadConfig(
        {},
        {
          instance: 'test-1',
          chainStartBlock: Number(badge.blockNumber),
          chainConfirmations: 0,
          chainPollIntervalMs: 50,
          ...configOverrides,
        },
      );
      const logs = captureLogs('debug', 'cb');
      const common: Common = {
        config,
        logger: logs.logger,
        metrics: createMetrics(),
        shutdown: createShutdown({ graceMs: 1000, logger: quiet }),
      };
      return {
        ctx: {
          common,
          db,
          transport: chain.transport,
          chain: chain.chain,
          badgeAddress: badge.address,
          catalogue: () => processor.catalogue(),
          ...rest,
        },
        common,
        logs,
      };
    },
    async resetDb() {
      await db.query(
        'truncate chain_blocks, chain_checkpoints, badge_tokens, badge_ownership, chain_events, ach_events, ach_mint_outbox',
      );
    },
    async close() {
      await db.close();
      await target.drop();
      if (!options.chain) await chain.stop();
    },
  };
}
