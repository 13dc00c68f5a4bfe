/**
 * Test helpers: a dev chain with the badge deployed, a fresh database (PGlite or PostgreSQL per
 * CB_TEST_DRIVER), a Common, and helpers to add unlocks and read their mint status. Not used in
 * production.
 */
import {
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  type Hex,
  keccak256,
  type LocalAccount,
  numberToHex,
  slice,
  type Transport,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { testDatabaseTarget } from '../../../test/services.ts';
import type { Common } from '../../platform/common.ts';
import { loadConfig } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger, type Logger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { type DevChain, type DevChainOptions, deployBadge, startDevChain } from '../dev-chain.ts';
import { createMinter } from './create-minter.ts';
import type { CreateMinterParameters, Minter, MinterOptions, MinterTickResult } from './types.ts';

export { MINTER_ROLE } from './minter-role.ts';

export interface OutboxView {
  id: string;
  userAddress: string;
  achievementId: string;
  status: 'pending' | 'submitted' | 'confirmed' | 'failed';
  tokenId: string | null;
  txHash: string | null;
  blockNumber: string | null;
  nonce: string | null;
  attempts: number;
  error: string | null;
}

export interface MintTxView {
  nonce: number;
  txHash: Hex;
  previousHashes: Hex[];
  outboxIds: string[];
  status: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  minedBlock: string | null;
  error: string | null;
}

export interface MinterFixture {
  dev: DevChain;
  db: Db;
  common: Common;
  /** The badge deployed by the last `reset()`. */
  badgeAddress: Address;
  /** The dev chain's minter account (holds MINTER_ROLE). */
  account: LocalAccount;
  /** Writes to the badge as its admin (grantRole, revokeRole…); returns the transaction hash. */
  adminWrite(
    functionName: 'grantRole' | 'revokeRole',
    args: readonly [Hex, Address],
    fees?: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  ): Promise<Hex>;
  /** A minter over the fixture; `overrides` replace any parameter. */
  makeMinter(options?: MinterOptions, overrides?: Partial<CreateMinterParameters>): Minter;
  /** Adds unlocks to the outbox; returns their ids in order. */
  unlock(requests: readonly { user: string; achievement: string }[]): Promise<string[]>;
  outbox(): Promise<OutboxView[]>;
  mintTxs(): Promise<MintTxView[]>;
  /** Reads the badge contract. */
  read<F extends 'ownerOf' | 'totalSupply' | 'achievementOf' | 'nextTokenId'>(
    functionName: F,
    args?: readonly bigint[],
  ): Promise<unknown>;
  /** Empties the minter's tables and deploys a fresh badge (token ids from 1). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** `n` distinct member addresses (lower case, as the outbox stores them) that never held a badge. */
export function members(n: number, salt = 0): string[] {
  return Array.from({ length: n }, (_, i) =>
    getAddress(slice(keccak256(numberToHex(BigInt(salt) * 1_000_000n + BigInt(i))), 12)).toLowerCase(),
  );
}

/** Ticks until `done()` holds or `maxTicks` ran out; returns the tick results. */
export async function tickUntil(
  minter: Minter,
  done: () => Promise<boolean> | boolean,
  maxTicks = 50,
): Promise<MinterTickResult[]> {
  const results: MinterTickResult[] = [];
  for (let i = 0; i < maxTicks; i++) {
    results.push(await minter.tick());
    if (await done()) return results;
  }
  throw new Error(`tickUntil: condition not met after ${maxTicks} ticks`);
}

type RpcArgs = { method: string; params?: unknown };

/** A transport over `base` whose every request goes through `intercept` (`forward` sends it on). */
function interceptedTransport(
  base: Transport,
  intercept: (args: RpcArgs, forward: (args: RpcArgs) => Promise<unknown>) => Promise<unknown>,
): Transport {
  return (params) => {
    const inner = base({ ...params, retryCount: 0 });
    const forward = (args: RpcArgs) => inner.request(args as never) as Promise<unknown>;
    return custom({ request: (args: RpcArgs) => intercept(args, forward) }, { retryCount: 0 })(params);
  };
}

/**
 * A transport over `base` whose `eth_sendRawTransaction` fails like a network error: `drop` — the
 * node never gets it; `lose-answer` — the node gets it, the answer is lost.
 */
export function faultySendTransport(base: Transport, fault: 'drop' | 'lose-answer'): Transport {
  return interceptedTransport(base, async (args, forward) => {
    if (args.method !== 'eth_sendRawTransaction') return forward(args);
    if (fault === 'lose-answer') await forward(args);
    throw new Error('socket hang up');
  });
}

/** A transport over `base` that appends the method of every request to `methods`. */
export function countingTransport(base: Transport, methods: string[]): Transport {
  return interceptedTransport(base, (args, forward) => {
    methods.push(args.method);
    return forward(args);
  });
}

export async function createMinterFixture(
  options: { chain?: DevChainOptions; logger?: Logger; env?: Record<string, string> } = {},
): Promise<MinterFixture> {
  const logger = options.logger ?? createSilentLogger();
  const common: Common = {
    config: loadConfig(options.env ?? {}),
    logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: 1000, logger }),
  };
  const [dev, target] = await Promise.all([
    startDevChain(options.chain ?? { mode: 'in-process' }),
    testDatabaseTarget(),
  ]);
  const db = await createDb({ ...target, poolMax: 4, slowQueryMs: 10_000, logger, metrics: common.metrics });
  await migrate(db, logger);
  const account = privateKeyToAccount(dev.minter.privateKey);
  const client = createPublicClient({ chain: dev.chain, transport: dev.transport, cacheTime: 0 });
  const admin = createWalletClient({
    account: privateKeyToAccount(dev.admin.privateKey),
    chain: dev.chain,
    transport: dev.transport,
  });

  const fixture: MinterFixture = {
    dev,
    db,
    common,
    badgeAddress: '0x0000000000000000000000000000000000000000',
    account,
    adminWrite: (functionName, args, fees) =>
      admin.writeContract({
        address: fixture.badgeAddress,
        abi: achievementBadgeAbi,
        functionName,
        args,
        chain: dev.chain,
        ...(fees ?? {}),
      }),
    makeMinter: (minterOptions = {}, overrides = {}) =>
      createMinter({
        common,
        db,
        transport: dev.transport,
        chain: dev.chain,
        badgeAddress: fixture.badgeAddress,
        account,
        options: { gaugeIntervalMs: 0, balanceIntervalMs: 0, confirmations: 0, ...minterOptions },
        ...overrides,
      }),
    async unlock(requests) {
      const { rows } = await db.query<{ id: string }>(
        `insert into ach_mint_outbox (user_address, achievement_id)
         select u, a from unnest($1::text[], $2::text[]) with ordinality as t(u, a, n) order by n
         returning id::text as id`,
        [requests.map((r) => r.user), requests.map((r) => r.achievement)],
      );
      // Ids follow the ordered select; RETURNING itself promises no order.
      return rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
    },
    async outbox() {
      const { rows } = await db.query<Record<string, unknown>>(
        `select id::text, user_address, achievement_id, status, token_id::text, tx_hash, block_number::text,
                nonce::text, attempts, error
           from ach_mint_outbox order by ach_mint_outbox.id`,
      );
      return rows.map((r) => ({
        id: r.id as string,
        userAddress: r.user_address as string,
        achievementId: r.achievement_id as string,
        status: r.status as OutboxView['status'],
        tokenId: r.token_id as string | null,
        txHash: r.tx_hash as string | null,
        blockNumber: r.block_number as string | null,
        nonce: r.nonce as string | null,
        attempts: r.attempts as number,
        error: r.error as string | null,
      }));
    },
    async mintTxs() {
      const { rows } = await db.query<Record<string, unknown>>(
        `select nonce::text, tx_hash, previous_hashes, outbox_ids::text[] as outbox_ids, status,
                max_fee_per_gas::text, max_priority_fee_per_gas::text, mined_block::text, error
           from mint_txs order by mint_txs.nonce`,
      );
      return rows.map((r) => ({
        nonce: Number(r.nonce),
        txHash: r.tx_hash as Hex,
        previousHashes: r.previous_hashes as Hex[],
        outboxIds: r.outbox_ids as string[],
        status: r.status as string,
        maxFeePerGas: BigInt(r.max_fee_per_gas as string),
        maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas as string),
        minedBlock: r.mined_block as string | null,
        error: r.error as string | null,
      }));
    },
    read: (functionName, args = []) =>
      client.readContract({
        address: fixture.badgeAddress,
        abi: achievementBadgeAbi,
        functionName,
        args,
      } as never),
    async reset() {
      await db.query('truncate ach_mint_outbox, mint_txs, chain_minter_lease restart identity');
      const deployed = await deployBadge({
        transport: dev.transport,
        chain: dev.chain,
        deployer: dev.deployer,
        admin: dev.admin.address,
        minter: dev.minter.address,
        baseUri: '',
        pollingIntervalMs: 10,
      });
      fixture.badgeAddress = deployed.address;
    },
    async close() {
      await db.close();
      await target.drop();
      await dev.stop();
    },
  };
  await fixture.reset();
  return fixture;
}
