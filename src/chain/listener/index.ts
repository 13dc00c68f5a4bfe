/**
 * # Chain listener — the badge contract's events into the database
 *
 * ```ts
 * const listener = createListener({ common, db, transport: pool.transport, chain, badgeAddress,
 *   catalogue: () => processor.catalogue(), onOwnershipChanged, onEventsPosted: () => processor.wake() });
 * listener.start();                  // backfill, then follow new heads; stop() runs at shutdown
 * await ownersAt(db, block);         // governance: who held which badge at a block
 * await replayRange(ctx, { fromBlock: 1200n });   // cb chain replay
 * ```
 *
 * Modelled on Ponder's sync-realtime: a factory over one explicit context, raw JSON-RPC reads, a
 * hash-linked window of unfinalized blocks, and a rollback to the fork point when a block's parent
 * is not the block we stored.
 *
 * **Zones.** With head H and `confirmations` C, blocks ≤ H − C are *final*, the others *unfinalized*.
 * - Final blocks are read in chunks (`chunkBlocks`, `eth_getLogs` with topic0 ∈ {BadgeMinted,
 *   BadgeRevoked}: every argument is indexed, so decoding is reading topics), up to `concurrency`
 *   requests in flight and twice that many chunks read ahead while earlier ones are written. A chunk
 *   the node refuses as too large (viem's 10 MB body cap, HTTP 413, "more than 10000 results",
 *   "block range too wide", a suggested `[0x…, 0x…]`) is split, and the chunk size shrinks for what
 *   follows (growing back by half after 8 successes). Only the chunk's last header (its hash is the
 *   checkpoint's), the headers of blocks with events (their time; skipped when the node sends
 *   `blockTimestamp`), and near the head the chunk's other headers (anchors for reorg detection)
 *   are read.
 * - Unfinalized blocks are read header by header: each must name the previous one as parent (the
 *   checkpoint's hash for the first), and every log's block hash must be its header's (else
 *   `CHAIN_INCONSISTENT_ANSWER`, next poll). Their hashes go to `chain_blocks`.
 * - Hardhat (like some nodes) never sends `removed: true` logs, so reorgs are found by hash only:
 *   every round first re-reads the checkpoint's header (a reorg that kept the height shows only
 *   there), and a parent-hash mismatch finds the rest.
 *
 * **Two cursors, two transactions.** `chain_checkpoints` (one row per contract) holds the *applied*
 * block (`block_number`, `block_hash`) and the *finalized* block (`finalized_block`):
 * - apply: a chunk's events → `chain_events`, `badge_tokens`, `badge_ownership` (soulbound: one
 *   row [mint block, revoke block) per token), its block hashes → `chain_blocks`, and the applied
 *   cursor, in one transaction (apply-events.ts: set-based upserts, one statement for the three
 *   tables, its arrays sent once, idempotent — the listener's own ranges, above the cursor, are
 *   COPYed in, and fall back to the upserts, under a savepoint, if a row is there after all);
 * - finalize: the events that became final → the achievement intake (its bulk path for events we
 *   decoded: `ingestTrustedEvents`, same rows and (source, id) idempotency as the HTTP intake) and
 *   the mint outbox, old block hashes pruned, and the finalized cursor, in one transaction
 *   (post-final.ts). During a backfill the finalize transactions run while later chunks are
 *   applied (on PostgreSQL: on other connections; up to two queued before applying waits); they run
 *   one at a time in chain order, so intake events keep chain order, and none runs after one failed.
 * Each cursor has its own advisory lock, and every writer re-reads the cursor it moves under its
 * lock (`CHAIN_CHECKPOINT_MOVED` otherwise, retried on the next poll): a second listener, a replay
 * or a reconcile --fix (which take both locks) never interleave with a chunk. The listener's
 * transactions commit with `synchronous_commit = off`: everything in them is derived from the
 * chain, and a commit lost in a database crash loses its cursor with it, so it is redone.
 *
 * **Reorg.** The fork point is the highest `chain_blocks` row whose hash is still canonical; in one
 * transaction (both locks) every row above it is undone — ownership rows starting above it deleted,
 * rows closed above it re-opened, tokens minted above it deleted, tokens revoked above it given
 * back, events and block hashes above it deleted — and both cursors move to it; the new branch is
 * then applied like any block. `cb_chain_reorgs_total` and `cb_chain_reorg_depth_blocks` count it, a
 * WARN logs it, `onOwnershipChanged` gets the holders concerned. `chain_blocks` keeps every
 * unfinalized block plus the last `keepFinalBlocks` (64) below the final one, so a reorg somewhat
 * deeper than `confirmations` is still undone. When no stored hash is canonical, the listener stops
 * advancing with `CHAIN_REORG_TOO_DEEP` (ERROR, logged once) and an operator replays.
 *
 * **The achievement intake.** It is append-only and idempotent by (source, id), so an event is posted
 * only once its block is final: `badge.minted` / `badge.revoked`, source `chain`, id
 * `chainId:txHash:logIndex`, user = the holder, data `{ tokenId, achievementId (slug when the
 * catalogue knows the on-chain id), block }`, occurredAt = the block's time. A reorg within the
 * confirmation depth thus never reaches the intake, and a transaction re-mined on the new branch
 * keeps its id (same hash, same log index): a duplicate, not counted twice. *Decision for a reorg
 * deeper than the confirmation depth*: ownership is still corrected, but an event already posted
 * stays in the intake (it has no retraction, and progress is derived from the event log). The
 * listener logs it at ERROR with the ids of the posted events rolled back; a re-mined transaction
 * matches its id, anything else is an operator's call (`cb reconcile chain` shows the ownership
 * and mint-record side). Set `confirmations` deeper than the deepest reorg the chain has. The same
 * finalize transaction confirms the `ach_mint_outbox` row of each final BadgeMinted (never
 * downgrading a status).
 *
 * **Replay and reconciliation.** `replayRange` (cb chain replay) re-reads final blocks and
 * re-applies them idempotently, undoing stored events the chain does not have; `reconcileChain`
 * (src/chain/reconcile, cb reconcile chain) compares with `ownerOf`/`achievementOf` and rebuilds
 * tokens from their own logs.
 *
 * **Loop.** `start()` repeats `syncOnce()` every `pollIntervalMs` (eth_blockNumber polling: works
 * over every transport and the RPC pool, which has no subscriptions); failures back off
 * exponentially up to 30 s and are logged once per streak (every 10th again). `stop()` lets the
 * chunk being written commit.
 *
 * **Metrics.** `cb_chain_head_block`, `cb_chain_processed_block` (applied), `cb_chain_lag_blocks`
 * (head − applied), `cb_chain_events_total{event,result}` (ok when applied, failed when the apply
 * transaction failed — it is retried), `cb_chain_event_delay_blocks` (head when applied − event
 * block), `cb_chain_reorgs_total`, `cb_chain_reorg_depth_blocks`. Logs: service `chain-listener`.
 */
