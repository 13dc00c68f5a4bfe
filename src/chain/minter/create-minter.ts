import { randomBytes } from 'node:crypto';
import {
  type Address,
  type Chain,
  createPublicClient,
  type Hex,
  keccak256,
  type PublicClient,
  parseTransaction,
  type Transport,
} from 'viem';
import { pauseOf } from '../../ops/pauses/pauses.ts';
import { chunks } from '../../platform/chunks.ts';
import { contextFromTraceparent, runWithTrace } from '../../platform/trace.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { bumpFees } from './bump-fees.ts';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';
import { fetchReceipt, type MintReceipt } from './fetch-receipt.ts';
import { hasMinterRole } from './minter-role.ts';
import { createMinterStore, type FinishedRow, type OpenTx, type OutboxRow } from './minter-store.ts';
import {
  type GasModel,
  type MintItem,
  mintBatchData,
  type PlannedBatch,
  planBatches,
} from './plan-batches.ts';
import { type FeePolicy, minBigint, type PricedFees, priceFees, scale } from './price-fees.ts';
import {
  classifySendError,
  nodeAnswered,
  revertOf,
  type SendOutcome,
  shortReason,
} from './rpc-error-facts.ts';
import { tokenIdsFromReceipt } from './token-ids-from-receipt.ts';
import type { CreateMinterParameters, Minter, MinterTickResult } from './types.ts';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const GWEI = 1_000_000_000n;
/** A repeated warning (fees above the cap, a failing broadcast, tick errors) is logged at most this often. */
const REPEAT_LOG_MS = 60_000;

const gwei = (wei: bigint) => Number(wei) / 1e9;

