/**
 * `replayRange`: re-reads the badge events of final blocks [fromBlock, toBlock] from the chain and
 * re-applies them (seed 5.2: 事件重放 — reprocess events from a given block). Idempotent: running
 * it twice leaves the same rows. Per chunk, in one transaction:
 *
 * - stored events of the chunk that the chain does not have (or has differently) are undone;
 * - the chain's events are applied with upserts (ownership rows re-opened by a replayed mint are
 *   closed again when the token's revoke lies after the range);
 * - they are posted to the achievement intake again (ids are stable: already-known ones are
 *   duplicates, missing ones are added) and matched to the mint outbox.
 *
 * The checkpoint does not move. Blocks that are not final yet are the listener's (it re-checks them
 * on every poll), so the range must end at or below the finalized block.
 */
import { applyEvents } from './apply-events.ts';
import { lockAll, readCheckpoint } from './checkpoint.ts';
import { BADGE_TOPICS, type BadgeEvent } from './decode-badge-logs.ts';
import { CheckpointMovedError, ReplayRangeError } from './errors.ts';
import { readRanges } from './fetch-ranges.ts';
import { postFinalEvents, postFinalInputs } from './post-final.ts';
import { storedEvents, undoEvents } from './stored-events.ts';
import { createSyncCore } from './sync-core.ts';
import type { ChainSyncContext } from './types.ts';

export interface ReplayRangeParameters {
  fromBlock: bigint;
  /** @defaultValue the listener's finalized block */
  toBlock?: bigint | undefined;
  /** Called after each committed chunk. */
  onProgress?: ((progress: ReplayProgress) => void) | undefined;
}

export interface ReplayProgress {
  fromBlock: bigint;
  toBlock: bigint;
  /** Last block replayed so far. */
  doneBlock: bigint;
  eventsRead: number;
}

export interface ReplayReport {
  contract: string;
  fromBlock: bigint;
  toBlock: bigint;
  /** Chunks committed. */
  ranges: number;
  /** Events the chain has in the range. */
  eventsRead: number;
  /** Stored events the chain does not have (as stored): undone before re-applying. */
  eventsUndone: number;
  /** Intake: events added (missing before) and already known. */
  posted: { accepted: number; duplicates: number; rejected: number };
  outboxConfirmed: number;
  /** Holders whose badges were touched. */
  holders: number;
  durationMs: number;
}

const eventKey = (e: BadgeEvent) =>
  `${e.blockNumber}:${e.logIndex}:${e.blockHash}:${e.txHash}:${e.event}:${e.tokenId}:${e.holder}:${e.achievementKey}`;

export async function replayRange(
  ctx: ChainSyncContext,
  params: ReplayRangeParameters,
): Promise<ReplayReport> {
  const t0 = performance.now();
  const core = createSyncCore(ctx, 'chain-replay');
  const cp = await readCheckpoint(core.db, core.contract);
  if (!cp)
    throw new ReplayRangeError(
      `the listener has not applied any block of ${core.address} yet: there is nothing to replay (start the listener)`,
    );
  const fromBlock = params.fromBlock;
  const toBlock = params.toBlock ?? cp.finalized;
  if (fromBlock < 0n) throw new ReplayRangeError(`--from-block must be 0 or more, got ${fromBlock}`);
  if (toBlock > cp.finalized)
    throw new ReplayRangeError(
      `blocks above ${cp.finalized} are not final yet (the listener re-checks them on every poll): --to-block must be at most ${cp.finalized}`,
    );
  if (fromBlock > toBlock)
    throw new ReplayRangeError(`--from-block ${fromBlock} is after --to-block ${toBlock}`);

  const report: ReplayReport = {
    contract: core.address,
    fromBlock,
    toBlock,
    ranges: 0,
    eventsRead: 0,
    eventsUndone: 0,
    posted: { accepted: 0, duplicates: 0, rejected: 0 },
    outboxConfirmed: 0,
    holders: 0,
    durationMs: 0,
  };
  const allHolders = new Set<string>();
  core.log.info('replaying badge events', {
    context: { contract: core.address, fromBlock: fromBlock.toString(), toBlock: toBlock.toString() },
  });
  for await (const range of readRanges(
    core.reader,
    fromBlock,
    toBlock,
    [BADGE_TOPICS],
    core.options.concurrency * 2,
  )) {
    const inputs = await postFinalInputs(core.post);
    const result = await core.db.transaction(async (tx) => {
      const current = await lockAll(tx, core.contract);
      if (!current || current.finalized < range.toBlock)
        throw new CheckpointMovedError(cp.finalized, current?.finalized);
      const fetched = new Set(range.events.map(eventKey));
      const stale = (await storedEvents(tx, range.fromBlock - 1n, range.toBlock)).filter(
        (e) => !fetched.has(eventKey(e)),
      );
      const undone = await undoEvents(tx, stale);
      const applied = await applyEvents(tx, range.events, { closeRevoked: true });
      const posted = await postFinalEvents(tx, core.post, inputs, range.events);
      return { stale: stale.length, holders: new Set([...undone, ...applied]), posted };
    });
    report.ranges++;
    report.eventsRead += range.events.length;
    report.eventsUndone += result.stale;
    report.posted.accepted += result.posted.accepted;
    report.posted.duplicates += result.posted.duplicates;
    report.posted.rejected += result.posted.rejected;
    report.outboxConfirmed += result.posted.outboxConfirmed;
    for (const h of result.holders) allHolders.add(h);
    await core.notifyOwnership(result.holders, range.fromBlock);
    core.notifyPosted(result.posted);
    params.onProgress?.({ fromBlock, toBlock, doneBlock: range.toBlock, eventsRead: report.eventsRead });
  }
  report.holders = allHolders.size;
  report.durationMs = Math.round(performance.now() - t0);
  core.log.info('replay done', {
    context: { contract: core.address, fromBlock: fromBlock.toString(), toBlock: toBlock.toString() },
    metrics: {
      eventsRead: report.eventsRead,
      eventsUndone: report.eventsUndone,
      accepted: report.posted.accepted,
      durationMs: report.durationMs,
    },
  });
  return report;
}
