/**
 * # Minter — unlocks become soulbound badges on chain
 *
 * ```ts
 * const account = loadMinterAccount(config, { required: true });   // CB_MINTER_KEY_FILE | CB_MINTER_PRIVATE_KEY
 * const minter = createMinter({ common, db, transport: rpc.transport, chain, badgeAddress, account });
 * await minter.start();   // start-up checks (one-line MinterError each), then the loop; stop() at shutdown
 * ```
 *
 * **Flow of one request** (a row of `ach_mint_outbox`, written with the unlock):
 * `pending` → `submitted` (tx_hash, nonce) → `confirmed` (token_id, block_number, the mined tx_hash)
 * or `failed` (error: the decoded custom error, e.g. `ERC721InvalidReceiver(0x0…)`). The member
 * reads show mintStatus/tokenId/txHash from those columns.
 *
 * **A tick** (every `pollIntervalMs`, at once again while there is work; `tick()` for tests):
 * 1. Lease: one instance per minter key mints (`chain_minter_lease`, renewed each tick, released at
 *    stop, taken over when it expires), so several `worker` processes never race for nonces. Taking
 *    the lease recovers the nonce: max(chain's `pending` nonce, highest recorded nonce + 1), and
 *    marks every recorded, unmined transaction for re-broadcast.
 * 2. Follow open transactions (`mint_txs` submitted/mined): the receipt of any of its hashes
 *    (current + `previous_hashes`: any version may be the one mined).
 *    - mined and `confirmations` blocks deep: success → requests `confirmed`, token ids from the
 *      receipt's BadgeMinted logs (consecutive from firstTokenId in batch order, each checked
 *      against its request's recipient and achievement id); reverted → the transaction `failed`,
 *      its requests back to `pending` (simulated again before the next send, so one that reverts on
 *      its own is then dead-lettered with its decoded reason);
 *    - mined but not deep enough → `mined`; a receipt that disappears (reorg) → `submitted` again;
 *    - no receipt but the sender's nonce at (head − confirmations) is past it → another transaction
 *      used the nonce: requests back to `pending`;
 *    - no receipt for `replaceAfterMs` since the last broadcast → replaced: same nonce, data and gas,
 *      maxFeePerGas and maxPriorityFeePerGas raised ≥ `feeBumpPercent` (12.5 %; nodes refuse < 10 %)
 *      and at least to the market, never above the cap (then it waits and re-broadcasts as is).
 *    The receipts are read first; the resulting database work and replacements then run while the
 *    next batches are simulated (step 3), so node and database work overlap.
 * 3. Send new batches while fewer than `maxPendingTxs` are open: price fees from `eth_feeHistory`
 *    (next base fee × 2 + median of the 50th-percentile rewards, floor 0.1 gwei, clamped to
 *    `mintMaxFeeGwei`; when base fee + priority fee alone exceed the cap, wait — WARN, nothing sent);
 *    take the oldest pending requests, dead-letter the ones that cannot be encoded (bad address);
 *    simulate `mintBatch` with eth_estimateGas and split a batch estimated above `gasSafetyPercent`
 *    (90 %) of min(block gas limit, 2^24), bisect a reverting batch down to its bad requests (dead-
 *    lettered with the decoded error; the rest goes through); sign with gas = estimate × 110 %.
 *    Once a batch was estimated, the minter knows what a request costs at most (GasModel in
 *    plan-batches.ts): the next batches are simulated by one `eth_call` at that limit × 110 % and
 *    signed with it — an estimate runs the batch twice or more — and only a batch that call cannot
 *    settle (a revert, out of gas, no funds) goes the estimate's way above.
 *    **Record before broadcast**: the mint_txs row (nonce, hash, signed bytes, outbox ids) and the
 *    requests `submitted` in one transaction, only if every request is still `pending` and the lease
 *    is held. Then broadcast, one at a time (an automining node refuses concurrent nonces).
 *
 * **Crash safety.** A request is bound to one nonce at a time, and leaves it only when that nonce
 * is settled N blocks deep (mined with our receipt, or used by another transaction). A crash after
 * recording and before (or during) the broadcast leaves the signed bytes in mint_txs: the next
 * holder broadcasts them again (or finds the receipt). The same request is never in two unsettled
 * transactions, so it is never minted twice. Ambiguous send answers (`already known`, `nonce too
 * low`, `replacement underpriced`, timeouts) are never taken as failures.
 *
 * **Metrics**: `cb_mint_requests_pending` (pending + submitted requests), `cb_tx_pending` (open
 * transactions), `cb_minter_balance_wei` (sampled every 30 s), `cb_tx_confirmation_seconds`
 * (first broadcast → confirmed), `cb_tx_replacements_total`, `cb_mints_total{result}`, and what
 * shows a mint pipeline that stopped moving, which the confirmation histogram cannot (it only sees
 * transactions that confirm): `cb_mint_request_oldest_pending_seconds` (the request next in line,
 * since queued), `cb_tx_oldest_pending_seconds` (the oldest open transaction, since first sent),
 * `cb_minter_fees_above_cap`. The gauges are exported only by the instance holding the lease (a
 * standby or stopped minter removes them), and refreshed after a failed tick too; the alerts on
 * them are MintTransactionStuck, MintQueueStalled (stalled, or no minter at all), MintFeesAboveCap
 * and MinterBalanceLow (deploy/prometheus/rules/chain.yml).
 * **Logs** (`service: minter`): per confirmed request the seed's line — "Achievement unlocked
 * successfully", userId = member, context { achievementId, tokenId, transactionHash, blockNumber,
 * outboxId }, metrics { processingTime (ms since the unlock), retryCount } — in the unlock's trace
 * (its traceparent); per transaction "mint transaction sent / confirmed / replaced / reverted".
 *
 * **Throughput** (`bench/chain-mint.ts`): batches of 250 fresh holders cost 12.65M gas (50.6k a
 * badge); per batch the node runs one eth_call and the transaction, the minter signs (~2 keccaks of
 * 20 kB), writes two small transactions and reads one receipt raw (750 logs, topics only). The
 * minter waits on the node most of the time (its own process ~65 % idle, profiled on PostgreSQL).
 *
 * **Start-up checks** (`check()`, run by `start()`): RPC reachable, chain id = `chain.id`, contract
 * code at the badge address, `hasRole(MINTER_ROLE, account)`, chain nonce not behind mint_txs.
 * Codes in {@link MINTER_ERROR_CODES}.
 */
export { bumpFees, type Fees } from './bump-fees.ts';
export { createMinter } from './create-minter.ts';
export { MINTER_ERROR_CODES, MinterError, type MinterErrorCode } from './errors.ts';
export {
  type LoadMinterAccountOptions,
  type LoadMinterAccountParameters,
  loadMinterAccount,
} from './load-minter-account.ts';
export { hasMinterRole, MINTER_ROLE } from './minter-role.ts';
export { type FeePolicy, feesFromHistory, type PricedFees, priceFees } from './price-fees.ts';
export { shortReason } from './rpc-error-facts.ts';
export type {
  CreateMinterParameters,
  Minter,
  MinterOptions,
  MinterStatus,
  MinterTickResult,
} from './types.ts';