/** Builds the minter; see index.ts for the design. Nothing runs until `start()` or `tick()`. */
export function createMinter(parameters: CreateMinterParameters): Minter {
  const { common, db, transport, chain, badgeAddress, account } = parameters;
  const o = parameters.options ?? {};
  const config = common.config;
  const metrics = common.metrics;
  const log = common.logger.child('minter');

  const batchSize = positive('batchSize', o.batchSize ?? config.mintBatchSize);
  const confirmations = o.confirmations ?? config.chainConfirmations;
  const pollIntervalMs = o.pollIntervalMs ?? config.chainPollIntervalMs;
  const replaceAfterMs = o.replaceAfterMs ?? config.mintReplaceAfterMs;
  const maxFeePerGas = o.maxFeePerGas ?? BigInt(config.mintMaxFeeGwei) * GWEI;
  const maxPendingTxs = positive('maxPendingTxs', o.maxPendingTxs ?? 8);
  const maxTxGas = o.maxTxGas ?? 16_777_216n;
  const gasSafetyPercent = o.gasSafetyPercent ?? 90;
  const gasLimitPercent = o.gasLimitPercent ?? 110;
  const feeBumpPercent = o.feeBumpPercent ?? 12.5;
  const maxAttempts = positive('maxAttempts', o.maxAttempts ?? 3);
  const leaseMs = o.leaseMs ?? Math.max(30_000, 10 * pollIntervalMs);
  const gaugeIntervalMs = o.gaugeIntervalMs ?? 5_000;
  const balanceIntervalMs = o.balanceIntervalMs ?? 30_000;
  if (feeBumpPercent < 10) throw new RangeError('createMinter: feeBumpPercent must be at least 10');
  if (!(gasSafetyPercent > 0 && gasSafetyPercent <= 100))
    throw new RangeError('createMinter: gasSafetyPercent must be in (0, 100]');
  if (gasLimitPercent < 100) throw new RangeError('createMinter: gasLimitPercent must be at least 100');
  /** Learned from the estimates; lets later batches be simulated by one eth_call (see GasModel). */
  const gasModel: GasModel = { perItem: undefined, marginPercent: gasLimitPercent };
  const feePolicy: FeePolicy = {
    maxFeePerGas,
    baseFeeMultiplier: o.baseFeeMultiplier ?? 2,
    priorityFeePercentile: o.priorityFeePercentile ?? 50,
    feeHistoryBlocks: o.feeHistoryBlocks ?? 10,
    minPriorityFeePerGas: o.minPriorityFeePerGas ?? 100_000_000n,
  };

  const client: PublicClient<Transport, Chain> = createPublicClient({
    chain,
    transport,
    cacheTime: 0,
    pollingInterval: pollIntervalMs,
  });
  const from = account.address.toLowerCase();
  const store = createMinterStore(db, from);
  const holder = `${config.instance}/${randomBytes(4).toString('hex')}`;

  /** achievementTokenId, memoised: a keccak per request and per receipt log adds up at 2000 mints/s. */
  const keys = new Map<string, bigint>();
  const keyOf = (slug: string): bigint => {
    let key = keys.get(slug);
    if (key === undefined) {
      if (keys.size >= 100_000) keys.clear();
      key = achievementTokenId(slug);
      keys.set(slug, key);
    }
    return key;
  };

  // ── State (only the lease holder acts on it) ──────────────────────────────
  let holding = false;
  let nextNonce: number | undefined;
  /** Nonces whose bytes must be broadcast again → the last failure (undefined: not tried yet). */
  const rebroadcast = new Map<number, { reason: string; insufficientFunds: boolean } | undefined>();
  let waitingForFees = false;
  /** The last balance sampled, for status(). */
  let sampledBalance: { wei: bigint; at: string } | undefined;
  let lastFeeWarnAt = 0;
  let lastGaugesAt = Number.NEGATIVE_INFINITY;
  let lastBalanceAt = Number.NEGATIVE_INFINITY;
  let lastTickAt: string | undefined;
  let lastLeaseAt = 0;
  /** The head whose receipts were all read and acted on: until a new block, no receipt can change. */
  let followedHead: bigint | undefined;
  let lastError: string | undefined;
  let lastErrorLoggedAt = 0;
  let lastLoggedError: string | undefined;
  let running: Promise<MinterTickResult> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let looping = false;
  let registered = false;

  // ── Logging helpers ────────────────────────────────────────────────────────
  /** Logs about one request in its own trace (the unlock's traceparent), with the member as userId. */
  const logRow = (
    level: 'info' | 'warn',
    message: string,
    row: OutboxRow,
    context: Record<string, unknown>,
    rowMetrics: Record<string, number>,
  ) =>
    runWithTrace(contextFromTraceparent(row.traceparent), () =>
      log[level](message, { userId: row.userAddress, context, metrics: rowMetrics }),
    );

  const reportFailed = (rows: readonly FinishedRow[], reasonOf: (row: FinishedRow) => string) => {
    if (rows.length === 0) return;
    metrics.mints.inc({ result: 'failed' }, rows.length);
    for (const row of rows)
      logRow(
        'warn',
        'Achievement badge mint failed',
        row,
        { achievementId: row.achievementId, outboxId: row.id, reason: reasonOf(row) },
        { processingTime: row.ageMs, retryCount: Math.max(0, row.attempts - 1) },
      );
  };

  // ── Chain helpers ──────────────────────────────────────────────────────────
  const broadcast = async (raw: Hex): Promise<SendOutcome> => {
    try {
      await client.sendRawTransaction({ serializedTransaction: raw });
      return { kind: 'sent' };
    } catch (err) {
      return classifySendError(err);
    }
  };

  /** The receipt of whichever of `hashes` was mined, if any. */
  const receiptOf = async (hashes: readonly Hex[]): Promise<MintReceipt | undefined> => {
    const found = await Promise.all(hashes.map((hash) => fetchReceipt(client, hash)));
    return found.find((r) => r !== undefined);
  };

  // ── Lease and recovery ─────────────────────────────────────────────────────
  /** After taking the lease (start, restart, takeover, or an error): nonce from the chain and the records. */
  const recover = async () => {
    const [pendingCount, maxRecorded, open] = await Promise.all([
      client.getTransactionCount({ address: account.address, blockTag: 'pending' }),
      store.maxNonce(),
      store.openTxs(),
    ]);
    const afterRecorded = maxRecorded === undefined ? 0 : maxRecorded + 1;
    nextNonce = Math.max(pendingCount, afterRecorded);
    rebroadcast.clear();
    // The process may have stopped between recording and broadcasting: send what was recorded again.
    for (const tx of open) if (tx.status === 'submitted') rebroadcast.set(tx.nonce, undefined);
    log.info('minter active', {
      context: {
        account: account.address,
        holder,
        nextNonce,
        chainPendingNonce: pendingCount,
        openTransactions: open.length,
      },
    });
  };

  // ── Following open transactions ────────────────────────────────────────────
  /**
   * Reads every open transaction's state (receipts, the settled nonce) and returns how many stay
   * open plus the work to do about them (confirm, fail, replace, re-broadcast), which the tick runs
   * while the next batches are being simulated.
   */
  const followOpen = async (
    head: bigint,
    newHead: boolean,
    result: MinterTickResult,
    paused: boolean,
  ): Promise<{ stillOpen: number; settle: () => Promise<void> }> => {
    const open = await store.openTxs();
    const actions: (() => Promise<void>)[] = [];
    const settle = async () => {
      for (const action of actions) await action();
    };
    if (open.length === 0) return { stillOpen: 0, settle };
    // One fee quote per round, shared by its replacements.
    let market: Promise<PricedFees> | undefined;
    const quote = () => {
      market ??= priceFees(client, feePolicy);
      return market;
    };
    if (!newHead) {
      // Same head as the last complete round: receipts cannot have changed; only timers can.
      for (const tx of open) if (tx.status === 'submitted') unmined(tx, actions, quote, result, paused);
      return { stillOpen: open.length, settle };
    }
    const receipts = await Promise.all(open.map((tx) => receiptOf([tx.txHash, ...tx.previousHashes])));
    // The sender's nonce N blocks deep: a nonce below it without a receipt of ours was used by another transaction.
    const finalNonce =
      receipts.some((r) => r === undefined) && head >= BigInt(confirmations)
        ? await client.getTransactionCount({
            address: account.address,
            blockNumber: head - BigInt(confirmations),
          })
        : undefined;
    let stillOpen = 0;
    for (const [i, tx] of open.entries()) {
      const receipt = receipts[i];
      if (receipt) {
        rebroadcast.delete(tx.nonce);
        if (head - receipt.blockNumber >= BigInt(confirmations)) {
          actions.push(async () => {
            try {
              if (receipt.status === 'success') await confirm(tx, receipt, result);
              else await reverted(tx, receipt, result);
            } catch (err) {
              if ((err as MinterError).code !== MINTER_ERROR_CODES.receiptMismatch) throw err;
              // Stays open until an operator looks; the others go on.
              errorRepeated(
                `mismatch:${tx.nonce}`,
                'mint transaction receipt does not match its requests',
                err,
              );
            }
          });
          continue;
        }
        stillOpen++;
        if (tx.status !== 'mined' || tx.minedBlock !== receipt.blockNumber)
          actions.push(() => store.markMined(tx.nonce, receipt.blockNumber));
        continue;
      }
      if (tx.status === 'mined') {
        log.warn('mint transaction no longer mined (reorg): waiting for it again', {
          context: { nonce: tx.nonce, transactionHash: tx.txHash, block: tx.minedBlock },
        });
        actions.push(() => store.markUnmined(tx.nonce));
        rebroadcast.set(tx.nonce, undefined);
      }
      if (finalNonce !== undefined && finalNonce > tx.nonce) {
        actions.push(() => nonceTaken(tx, result));
        continue;
      }
      stillOpen++;
      unmined(tx, actions, quote, result, paused);
    }
    return { stillOpen, settle };
  };

  /**
   * A transaction without a receipt: replaced when overdue, else sent again if its broadcast failed.
   * Paused, it is never replaced (a replacement is a new signature); a failed broadcast of what is
   * already signed is still sent again.
   */
  const unmined = (
    tx: OpenTx,
    actions: (() => Promise<void>)[],
    quote: () => Promise<PricedFees>,
    result: MinterTickResult,
    paused: boolean,
  ) => {
    const failing = rebroadcast.get(tx.nonce);
    if (!paused && tx.sentAgeMs >= replaceAfterMs && !failing?.insufficientFunds)
      actions.push(async () => replace(tx, await quote(), result));
    else if (rebroadcast.has(tx.nonce)) actions.push(() => resend(tx));
  };

  const confirm = async (tx: OpenTx, receipt: MintReceipt, result: MinterTickResult) => {
    const rows = await store.rowsOf(tx.outboxIds);
    const tokenIds = tokenIdsFromReceipt(receipt, badgeAddress, rows, keyOf);
    const { submittedSeconds } = await store.confirmTx(tx, {
      txHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      tokenIds,
    });
    metrics.txConfirmation.observe(submittedSeconds);
    metrics.mints.inc({ result: 'confirmed' }, rows.length);
    result.confirmedMints += rows.length;
    const replacements = tx.previousHashes.length;
    log.info('mint transaction confirmed', {
      context: {
        nonce: tx.nonce,
        transactionHash: receipt.transactionHash,
        blockNumber: receipt.blockNumber.toString(),
        mints: rows.length,
        gasUsed: receipt.gasUsed.toString(),
        effectiveGasPriceGwei: gwei(receipt.effectiveGasPrice),
        replacements,
      },
      metrics: { confirmationSeconds: Math.round(submittedSeconds * 1000) / 1000 },
    });
    if (log.isLevelEnabled('info'))
      for (const [i, row] of rows.entries())
        logRow(
          'info',
          'Achievement unlocked successfully',
          row,
          {
            achievementId: row.achievementId,
            tokenId: tokenIds[i]!.toString(),
            transactionHash: receipt.transactionHash,
            blockNumber: receipt.blockNumber.toString(),
            outboxId: row.id,
          },
          { processingTime: row.ageMs, retryCount: Math.max(0, row.attempts - 1) + replacements },
        );
  };

  const reverted = async (tx: OpenTx, receipt: MintReceipt, result: MinterTickResult) => {
    const gasLimit = tx.rawTx ? parseTransaction(tx.rawTx).gas : undefined;
    const outOfGas = gasLimit !== undefined && receipt.gasUsed >= gasLimit;
    const error = `transaction ${receipt.transactionHash} reverted in block ${receipt.blockNumber}${outOfGas ? ' (out of gas)' : ''}`;
    const released = await store.failTx(tx, error, maxAttempts, receipt.blockNumber);
    // Requests back in `pending` are simulated again before the next send: one that reverts on its
    // own is then dead-lettered with its decoded reason; the others go in another transaction.
    log.warn('mint transaction reverted: its requests are retried', {
      context: {
        nonce: tx.nonce,
        transactionHash: receipt.transactionHash,
        blockNumber: receipt.blockNumber.toString(),
        retried: released.pending.length,
        failed: released.failed.length,
      },
    });
    reportFailed(released.failed, () => error);
    result.failedMints += released.failed.length;
  };

  const nonceTaken = async (tx: OpenTx, result: MinterTickResult) => {
    // Checked again: a receipt may have appeared since (it would be mined at or after the head read).
    if (await receiptOf([tx.txHash, ...tx.previousHashes])) return;
    const error = `nonce ${tx.nonce} was used by another transaction of ${account.address}`;
    const released = await store.failTx(tx, error, maxAttempts);
    rebroadcast.delete(tx.nonce);
    log.error(
      'mint transaction dropped: another transaction used its nonce (is the minter key used elsewhere?)',
      {
        context: { nonce: tx.nonce, transactionHash: tx.txHash, retried: released.pending.length },
      },
    );
    reportFailed(released.failed, () => error);
    result.failedMints += released.failed.length;
  };

  const replace = async (tx: OpenTx, market: PricedFees, result: MinterTickResult) => {
    const previous = { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas };
    const fees = tx.rawTx ? bumpFees(previous, market, feeBumpPercent, maxFeePerGas) : undefined;
    if (!tx.rawTx || !fees) {
      // Cannot bump under the cap: keep waiting, and make sure the node still has the transaction.
      warnRepeated(
        `replace:${tx.nonce}`,
        'mint transaction not mined and its fees cannot rise under the cap',
        {
          nonce: tx.nonce,
          transactionHash: tx.txHash,
          maxFeePerGasGwei: gwei(tx.maxFeePerGas),
          capGwei: gwei(maxFeePerGas),
        },
      );
      await resend(tx, true);
      return;
    }
    const parsed = parseTransaction(tx.rawTx);
    const raw = await account.signTransaction({
      type: 'eip1559',
      chainId: chain.id,
      nonce: tx.nonce,
      to: parsed.to ?? badgeAddress,
      data: parsed.data ?? '0x',
      gas: parsed.gas ?? maxTxGas,
      value: 0n,
      ...fees,
    });
    const txHash = keccak256(raw);
    if (!(await store.recordReplacement(holder, tx, { txHash, rawTx: raw, ...fees }))) {
      holding = false; // lost the lease (or the row changed): recover before doing anything else
      return;
    }
    const outcome = await broadcast(raw);
    metrics.txReplacements.inc();
    result.replacedTxs++;
    afterBroadcast(tx.nonce, outcome);
    log.warn('mint transaction replaced: not mined in time', {
      context: {
        nonce: tx.nonce,
        previousHash: tx.txHash,
        transactionHash: txHash,
        maxFeePerGasGwei: gwei(fees.maxFeePerGas),
        maxPriorityFeePerGasGwei: gwei(fees.maxPriorityFeePerGas),
        previousMaxFeePerGasGwei: gwei(tx.maxFeePerGas),
        outcome: outcome.kind,
      },
      metrics: { replacements: tx.previousHashes.length + 1, waitedMs: Math.round(tx.sentAgeMs) },
    });
  };

  /** Broadcasts the recorded bytes again (after a restart, a failed broadcast, or when a replacement is impossible). */
  const resend = async (tx: OpenTx, touch = false) => {
    if (!tx.rawTx) return;
    const outcome = await broadcast(tx.rawTx);
    afterBroadcast(tx.nonce, outcome);
    if (touch) await store.touchSent(tx.nonce);
  };

  const afterBroadcast = (nonce: number, outcome: SendOutcome) => {
    if (outcome.kind === 'sent' || outcome.kind === 'known') {
      rebroadcast.delete(nonce);
      return;
    }
    if (outcome.kind === 'nonceTooLow') {
      // Mined (the receipt shows up next tick) or used by another transaction (detected N blocks deep).
      rebroadcast.delete(nonce);
      return;
    }
    const previous = rebroadcast.get(nonce);
    rebroadcast.set(nonce, {
      reason: outcome.reason,
      insufficientFunds: outcome.kind === 'rejected' && outcome.insufficientFunds,
    });
    if (previous?.reason !== outcome.reason)
      log.warn(
        outcome.kind === 'unknown'
          ? 'mint transaction broadcast got no answer: sending it again'
          : 'mint transaction refused by the node: sending it again',
        { context: { nonce, reason: outcome.reason } },
      );
  };

  const warnedAt = new Map<string, number>();
  const due = (key: string) => {
    const now = Date.now();
    if (now - (warnedAt.get(key) ?? 0) < REPEAT_LOG_MS) return false;
    warnedAt.set(key, now);
    return true;
  };
  const warnRepeated = (key: string, message: string, context: Record<string, unknown>) => {
    if (due(key)) log.warn(message, { context });
  };
  const errorRepeated = (key: string, message: string, err: unknown) => {
    if (due(key)) log.error(message, { err });
  };

  // ── Sending new batches ────────────────────────────────────────────────────
  /** A send is failing (refused, or no answer): new batches would only pile up behind it. */
  const sendBlocked = () => [...rebroadcast.values()].some((failure) => failure !== undefined);

  interface Plan {
    budget: number;
    fees: Extract<PricedFees, { aboveCap: false }>;
    txCap: bigint;
    batches: PlannedBatch[];
  }

  /** Picks, validates and simulates the next batches (at most `budget` transactions); nothing is sent. */
  const planNew = async (budget: number, result: MinterTickResult): Promise<Plan | undefined> => {
    if (budget <= 0 || sendBlocked()) return undefined;
    const rows = await store.pendingRows(budget * batchSize);
    if (rows.length === 0) return undefined;

    const fees = await priceFees(client, feePolicy);
    if (fees.aboveCap) {
      result.waitingForFees = true;
      if (!waitingForFees || Date.now() - lastFeeWarnAt >= REPEAT_LOG_MS) {
        lastFeeWarnAt = Date.now();
        log.warn('mint fees above the cap: new mints wait', {
          context: {
            baseFeeGwei: gwei(fees.baseFeePerGas),
            neededFeeGwei: gwei(fees.neededFeePerGas),
            capGwei: gwei(maxFeePerGas),
            waitingRequests: rows.length,
          },
        });
      }
      waitingForFees = true;
      return undefined;
    }
    if (waitingForFees) {
      waitingForFees = false;
      log.info('mint fees under the cap again: minting resumes', {
        context: { baseFeeGwei: gwei(fees.baseFeePerGas), capGwei: gwei(maxFeePerGas) },
      });
    }

    // Requests that cannot be encoded never reach the chain.
    const invalid: { id: string; reason: string }[] = [];
    const items: MintItem[] = [];
    for (const row of rows) {
      if (!ADDRESS.test(row.userAddress)) {
        invalid.push({ id: row.id, reason: `InvalidAddress(${row.userAddress.slice(0, 64)})` });
        continue;
      }
      if (row.achievementId.length === 0) {
        invalid.push({ id: row.id, reason: 'InvalidAchievementId(empty)' });
        continue;
      }
      items.push({
        row,
        // Lower case: a mixed-case address with a bad checksum would make viem refuse the whole batch.
        to: row.userAddress.toLowerCase() as Address,
        achievementKey: keyOf(row.achievementId),
      });
    }
    const failedNow = await store.deadLetter(invalid);
    const invalidReason = new Map(invalid.map((i) => [i.id, i.reason]));
    reportFailed(failedNow, (row) => invalidReason.get(row.id) ?? 'invalid');
    result.failedMints += failedNow.length;

    // A member's badge already on chain (e.g. the unlock was recorded again after a restore from a
    // backup older than its mint): confirmed with that token, never minted twice.
    const held = await store.confirmAlreadyMinted(
      items.map((i) => ({ id: i.row.id, holder: i.to, achievementKey: i.achievementKey })),
    );
    if (held.length > 0) {
      const heldIds = new Set(held.map((h) => h.id));
      log.warn('badges already on chain: requests confirmed with the existing tokens, not minted again', {
        context: { requests: held.length, firstRequest: held[0]!.id, firstToken: held[0]!.tokenId },
      });
      result.confirmedMints += held.length;
      items.splice(0, items.length, ...items.filter((i) => !heldIds.has(i.row.id)));
    }

    const block = await client.getBlock({ blockTag: 'latest' });
    const txCap = block.gasLimit < maxTxGas ? block.gasLimit : maxTxGas;
    const gasBudget = (txCap * BigInt(Math.round(gasSafetyPercent * 100))) / 10_000n;
    const plans = await Promise.all(
      chunks(items, batchSize).map((chunk) =>
        planBatches({ client, badgeAddress, account: account.address, items: chunk, gasBudget, gasModel }),
      ),
    );
    const reverts = plans.flatMap((p) => p.failed);
    const revertReason = new Map(reverts.map((f) => [f.item.row.id, f.reason]));
    const deadLettered = await store.deadLetter(
      reverts.map((f) => ({ id: f.item.row.id, reason: f.reason })),
    );
    reportFailed(deadLettered, (row) => revertReason.get(row.id) ?? 'reverted');
    result.failedMints += deadLettered.length;
    return { budget, fees, txCap, batches: plans.flatMap((p) => p.batches) };
  };

  /**
   * Signs, records and broadcasts planned batches, one at a time and in nonce order (an automining
   * node refuses a nonce ahead of the one it expects).
   */
  const sendPlanned = async ({ budget, fees, txCap, batches }: Plan, result: MinterTickResult) => {
    let sent = 0;
    for (const batch of batches) {
      if (sendBlocked()) break;
      if (sent >= budget || nextNonce === undefined || !holding) break;
      const nonce = nextNonce;
      const gas = minBigint(batch.gasLimit ?? scale(batch.gas, gasLimitPercent / 100), txCap);
      const raw = await account.signTransaction({
        type: 'eip1559',
        chainId: chain.id,
        nonce,
        to: badgeAddress,
        data: mintBatchData(batch.items),
        gas,
        value: 0n,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      const txHash = keccak256(raw);
      const outboxIds = batch.items.map((i) => i.row.id);
      const recorded = await store.recordTx(holder, {
        nonce,
        txHash,
        rawTx: raw,
        outboxIds,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      if (!recorded) {
        // Lost the lease, or a request changed meanwhile: nothing was sent, re-check before going on.
        holding = false;
        break;
      }
      nextNonce = nonce + 1;
      const outcome = await broadcast(raw);
      sent++;
      result.sentTxs++;
      result.submittedMints += outboxIds.length;
      log.info('mint transaction sent', {
        context: {
          nonce,
          transactionHash: txHash,
          mints: outboxIds.length,
          // Estimated, or simulated at the learned limit (then the limit is what was signed).
          ...(batch.gasLimit === undefined ? { gasEstimate: batch.gas.toString() } : {}),
          gasLimit: gas.toString(),
          maxFeePerGasGwei: gwei(fees.maxFeePerGas),
          maxPriorityFeePerGasGwei: gwei(fees.maxPriorityFeePerGas),
          outcome: outcome.kind,
        },
      });
      if (outcome.kind === 'nonceTooLow') {
        // Our nonce is stale (the key sent elsewhere): this one is settled N blocks deep; resync first.
        log.warn('minter nonce was stale: resyncing from the chain', {
          context: { nonce, reason: outcome.reason },
        });
        holding = false;
        break;
      }
      afterBroadcast(nonce, outcome);
      if (rebroadcast.has(nonce)) break;
    }
  };

  // ── Gauges ─────────────────────────────────────────────────────────────────
  // Exported only while this instance is the minter (they are ownedGauges): a standby instance
  // shows none, so "no minter at all" is visible as no series (MintQueueStalled's absent branch).
  const refreshGauges = async (force = false) => {
    const now = Date.now();
    if (force || now - lastGaugesAt >= gaugeIntervalMs) {
      lastGaugesAt = now;
      const counts = await store.counts();
      metrics.mintRequestsPending.set(counts.requests);
      metrics.mintRequestOldestPending.set(counts.nextRequestAge);
      metrics.txPending.set(counts.txs);
      metrics.txOldestPending.set(counts.oldestTxAge);
      metrics.minterFeesAboveCap.set(waitingForFees ? 1 : 0);
    }
    if (force || now - lastBalanceAt >= balanceIntervalMs) {
      lastBalanceAt = now;
      noteBalance(await client.getBalance({ address: account.address }));
    }
  };
  const noteBalance = (wei: bigint) => {
    lastBalanceAt = Date.now();
    sampledBalance = { wei, at: new Date(lastBalanceAt).toISOString() };
    metrics.minterBalance.set(Number(wei));
  };
  const clearGauges = () => {
    for (const g of [
      metrics.mintRequestsPending,
      metrics.mintRequestOldestPending,
      metrics.txPending,
      metrics.txOldestPending,
      metrics.minterFeesAboveCap,
      metrics.minterBalance,
    ])
      g.remove();
    lastGaugesAt = Number.NEGATIVE_INFINITY;
    lastBalanceAt = Number.NEGATIVE_INFINITY;
  };

  /** Logs a pause once when it takes effect here, and once when it is lifted. */
  let pausedLogged = false;
  const notePause = (pause: Awaited<ReturnType<typeof pauseOf>>) => {
    if (pause && !pausedLogged)
      log.warn('minting paused: nothing new is signed until it is resumed', {
        context: { reason: pause.reason, pausedBy: pause.pausedBy, pausedAt: pause.pausedAt },
      });
    else if (!pause && pausedLogged) log.info('minting resumed');
    pausedLogged = pause !== undefined;
  };

  // ── The tick ───────────────────────────────────────────────────────────────
  const runTick = async (): Promise<MinterTickResult> => {
    const result: MinterTickResult = {
      standby: false,
      sentTxs: 0,
      submittedMints: 0,
      replacedTxs: 0,
      confirmedMints: 0,
      failedMints: 0,
      waitingForFees: false,
      paused: false,
    };
    // The lease is renewed when a third of its lifetime has passed (not every tick: that is a write).
    const leaseCheckedAt = Date.now();
    const leaseFresh = holding && leaseCheckedAt - lastLeaseAt < leaseMs / 3;
    if (!leaseFresh && !(await store.acquireLease(holder, leaseMs))) {
      if (holding) log.warn('minter lease taken by another instance: standing by', { context: { holder } });
      clearGauges();
      holding = false;
      nextNonce = undefined;
      result.standby = true;
      return result;
    }
    if (!leaseFresh) lastLeaseAt = leaseCheckedAt;
    try {
      if (!holding) {
        await recover();
        holding = true;
      }
      const pause = await pauseOf(db, 'minting');
      notePause(pause);
      result.paused = pause !== undefined;
      const head = await client.getBlockNumber();
      const { stillOpen, settle } = await followOpen(head, head !== followedHead, result, result.paused);
      // Settling (database work, replacements) overlaps with simulating the next batches (node work).
      const [settled, planned] = await Promise.allSettled([
        settle(),
        result.paused ? Promise.resolve(undefined) : planNew(maxPendingTxs - stillOpen, result),
      ]);
      if (settled.status === 'rejected') throw settled.reason;
      if (planned.status === 'rejected') throw planned.reason;
      followedHead = head;
      if (planned.value && holding) await sendPlanned(planned.value, result);
      await refreshGauges();
    } catch (err) {
      holding = false; // re-read nonce and open transactions before acting again
      followedHead = undefined;
      // Still this instance's lease: keep the gauges moving (the queue's age grows while ticks
      // fail), each read on its own — the tick's error is the one logged.
      await refreshGauges().catch(() => {});
      throw err;
    }
    return result;
  };

  const tick = (): Promise<MinterTickResult> => {
    running ??= runTick()
      .then((r) => {
        lastTickAt = new Date().toISOString();
        lastError = undefined;
        return r;
      })
      .catch((err: unknown) => {
        lastError = shortReason(err);
        throw err;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const loop = async () => {
    timer = undefined;
    let busy = false;
    try {
      const r = await tick();
      busy = r.sentTxs + r.confirmedMints + r.failedMints + r.replacedTxs > 0;
    } catch (err) {
      const now = Date.now();
      const reason = shortReason(err);
      if (now - lastErrorLoggedAt >= REPEAT_LOG_MS || lastLoggedError !== reason) {
        lastErrorLoggedAt = now;
        lastLoggedError = reason;
        // Our own errors are safe to log whole; a viem error's message and stack quote the RPC URL.
        log.error('minter tick failed: retrying', {
          ...(err instanceof MinterError ? { err } : {}),
          context: { code: (err as { code?: unknown }).code, error: (err as Error).name, reason },
        });
      }
    }
    if (looping) timer = setTimeout(() => void loop(), busy ? 0 : pollIntervalMs);
  };

  const unreachable = (what: string, err: unknown) =>
    new MinterError(
      MINTER_ERROR_CODES.rpcUnreachable,
      `the RPC endpoint does not answer ${what} (${shortReason(err)}): check RPC_URLS and the node`,
    );

  const check = async () => {
    let chainId: number;
    try {
      chainId = await client.getChainId();
    } catch (err) {
      throw unreachable('eth_chainId', err);
    }
    if (chainId !== chain.id)
      throw new MinterError(
        MINTER_ERROR_CODES.wrongChain,
        `the RPC endpoint serves chain ${chainId}, not the configured chain ${chain.id}: fix RPC_URLS or CB_CHAIN_ID`,
        { details: { expected: chain.id, actual: chainId } },
      );
    let code: Hex | undefined;
    try {
      code = await client.getCode({ address: badgeAddress });
    } catch (err) {
      throw unreachable('eth_getCode', err);
    }
    if (!code || code === '0x')
      throw new MinterError(
        MINTER_ERROR_CODES.noContract,
        `no contract at CB_BADGE_ADDRESS ${badgeAddress} on chain ${chainId}: wrong address or wrong chain`,
      );
    let hasRole: boolean;
    try {
      hasRole = await hasMinterRole(client, badgeAddress, account.address);
    } catch (err) {
      if (revertOf(err) || nodeAnswered(err))
        throw new MinterError(
          MINTER_ERROR_CODES.noContract,
          `the contract at CB_BADGE_ADDRESS ${badgeAddress} is not an AchievementBadge (hasRole failed: ${shortReason(err)})`,
        );
      throw unreachable('eth_call', err);
    }
    if (!hasRole)
      throw new MinterError(
        MINTER_ERROR_CODES.roleMissing,
        `the minter account ${account.address} lacks MINTER_ROLE on ${badgeAddress}: grant it (badge admin: cb chain roles grant minter ${account.address} --admin-key-file <file>, or --calldata for a multisig)`,
      );
    const [latestCount, maxFinal, balance] = await Promise.all([
      client.getTransactionCount({ address: account.address, blockTag: 'latest' }),
      store.maxFinalNonce(),
      client.getBalance({ address: account.address }),
    ]);
    if (maxFinal !== undefined && latestCount <= maxFinal)
      throw new MinterError(
        MINTER_ERROR_CODES.nonceBehind,
        `the chain has ${latestCount} transactions from ${account.address} but mint_txs records nonce ${maxFinal} as final: the chain was reset or the database belongs to another chain`,
        { details: { chainNonce: latestCount, recordedNonce: maxFinal } },
      );
    noteBalance(balance);
    if (balance === 0n)
      log.warn('minter account has no funds: mints wait until it is funded', {
        context: { account: account.address },
      });
  };

  const stop = async () => {
    looping = false;
    if (timer) clearTimeout(timer);
    timer = undefined;
    await running?.catch(() => {});
    holding = false;
    nextNonce = undefined;
    clearGauges();
    try {
      await store.releaseLease(holder);
    } catch (err) {
      log.warn('could not release the minter lease (another instance takes over when it expires)', { err });
    }
  };

  return {
    check,
    async start() {
      if (looping) return;
      await check();
      looping = true;
      if (!registered) {
        registered = true;
        common.shutdown.add('minter', stop);
      }
      log.info('minter started', {
        context: {
          account: account.address,
          badgeAddress,
          chainId: chain.id,
          batchSize,
          confirmations,
          maxFeeGwei: gwei(maxFeePerGas),
          replaceAfterMs,
        },
      });
      timer = setTimeout(() => void loop(), 0);
    },
    stop,
    tick,
    status: () => ({
      account: account.address,
      active: holding,
      nextNonce,
      waitingForFees,
      lastTickAt,
      lastError,
      balanceWei: sampledBalance?.wei,
      balanceAt: sampledBalance?.at,
    }),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`createMinter: ${name} must be a positive whole number, got ${value}`);
  return value;
}