export { applyEvents } from './apply-events.ts';
export { type BlockHeader, type ChainRpc, createChainRpc, isTooLargeError } from './chain-rpc.ts';
export { type Checkpoint, lockAll, readCheckpoint } from './checkpoint.ts';
export { withChainContext } from './cli-chain-context.ts';
export { registerChainReplay } from './cli-chain-replay.ts';
export { createListener } from './create-listener.ts';
export {
  BADGE_MINTED_TOPIC,
  BADGE_REVOKED_TOPIC,
  BADGE_TOPICS,
  type BadgeEvent,
  decodeBadgeLogs,
} from './decode-badge-logs.ts';
export {
  ChainMovedError,
  CheckpointMovedError,
  LISTENER_ERROR_CODES,
  LogsTooLargeError,
  ReorgTooDeepError,
  ReplayRangeError,
} from './errors.ts';
export {
  type ChunkSizer,
  createChunkSizer,
  type EventReader,
  readLogs,
  readRange,
  readRanges,
} from './fetch-ranges.ts';
export { createLimiter, type Limiter } from './limiter.ts';
export {
  type BadgeHolding,
  followedProgress,
  type ListenerProgress,
  listenerProgress,
  ownersAt,
  tokensOfAt,
} from './ownership.ts';
export { intakeIngest, postFinalEvents, postFinalInputs, postToIntake } from './post-final.ts';
export {
  type ReplayProgress,
  type ReplayRangeParameters,
  type ReplayReport,
  replayRange,
} from './replay-range.ts';
// The shared core, for the chain domain's other parts (reconcile).
export { createSyncCore, type SyncCore } from './sync-core.ts';
export type {
  ChainIngest,
  ChainIntakeEvent,
  ChainSyncContext,
  CreateListenerParameters,
  IngestSummary,
  Listener,
  ListenerOptions,
  ListenerStatus,
  SyncResult,
} from './types.ts';
