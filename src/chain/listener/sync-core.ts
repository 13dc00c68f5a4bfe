/**
 * What the listener, replay and reconciliation share: resolved options, the raw RPC reads, the
 * range reader, the transaction that commits a range with its checkpoint, and the notifications.
 */
import { type Address, getAddress } from 'viem';
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { createAchievementIndex } from '../badges/index.ts';
import { applyEvents } from './apply-events.ts';
import { minBig } from './bigint.ts';
import { type BlockHeader, type ChainRpc, createChainRpc } from './chain-rpc.ts';
import {
  type Checkpoint,
  lockApplied,
  readCheckpoint,
  takeLock,
  writeApplied,
  writeFinalized,
} from './checkpoint.ts';
import type { BadgeEvent } from './decode-badge-logs.ts';
import { CheckpointMovedError } from './errors.ts';
import { createChunkSizer, type EventReader } from './fetch-ranges.ts';
import { createLimiter } from './limiter.ts';
import { type PostFinalDeps, type PostFinalResult, postFinalEvents, postFinalInputs } from './post-final.ts';
import { storedEvents } from './stored-events.ts';
import type { ChainSyncContext } from './types.ts';

export interface ResolvedOptions {
  startBlock: bigint;
  confirmations: bigint;
  pollIntervalMs: number;
  chunkBlocks: number;
  concurrency: number;
  keepFinalBlocks: bigint;
}

export interface SyncCore {
  readonly ctx: ChainSyncContext;
  readonly db: Db;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly options: ResolvedOptions;
  /** Checksummed contract address. */
  readonly address: Address;
  /** Lower-case contract address: the checkpoint's key. */
  readonly contract: string;
  readonly rpc: ChainRpc;
  readonly reader: EventReader;
  readonly post: PostFinalDeps;
  /** Calls `onOwnershipChanged`, logging (not throwing) its errors. */
  notifyOwnership(holders: Iterable<string>, fromBlock: bigint): Promise<void>;
  /** Calls `onEventsPosted` when something was accepted. */
  notifyPosted(result: PostFinalResult | undefined): void;
}

export function createSyncCore(ctx: ChainSyncContext, logName = 'chain-listener'): SyncCore {
  const { config } = ctx.common;
  const o = ctx.options ?? {};
  const options: ResolvedOptions = {
    startBlock: BigInt(o.startBlock ?? config.chainStartBlock),
    confirmations: BigInt(o.confirmations ?? config.chainConfirmations),
    pollIntervalMs: o.pollIntervalMs ?? config.chainPollIntervalMs,
    chunkBlocks: o.chunkBlocks ?? config.listenerChunkBlocks,
    concurrency: o.concurrency ?? config.listenerConcurrency,
    keepFinalBlocks: BigInt(o.keepFinalBlocks ?? 64),
  };
  const log = ctx.common.logger.child(logName);
  const address = getAddress(ctx.badgeAddress);
  const rpc = createChainRpc(ctx.transport, ctx.chain);
  let chainId: Promise<number> | undefined =
    ctx.chain?.id !== undefined
      ? Promise.resolve(ctx.chain.id)
      : config.chainId !== undefined
        ? Promise.resolve(config.chainId)
        : undefined;
  return {
    ctx,
    db: ctx.db,
    log,
    metrics: ctx.common.metrics,
    options,
    address,
    contract: address.toLowerCase(),
    rpc,
    reader: {
      rpc,
      address,
      limit: createLimiter(options.concurrency),
      sizer: createChunkSizer(options.chunkBlocks),
    },
    post: {
      chainId: () => {
        chainId ??= rpc.chainId().catch((err: unknown) => {
          chainId = undefined;
          throw err;
        });
        return chainId;
      },
      achievements: createAchievementIndex(ctx.catalogue),
      ingest: ctx.ingest === undefined ? 'intake' : ctx.ingest,
      metrics: ctx.common.metrics,
    },
    async notifyOwnership(holders, fromBlock) {
      const list = [...new Set(holders)].sort();
      if (list.length === 0 || !ctx.onOwnershipChanged) return;
      try {
        await ctx.onOwnershipChanged(list, fromBlock);
      } catch (err) {
        log.error('onOwnershipChanged failed', { err, context: { fromBlock: fromBlock.toString() } });
      }
    },
    notifyPosted(result) {
      if (result && result.accepted > 0) ctx.onEventsPosted?.(result.accepted);
    },
  };
}

