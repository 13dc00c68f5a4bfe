/**
 * `createListener`: follows the badge contract (see the design note in ./index.ts).
 */

import type { Hex } from 'viem';
import { describeError } from '../../platform/errors.ts';
import { maxBig, minBig } from './bigint.ts';
import type { BlockHeader } from './chain-rpc.ts';
import { type Checkpoint, lockAll, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { BADGE_TOPICS, type BadgeEvent, decodeBadgeLogs } from './decode-badge-logs.ts';
import { ChainMovedError, CheckpointMovedError, ReorgTooDeepError } from './errors.ts';
import { type FetchedRange, readHeaders, readLogs, readRanges } from './fetch-ranges.ts';
import { rollbackAbove } from './rollback.ts';
import {
  type ApplyRangeInput,
  applyRange,
  createSyncCore,
  type FinalizeInput,
  finalizeTo,
} from './sync-core.ts';
import type { CreateListenerParameters, Listener, ListenerStatus, SyncResult } from './types.ts';

/** A backfill logs its progress at most this often. */
const PROGRESS_LOG_MS = 10_000;
/**
 * Apply transactions of a backfill in flight: the next one inserts while the previous one takes the
 * lock and commits (on PostgreSQL; PGlite runs them one after the other anyway).
 */
const APPLIES_IN_FLIGHT = 2;
/**
 * Finalize transactions of a backfill queued behind the running one before the next apply waits:
 * applying goes on while the intake catches up, within this bound.
 */
const FINALIZES_PENDING = 2;
/** Longest wait between attempts after failures. */
const MAX_BACKOFF_MS = 30_000;

export function createListener(params: CreateListenerParameters): Listener {
  const core = createSyncCore(params);
  const { log, metrics, options, rpc } = core;
  let running = false;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let inFlight: Promise<SyncResult> | undefined;
  let registered = false;
  const status: ListenerStatus = {
    running: false,
    headBlock: undefined,
    processedBlock: undefined,
    finalizedBlock: undefined,
    chunkBlocks: options.chunkBlocks,
    lastError: undefined,
  };
  let tooDeepReported: string | undefined;

  const observeCheckpoint = (cp: Checkpoint, head: bigint) => {
    status.processedBlock = cp.block;
    status.finalizedBlock = cp.finalized;
    metrics.chainProcessedBlock.set(Number(cp.block));
    metrics.chainLag.set(Math.max(0, Number(head - cp.block)));
  };

  /** Applies a range (one transaction); counts its events ok, or failed and rethrows. */
  const apply = (
    input: ApplyRangeInput,
    head: bigint,
  ): { committed: Promise<unknown>; done: Promise<void> } => {
    const committed = applyRange(core, input);
    committed.catch(() => {}); // observed through `done`
    return { committed, done: afterApply(committed, input, head) };
  };

  const afterApply = async (committed: Promise<Set<string>>, input: ApplyRangeInput, head: bigint) => {
    let holders: Set<string>;
    try {
      holders = await committed;
    } catch (err) {
      countEvents(input.events, 'failed');
      throw err;
    }
    countEvents(input.events, 'ok');
    for (const e of input.events) metrics.chainEventDelay.observe(Number(head - e.blockNumber));
    status.processedBlock = input.to.number;
    metrics.chainProcessedBlock.set(Number(input.to.number));
    metrics.chainLag.set(Math.max(0, Number(head - input.to.number)));
    await core.notifyOwnership(holders, input.after + 1n);
  };

  /** Posts what became final (one transaction). */
  const finalize = async (input: FinalizeInput): Promise<void> => {
    const posted = await finalizeTo(core, input);
    status.finalizedBlock = input.newFinal;
    core.notifyPosted(posted);
    if (posted.rejected > 0)
      log.warn('the achievement intake rejected chain events', {
        context: { fromBlock: (input.expectedFinal + 1n).toString(), toBlock: input.newFinal.toString() },
        metrics: { rejected: posted.rejected },
      });
  };

  const countEvents = (events: readonly BadgeEvent[], result: 'ok' | 'failed') => {
    let minted = 0;
    for (const e of events) if (e.event === 'BadgeMinted') minted++;
    if (minted > 0) metrics.chainEvents.inc({ event: 'BadgeMinted', result }, minted);
    if (events.length > minted)
      metrics.chainEvents.inc({ event: 'BadgeRevoked', result }, events.length - minted);
  };

  /**
   * The checkpoint's block is not canonical any more: find the highest stored block that still is
   * (the fork point) and roll everything above it back, in one transaction.
   */
  const rollBack = async (
    cp: Checkpoint,
    head: bigint,
  ): Promise<{ checkpoint: Checkpoint; depth: number }> => {
    const { rows } = await core.db.query<{ number: string; hash: string }>(
      'select number, hash from chain_blocks where number <= $1 order by number desc',
      [cp.block.toString()],
    );
    let fork: { number: bigint; hash: Hex } | undefined;
    let oldest: bigint | undefined;
    for (const row of rows) {
      const n = BigInt(row.number);
      oldest = n;
      const canonical = await rpc.header(n);
      if (canonical && canonical.hash === row.hash) {
        fork = { number: n, hash: canonical.hash };
        break;
      }
    }
    if (!fork) {
      const key = `${cp.block}:${cp.hash}`;
      if (tooDeepReported !== key) {
        tooDeepReported = key;
        metrics.chainReorgs.inc();
        log.error('chain reorganisation deeper than the stored block hashes; the listener cannot continue', {
          context: {
            checkpoint: cp.block.toString(),
            checkpointHash: cp.hash,
            oldestStored: oldest?.toString(),
          },
        });
      }
      throw new ReorgTooDeepError(cp.block, oldest);
    }
    const forkBlock = fork.number;
    const depth = Number(cp.block - forkBlock);
    const checkpoint: Checkpoint = {
      block: forkBlock,
      hash: fork.hash,
      finalized: minBig(cp.finalized, forkBlock),
    };
    const { holders, orphaned } = await core.db.transaction(async (tx) => {
      const found = await lockAll(tx, core.contract);
      if (!found || found.block !== cp.block || found.hash !== cp.hash || found.finalized !== cp.finalized)
        throw new CheckpointMovedError(cp.block, found?.block);
      // Events already posted to the intake (final) that this rollback takes away: see the design note.
      const lost =
        forkBlock < cp.finalized
          ? await tx.query<{ id: string }>(
              `select tx_hash || ':' || log_index as id from chain_events
                where block_number > $1 and block_number <= $2 order by block_number, log_index limit 100`,
              [forkBlock.toString(), cp.finalized.toString()],
            )
          : { rows: [] };
      const holders = await rollbackAbove(tx, forkBlock);
      await writeCheckpoint(tx, core.contract, checkpoint);
      return { holders, orphaned: lost.rows.map((r) => r.id) };
    });
    metrics.chainReorgs.inc();
    metrics.chainReorgDepth.observe(depth);
    log.warn('chain reorganisation: rolled back to the fork point', {
      context: {
        forkBlock: forkBlock.toString(),
        replacedBlock: cp.block.toString(),
        replacedHash: cp.hash,
        holders: holders.size,
      },
      metrics: { depth },
    });
    if (forkBlock < cp.finalized) {
      log.error('chain reorganisation deeper than the confirmation depth: final events were rolled back', {
        context: {
          forkBlock: forkBlock.toString(),
          finalizedBlock: cp.finalized.toString(),
          confirmations: Number(options.confirmations),
          postedEventsRolledBack: orphaned,
        },
        metrics: { depth },
      });
    }
    observeCheckpoint(checkpoint, head);
    await core.notifyOwnership(holders, forkBlock + 1n);
    return { checkpoint, depth };
  };

  /**
   * The headers a final range leaves in chain_blocks: its last block, and when it ends near the
   * head (within `keepFinalBlocks`), every block of it from there on — so that a reorg just after a
   * backfill, or with `confirmations` 0, still finds a stored block below the fork. Headers the
   * range read already (`known`) are not read again.
   */
  const anchorHeaders = async (
    from: bigint,
    end: BlockHeader,
    head: bigint,
    known: ReadonlyMap<bigint, BlockHeader>,
  ): Promise<BlockHeader[]> => {
    const anchorFrom = maxBig(from, head - options.keepFinalBlocks);
    if (anchorFrom >= end.number) return [end];
    const numbers: bigint[] = [];
    for (let n = anchorFrom; n < end.number; n++) if (!known.has(n)) numbers.push(n);
    const headers = new Map([...known, ...(await readHeaders(core.reader, numbers))]);
    const out: BlockHeader[] = [end];
    let child = end;
    for (let n = end.number - 1n; n >= anchorFrom; n--) {
      const h = headers.get(n)!;
      if (h.hash !== child.parentHash)
        throw new ChainMovedError(`block ${n + 1n} does not extend block ${n} as read (reorg in progress?)`);
      out.push(h);
      child = h;
    }
    return out.reverse();
  };

  /**
   * Final blocks (cp, safe]: chunks read in parallel, each applied in its own transaction, in
   * order; posting chunk k (finalize transaction) overlaps with applying chunk k+1.
   */
  const applyFinal = async (
    cp: Checkpoint,
    safe: bigint,
    head: bigint,
  ): Promise<{ checkpoint: Checkpoint; events: number; ranges: number }> => {
    const from = cp.block + 1n;
    const t0 = performance.now();
    let lastLog = t0;
    let events = 0;
    let ranges = 0;
    /** The last range handed to an apply transaction (its end is the next one's expected cursor). */
    let scheduled: Pick<Checkpoint, 'block' | 'hash'> = cp;
    /** The last range whose apply committed. */
    let applied: Pick<Checkpoint, 'block' | 'hash'> = cp;
    let final = cp.finalized;
    const applying: { committed: Promise<unknown>; done: Promise<void>; range: FetchedRange }[] = [];
    /**
     * Finalize transactions, chained: each starts once the previous one committed (chain order into
     * the intake), and none after a failure (the chained one rejects with the same error).
     */
    let finalizeChain: Promise<void> = Promise.resolve();
    /** Those not awaited yet, oldest first. */
    const finalizing: Promise<void>[] = [];
    if (safe - from > core.reader.sizer.current)
      log.info('backfilling badge events', {
        context: { fromBlock: from.toString(), toBlock: safe.toString(), headBlock: head.toString() },
        metrics: { chunkBlocks: Number(core.reader.sizer.current), concurrency: options.concurrency },
      });

    /**
     * Waits for the oldest apply, then appends its events to the finalize chain — without waiting
     * for that, so the next apply starts meanwhile; waits only when FINALIZES_PENDING are queued.
     */
    const settleOldest = async () => {
      const { done, range } = applying.shift()!;
      await done;
      applied = { block: range.end.number, hash: range.end.hash };
      ranges++;
      events += range.events.length;
      const newFinal = minBig(range.end.number, safe);
      if (newFinal > final) {
        const input: FinalizeInput = {
          expectedFinal: final,
          newFinal,
          memory: { after: range.fromBlock - 1n, events: range.events },
        };
        finalizeChain = finalizeChain.then(() => finalize(input));
        finalizeChain.catch(() => {}); // awaited in order below; this only keeps it from going unhandled
        finalizing.push(finalizeChain);
        final = newFinal;
      }
      while (finalizing.length > FINALIZES_PENDING) await finalizing.shift();
    };

    try {
      for await (const range of readRanges(
        core.reader,
        from,
        safe,
        [BADGE_TOPICS],
        options.concurrency * 2,
      )) {
        const { committed, done } = apply(
          {
            expected: scheduled.hash === null ? undefined : scheduled,
            after: scheduled.block,
            to: range.end,
            events: range.events,
            blocks: await anchorHeaders(range.fromBlock, range.end, head, range.headers),
            previous: applying.at(-1)?.committed,
          },
          head,
        );
        done.catch(() => {}); // awaited in order by settleOldest
        applying.push({ committed, done, range });
        scheduled = { block: range.end.number, hash: range.end.hash };
        status.chunkBlocks = Number(core.reader.sizer.current);
        while (applying.length >= APPLIES_IN_FLIGHT) await settleOldest();
        if (performance.now() - lastLog > PROGRESS_LOG_MS) {
          lastLog = performance.now();
          log.info('backfill progress', {
            context: { processedBlock: applied.block.toString(), toBlock: safe.toString() },
            metrics: { events, eventsPerSecond: Math.round(events / ((lastLog - t0) / 1000)) },
          });
        }
        if (stopping) break;
      }
      while (applying.length > 0) await settleOldest();
      while (finalizing.length > 0) await finalizing.shift();
    } finally {
      // After a failure: let what is in flight end (a later apply fails on the moved cursor).
      await Promise.allSettled([...applying.map((a) => a.done), finalizeChain]);
    }
    return { checkpoint: { block: applied.block, hash: applied.hash, finalized: final }, events, ranges };
  };

  /** Blocks (cp, head] that are not final yet: hash-linked one to the next, kept in chain_blocks. */
  const applyUnfinalized = async (cp: Checkpoint, head: bigint) => {
    const from = cp.block + 1n;
    const numbers: bigint[] = [];
    for (let n = from; n <= head; n++) numbers.push(n);
    const headers = await readHeaders(core.reader, numbers);
    let parent = cp.hash;
    const blocks: BlockHeader[] = [];
    for (const n of numbers) {
      const h = headers.get(n)!;
      if (parent !== null && h.parentHash !== parent) {
        if (n === from) return { reorg: true as const };
        throw new ChainMovedError(`block ${n} does not extend block ${n - 1n} as read (reorg in progress?)`);
      }
      parent = h.hash;
      blocks.push(h);
    }
    const events = decodeBadgeLogs(await readLogs(core.reader, from, head, [BADGE_TOPICS]));
    for (const e of events) {
      const h = headers.get(e.blockNumber);
      if (!h || h.hash !== e.blockHash)
        throw new ChainMovedError(
          `block ${e.blockNumber} changed while its logs were read (reorg in progress?)`,
        );
      e.blockTimestamp ??= h.timestamp;
    }
    const last = blocks[blocks.length - 1]!;
    await apply(
      { expected: cp.hash === null ? undefined : cp, after: cp.block, to: last, events, blocks },
      head,
    ).done;
    return {
      reorg: false as const,
      checkpoint: { block: last.number, hash: last.hash, finalized: cp.finalized },
      events: events.length,
    };
  };

  const syncOnceNow = async (): Promise<SyncResult> => {
    const [head, stored] = await Promise.all([rpc.blockNumber(), readCheckpoint(core.db, core.contract)]);
    status.headBlock = head;
    metrics.chainHeadBlock.set(Number(head));
    const start = options.startBlock - 1n;
    let cp: Checkpoint = stored ?? { block: start, hash: null, finalized: start };
    status.processedBlock = stored?.block;
    status.finalizedBlock = stored?.finalized;
    let reorg: SyncResult['reorg'];
    let events = 0;
    let ranges = 0;

    // 1. Is the checkpoint still canonical? (A reorg that kept the height shows only here.)
    if (stored?.hash) {
      const canonical = await rpc.header(stored.block);
      if (!canonical || canonical.hash !== stored.hash) {
        const r = await rollBack(stored, head);
        cp = r.checkpoint;
        reorg = { forkBlock: cp.block, depth: r.depth };
      }
    }
    tooDeepReported = undefined;

    // 2. Final blocks: parallel chunked eth_getLogs, one transaction per chunk, in order.
    const safe = head - options.confirmations;
    if (cp.block < safe) {
      const r = await applyFinal(cp, safe, head);
      cp = r.checkpoint;
      events += r.events;
      ranges += r.ranges;
    }

    // 3. Blocks not final yet, hash-linked one to the next.
    if (!stopping && cp.block < head) {
      const r = await applyUnfinalized(cp, head);
      if (r.reorg) {
        const rolled = await rollBack(cp, head);
        cp = rolled.checkpoint;
        reorg = { forkBlock: cp.block, depth: rolled.depth };
      } else {
        cp = r.checkpoint;
        events += r.events;
        ranges++;
      }
    }

    // 4. Older blocks became final (the head moved on, or a chunk's posting is still to do).
    const finalTarget = minBig(cp.block, safe);
    if (!stopping && cp.hash !== null && cp.finalized < finalTarget) {
      await finalize({ expectedFinal: cp.finalized, newFinal: finalTarget });
      cp = { ...cp, finalized: finalTarget };
    }
    observeCheckpoint(cp, head);
    return { headBlock: head, processedBlock: cp.block, finalizedBlock: cp.finalized, events, ranges, reorg };
  };

  const syncOnce = async (): Promise<SyncResult> => {
    // One round at a time: a test's syncOnce waits for the loop's round instead of racing it.
    while (inFlight) await inFlight.catch(() => undefined);
    const p = syncOnceNow();
    inFlight = p;
    try {
      const result = await p;
      status.lastError = undefined;
      return result;
    } catch (err) {
      status.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      inFlight = undefined;
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const run = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        const r = await syncOnce();
        if (failures > 0) log.info('chain listener recovered', { metrics: { failures } });
        failures = 0;
        if (r.ranges > 0)
          log.debug('applied blocks', {
            context: { processedBlock: r.processedBlock.toString(), headBlock: r.headBlock.toString() },
            metrics: { events: r.events },
          });
      } catch (err) {
        failures++;
        const retryable = (err as { retryable?: unknown }).retryable === true;
        const fields = { err, context: { error: describeError(err) }, metrics: { failures } };
        if (failures === 1 || failures % 10 === 0 || !retryable)
          log.error('chain listener sync failed', fields);
        else log.warn('chain listener sync failed again', fields);
      }
      if (stopping) break;
      const wait =
        failures === 0
          ? options.pollIntervalMs
          : Math.min(MAX_BACKOFF_MS, options.pollIntervalMs * 2 ** Math.min(failures, 10));
      await sleep(wait);
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      status.running = true;
      if (!registered) {
        registered = true;
        params.common.shutdown.add('chain-listener', () => this.stop());
      }
      log.info('chain listener starting', {
        context: {
          contract: core.address,
          startBlock: options.startBlock.toString(),
          confirmations: Number(options.confirmations),
        },
        metrics: {
          chunkBlocks: options.chunkBlocks,
          concurrency: options.concurrency,
          pollIntervalMs: options.pollIntervalMs,
        },
      });
      loop = run();
    },
    async stop() {
      if (!running) return;
      stopping = true;
      wakeUp?.();
      await loop;
      running = false;
      status.running = false;
      // A stopped listener is no listener: its gauges go (ChainListenerStopped's absent branch).
      metrics.chainProcessedBlock.remove();
      metrics.chainLag.remove();
      log.info('chain listener stopped', {
        context: { processedBlock: status.processedBlock?.toString() },
      });
    },
    syncOnce,
    status: () => ({ ...status }),
  };
}
