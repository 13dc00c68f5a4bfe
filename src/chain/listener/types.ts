/** Public types of the listener, replay and the ownership reads. */
import type { Address, Chain, Transport } from 'viem';
import type { Catalogue } from '../../achievements/index.ts';
import type { Common } from '../../platform/common.ts';
import type { Db, Queryable } from '../../platform/db/create-db.ts';

/** Tuning of the listener; every field defaults from the configuration. */
export interface ListenerOptions {
  /**
   * First block read (the badge contract's deployment block).
   * @defaultValue `config.chainStartBlock` (0)
   */
  startBlock?: bigint | number | undefined;
  /**
   * Depth at which a block is final: head − confirmations. Blocks above it are applied header by
   * header with their hashes kept (rolled back on a reorg); events are posted to the achievement
   * intake and matched to the mint outbox only once final. Choose it deeper than the chain's reorgs.
   * @defaultValue `config.chainConfirmations` (2)
   */
  confirmations?: number | undefined;
  /**
   * How often `eth_blockNumber` is polled once caught up, in ms.
   * @defaultValue `config.chainPollIntervalMs` (1000)
   */
  pollIntervalMs?: number | undefined;
  /**
   * Blocks per eth_getLogs request during backfill (shrinks by itself when an endpoint refuses).
   * @defaultValue `config.listenerChunkBlocks` (2000)
   */
  chunkBlocks?: number | undefined;
  /**
   * eth_getLogs / header requests in flight during backfill.
   * @defaultValue `config.listenerConcurrency` (4)
   */
  concurrency?: number | undefined;
  /**
   * Final blocks whose hashes are kept below the final block: a reorg up to this much deeper than
   * `confirmations` is still found and rolled back (deeper: `CHAIN_REORG_TOO_DEEP`, replay).
   * @defaultValue 64
   */
  keepFinalBlocks?: number | undefined;
}

/** One event as the listener posts it to the achievement intake (`POST /v1/events` shape). */
export interface ChainIntakeEvent {
  /** `chainId:txHash:logIndex` — the same for the same log, so a re-post is a duplicate. */
  id: string;
  source: 'chain';
  type: 'badge.minted' | 'badge.revoked';
  /** The holder (lower case). */
  user: string;
  /** The block's time, ISO 8601. */
  occurredAt: string;
  data: {
    tokenId: string;
    /** The achievement's slug when the catalogue knows the on-chain id, else the id in decimal. */
    achievementId: string;
    block: number;
  };
}

/** What an intake did with the posted events. */
export interface IngestSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/**
 * Posts final chain events to the achievement intake inside the listener's transaction `tx`, so the
 * checkpoint and the posted events commit together. `now` is the newest block time (never in the
 * intake's future).
 */
export type ChainIngest = (items: ChainIntakeEvent[], tx: Queryable, now: number) => Promise<IngestSummary>;

/** What the listener, replay and reconciliation work with. */
export interface ChainSyncContext {
  common: Common;
  db: Db;
  /** Any viem transport to the chain: the RPC pool's `transport`, or a dev chain's. */
  transport: Transport;
  /** The chain (its id names the intake events); asked from the node when absent. */
  chain?: Chain | undefined;
  badgeAddress: Address;
  options?: ListenerOptions | undefined;
  /** The achievement catalogue: maps on-chain achievement ids back to slugs. */
  catalogue?: (() => Promise<Catalogue>) | undefined;
  /**
   * Called after every committed range (and rollback) with the holders whose badges changed and the
   * lowest block concerned, so voting-power caches can be dropped. Errors are logged, not thrown.
   */
  onOwnershipChanged?: ((addresses: string[], fromBlock: bigint) => void | Promise<void>) | undefined;
  /**
   * Where final events go. Default: the achievement intake (its bulk path for events we decoded,
   * `ingestTrustedEvents`, source `chain`) in the same transaction; `false` posts nothing.
   */
  ingest?: ChainIngest | false | undefined;
  /** Events were accepted by the intake (wake the event processor). */
  onEventsPosted?: ((accepted: number) => void) | undefined;
}

export type CreateListenerParameters = ChainSyncContext;

/** What one {@link Listener.syncOnce} did. */
export interface SyncResult {
  headBlock: bigint;
  /** Last applied block (the checkpoint). */
  processedBlock: bigint;
  /** Last final block (events posted). */
  finalizedBlock: bigint;
  /** Events applied (both branches of a reorg count). */
  events: number;
  /** Ranges committed. */
  ranges: number;
  /** Set when a reorg was rolled back: the last block both branches share and how many blocks went. */
  reorg: { forkBlock: bigint; depth: number } | undefined;
}

export interface ListenerStatus {
  running: boolean;
  headBlock: bigint | undefined;
  processedBlock: bigint | undefined;
  finalizedBlock: bigint | undefined;
  /** Blocks per eth_getLogs now (after adapting). */
  chunkBlocks: number;
  /** The last failed sync's error message, cleared by a successful one. */
  lastError: string | undefined;
}

export interface Listener {
  /** Starts following (backfill, then new heads); registers `stop` at shutdown. Idempotent. */
  start(): void;
  /** Lets the range being applied commit, then stops. Idempotent. */
  stop(): Promise<void>;
  /**
   * One round: reorg check, everything from the checkpoint to the head (backfill in parallel
   * chunks), finality advance. What `start` repeats; tests call it directly.
   */
  syncOnce(): Promise<SyncResult>;
  status(): ListenerStatus;
}