export interface ApplyRangeInput {
  /** The applied cursor read before reading the range (undefined: no checkpoint row yet). */
  expected: Pick<Checkpoint, 'block' | 'hash'> | undefined;
  /** Blocks (after, to.number] are applied by this range. */
  after: bigint;
  /** The new applied block. */
  to: Pick<BlockHeader, 'number' | 'hash'>;
  events: readonly BadgeEvent[];
  /** Headers to keep in chain_blocks (the non-final blocks, and the range's last ones). */
  blocks: readonly BlockHeader[];
  /**
   * The previous range's apply transaction, when still running: this one inserts meanwhile, and
   * waits for it to commit before taking the lock (the lock alone does not keep the order).
   */
  previous?: Promise<unknown> | undefined;
}

/**
 * Applies a range and moves the applied cursor in one transaction (the events, their ownership
 * rows and tokens, the block hashes); returns the holders concerned. The apply lock is taken after
 * the inserts, so the next range's transaction can insert while this one commits (a failed check
 * rolls its inserts back with it).
 * @throws CheckpointMovedError when another writer moved the cursor meanwhile.
 */
export async function applyRange(core: SyncCore, input: ApplyRangeInput): Promise<Set<string>> {
  return core.db.transaction(async (tx) => {
    await relaxDurability(tx);
    // The inserts go first, the lock after them: applying range k+1 overlaps with range k's commit.
    const holders = await applyEvents(tx, input.events, {
      // Above the applied cursor: a rollback deleted whatever was there (see applyEvents).
      fresh: true,
      beforeUpdates: async () => {
        await input.previous;
        await lockApplied(tx, core.contract, input.expected);
      },
    });
    await storeBlocks(tx, input.blocks);
    await writeApplied(tx, core.contract, input.to.number, input.to.hash, input.after);
    return holders;
  });
}

export interface FinalizeInput {
  /** The finalized cursor as read before. */
  expectedFinal: bigint;
  /** Move it here: events of (expectedFinal, newFinal] are posted. */
  newFinal: bigint;
  /** Events of (after, …] already in memory (the range just applied); the rest is read from chain_events. */
  memory?: { after: bigint; events: readonly BadgeEvent[] } | undefined;
}

/**
 * Posts the events that became final (intake + outbox), prunes old block hashes and moves the
 * finalized cursor, in one transaction.
 * @throws CheckpointMovedError when the finalized cursor moved, or the applied one is below `newFinal`.
 */
export async function finalizeTo(core: SyncCore, input: FinalizeInput): Promise<PostFinalResult> {
  const inputs = await postFinalInputs(core.post);
  return core.db.transaction(async (tx) => {
    await relaxDurability(tx);
    await takeLock(tx, core.contract, 'finalize');
    const cp = await readCheckpoint(tx, core.contract);
    if (!cp || cp.finalized !== input.expectedFinal)
      throw new CheckpointMovedError(input.expectedFinal, cp?.finalized);
    if (cp.block < input.newFinal) throw new CheckpointMovedError(input.newFinal, cp.block);
    const { memory } = input;
    const dbUpTo = memory ? minBig(memory.after, input.newFinal) : input.newFinal;
    const events = await storedEvents(tx, input.expectedFinal, dbUpTo);
    if (memory)
      for (const e of memory.events)
        if (e.blockNumber > input.expectedFinal && e.blockNumber <= input.newFinal) events.push(e);
    const posted = await postFinalEvents(tx, core.post, inputs, events);
    await tx.query('delete from chain_blocks where number < $1 and number < $2', [
      (input.newFinal - core.options.keepFinalBlocks).toString(),
      cp.block.toString(),
    ]);
    await writeFinalized(tx, core.contract, input.newFinal);
    return posted;
  });
}

/**
 * `synchronous_commit = off` for this transaction: its commit does not wait for the WAL flush.
 * Safe here because everything the listener writes is derived from the chain: a database crash
 * can lose only the last commits (≤ 3 × wal_writer_delay), checkpoint included and never torn
 * (WAL order is kept), and the listener reads those blocks again. The intake events posted in a
 * lost commit are lost together with the finalized cursor that says they were posted, so they are
 * posted again.
 */
export async function relaxDurability(tx: Queryable): Promise<void> {
  await tx.query('set local synchronous_commit = off');
}

/** Upserts block headers into chain_blocks. */
export async function storeBlocks(tx: Queryable, blocks: readonly BlockHeader[]): Promise<void> {
  if (blocks.length === 0) return;
  await tx.query(
    `insert into chain_blocks (number, hash, parent_hash, timestamp)
     select n, h, p, to_timestamp(ts) from unnest($1::bigint[], $2::text[], $3::text[], $4::float8[]) as x(n, h, p, ts)
     on conflict (number) do update
       set hash = excluded.hash, parent_hash = excluded.parent_hash, timestamp = excluded.timestamp, applied_at = now()`,
    [
      blocks.map((b) => b.number.toString()),
      blocks.map((b) => b.hash),
      blocks.map((b) => b.parentHash),
      blocks.map((b) => Number(b.timestamp)),
    ],
  );
}
