/**
 * # Chain listener — the badge contract's events into the database
 *
 * ```ts
 * const listener = createListener({ common, db, transport: pool.transport, chain, badgeAddress,
 *   catalogue: () => processor.catalogue(), onOwnershipChanged, onEventsPosted: () => processor.wake() });
 * listener.start();                  // backfill, then follow new heads; stop() runs at shutdown
 * await ownersAt(db, block);         // governance: who held what at a block
 * ```
 *
 * Modelled on Ponder's sync-realtime: a factory over one explicit context, raw JSON-RPC reads, a
 * hash-linked window of unfinalized blocks, and a rollback to the fork point when a block's parent
 * is not the block we stored.
 *
 * **Zones.** With head H and `confirmations` C, blocks ≤ H − C are *final*, the others *unfinalized*.
 * - Final blocks are read in chunks (`chunkBlocks`, `eth_getLogs` with topic0 ∈ {BadgeMinted,
 *   BadgeRevoked}), up to `concurrency` requests in flight and twice that many chunks read ahead
 *   while the previous one is written. A chunk the node refuses as too large (viem's 10 MB cap,
 *   HTTP 413, "more than 10000 results", "block range too wide", a suggested `[0x…, 0x…]`) is
 *   split, and the chunk size shrinks for what follows (growing back by half after 8 successes).
 *   Each chunk is applied, with the checkpoint, in one transaction. Only the chunk's last header
 *   (and the headers of blocks with events, for their time) are read.
 * - Unfinalized blocks are read header by header: each must name the previous one as parent (the
 *   checkpoint's hash for the first), and every log's block hash must be its header's. Their hashes
 *   go to `chain_blocks`; applied together with the checkpoint in one transaction.
 * - Hardhat (like some nodes) never sends `removed: true` logs, so reorgs are found by hash only:
 *   every round first re-reads the checkpoint's header (a reorg that kept the height shows only
 *   there), and a parent-hash mismatch finds the rest.
 *
 * **Reorg.** The fork point is the highest `chain_blocks` row whose hash is still canonical; in one
 * transaction every row above it is undone — ownership rows starting above it deleted, rows closed
 * above it re-opened, tokens minted above it deleted, tokens revoked above it given back, events and
 * block hashes above it deleted — and the checkpoint moves to it; the new branch is then applied
 * like any block. `cb_chain_reorgs_total` and `cb_chain_reorg_depth_blocks` count it, a WARN logs
 * it. `chain_blocks` keeps every unfinalized block plus the last `keepFinalBlocks` (64) blocks below
 * the final one, so a reorg somewhat deeper than `confirmations` is still undone. When no stored
 * hash is canonical, the listener stops advancing with `CHAIN_REORG_TOO_DEEP` (ERROR, once) and an
 * operator runs `cb chain replay`.
 *
 * **Finality and the achievement intake.** The intake is append-only and idempotent by (source,
 * id), so the listener posts an event only once its block is final, in the transaction that makes it
 * final: `badge.minted` / `badge.revoked`, source `chain`, id `chainId:txHash:logIndex`, user = the
 * holder, data `{ tokenId, achievementId (slug when the catalogue knows it), block }`, occurredAt =
 * the block's time. A reorg within the confirmation depth thus never touches the intake, and a
 * transaction re-mined on the new branch keeps its id (same hash, same log index) — a duplicate,
 * not counted twice. *Decision for a reorg deeper than the confirmation depth*: the ownership data
 * is still corrected, but an event already posted stays in the intake (its progress is not taken
 * back: the intake has no retraction, and the rule engine's state is derived from the event log).
 * The listener logs it at ERROR with the ids of the posted events rolled back; if the transaction
 * is re-mined the id matches and nothing is counted twice, otherwise an operator decides
 * (`cb reconcile chain` shows the ownership side). Choose `confirmations` deeper than the deepest
 * reorg the chain has. The same transaction confirms the `ach_mint_outbox` row of each final
 * BadgeMinted (see post-final.ts).
 *
 * **Checkpoint and writers.** `chain_checkpoints` (one row per contract): `block_number` (applied),
 * `block_hash`, `finalized_block`. Every writer takes the contract's transaction-scoped advisory
 * lock and checks the checkpoint did not move (`CHAIN_CHECKPOINT_MOVED`, retried next poll), so a
 * second listener, a replay or a reconcile --fix never interleave with a range.
 *
 * **Loop.** `start()` repeats `syncOnce()` every `pollIntervalMs` (eth_blockNumber polling: works
 * over every transport and the RPC pool, which has no subscriptions); failures back off
 * exponentially up to 30 s and are logged once per streak (every 10th again). `stop()` lets the
 * chunk being written commit.
 *
 * **Metrics.** `cb_chain_head_block`, `cb_chain_processed_block`, `cb_chain_lag_blocks` (head −
 * processed), `cb_chain_events_total{event,result}` (ok when committed, failed when the
 * transaction failed — it is retried), `cb_chain_event_delay_blocks` (head when applied − event
 * block), `cb_chain_reorgs_total`, `cb_chain_reorg_depth_blocks`. Logs: service `chain-listener`.
 */
export { applyEvents } from './apply-events.ts';
export { type BlockHeader, type ChainRpc, createChainRpc, isTooLargeError } from './chain-rpc.ts';
// For the chain domain's other parts (reconcile): the shared core and its transactions.
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
export { readLogs, readRange, readRanges } from './fetch-ranges.ts';
export { createLimiter, type Limiter } from './limiter.ts';
export { type BadgeHolding, listenerProgress, ownersAt, tokensOfAt } from './ownership.ts';
export { intakeIngest, postFinalEvents, postFinalInputs } from './post-final.ts';
export {
  type ReplayProgress,
  type ReplayRangeParameters,
  type ReplayReport,
  replayRange,
} from './replay-range.ts';
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
