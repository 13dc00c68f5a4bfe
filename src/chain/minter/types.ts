/** Public types of the minter. */
import type { Address, Chain, LocalAccount, Transport } from 'viem';
import type { Common } from '../../platform/common.ts';
import type { Db } from '../../platform/db/create-db.ts';

/** Tuning of the minter; every field defaults from the configuration or a constant. */
export interface MinterOptions {
  /** Requests per transaction before gas splitting. @defaultValue `config.mintBatchSize` (200) */
  batchSize?: number | undefined;
  /** Blocks on top of a transaction's block before it is final. @defaultValue `config.chainConfirmations` (2) */
  confirmations?: number | undefined;
  /** Pause between ticks when there was nothing to do, in ms. @defaultValue `config.chainPollIntervalMs` (1000) */
  pollIntervalMs?: number | undefined;
  /** A transaction not mined this long after its last broadcast is replaced, in ms. @defaultValue `config.mintReplaceAfterMs` (60000) */
  replaceAfterMs?: number | undefined;
  /** Highest maxFeePerGas ever signed, in wei. @defaultValue `config.mintMaxFeeGwei` × 10⁹ */
  maxFeePerGas?: bigint | undefined;
  /** Transactions sent and not yet final at most; new batches wait beyond. @defaultValue 8 */
  maxPendingTxs?: number | undefined;
  /** Per-transaction gas cap of the chain (EIP-7825). @defaultValue 16777216 (2^24) */
  maxTxGas?: bigint | undefined;
  /** A batch must estimate under this % of min(block gas limit, maxTxGas), else it is split. @defaultValue 90 */
  gasSafetyPercent?: number | undefined;
  /** Gas limit signed = estimate × this % (at most maxTxGas). @defaultValue 110 */
  gasLimitPercent?: number | undefined;
  /** Replacement fee bump, in % of the previous fees (at least 10: nodes refuse less). @defaultValue 12.5 */
  feeBumpPercent?: number | undefined;
  /** maxFeePerGas = next base fee × this + priority fee. @defaultValue 2 */
  baseFeeMultiplier?: number | undefined;
  /** Priority fee = this percentile of recent blocks' rewards. @defaultValue 50 */
  priorityFeePercentile?: number | undefined;
  /** Blocks of eth_feeHistory considered. @defaultValue 10 */
  feeHistoryBlocks?: number | undefined;
  /** Lowest priority fee, in wei. @defaultValue 100000000 (0.1 gwei) */
  minPriorityFeePerGas?: bigint | undefined;
  /** Transactions a request may ride in (reverted, or nonce taken) before it is dead-lettered. @defaultValue 3 */
  maxAttempts?: number | undefined;
  /** Lifetime of the sender lease, renewed every tick; a crashed holder is taken over after it. @defaultValue max(30000, 10 × pollIntervalMs) */
  leaseMs?: number | undefined;
  /** How often cb_mint_requests_pending and cb_tx_pending are refreshed, in ms (0: every tick). @defaultValue 5000 */
  gaugeIntervalMs?: number | undefined;
  /** How often cb_minter_balance_wei is sampled, in ms (0: every tick). @defaultValue 30000 */
  balanceIntervalMs?: number | undefined;
}

export interface CreateMinterParameters {
  common: Common;
  db: Db;
  /** JSON-RPC transport: the RPC pool's `pool.transport`, or a dev chain's `transport`. */
  transport: Transport;
  /** The chain; its `id` is checked against the node's eth_chainId at start. */
  chain: Chain;
  badgeAddress: Address;
  /** The signer (see `loadMinterAccount`); must hold MINTER_ROLE. */
  account: LocalAccount;
  options?: MinterOptions | undefined;
}

/** What one tick did. */
export interface MinterTickResult {
  /** Another instance holds this sender's lease: this one did nothing. */
  standby: boolean;
  /** New transactions broadcast. */
  sentTxs: number;
  /** Requests in those transactions. */
  submittedMints: number;
  /** Transactions replaced with higher fees. */
  replacedTxs: number;
  /** Requests confirmed (token id known, N blocks deep). */
  confirmedMints: number;
  /** Requests dead-lettered (status `failed`). */
  failedMints: number;
  /** The fee market is above the cap: new batches wait. */
  waitingForFees: boolean;
  /**
   * Minting is paused (`cb pause minting`): nothing new was signed — no batch, no replacement;
   * receipts were still followed.
   */
  paused: boolean;
}

export interface MinterStatus {
  account: Address;
  /** Holds the sender lease (is the active minter). */
  active: boolean;
  /** Next nonce to sign; undefined until the lease is taken. */
  nextNonce: number | undefined;
  waitingForFees: boolean;
  /** ISO time of the last finished tick. */
  lastTickAt: string | undefined;
  /** The last tick's error (short, no URL), until a tick succeeds. */
  lastError: string | undefined;
  /** The account's balance in wei as last sampled (every balanceIntervalMs), and when. */
  balanceWei: bigint | undefined;
  balanceAt: string | undefined;
}

export interface Minter {
  /**
   * Start-up checks, each failing with one clear line: RPC reachable, chain id, contract code at
   * the badge address, MINTER_ROLE, nonce not behind the records. Logs a WARN for a zero balance.
   * @throws MinterError (see MINTER_ERROR_CODES)
   */
  check(): Promise<void>;
  /** `check()`, then ticks every `pollIntervalMs` (at once while there is work); registers `stop` at shutdown. */
  start(): Promise<void>;
  /** Ends the loop after the running tick and gives up the lease. Idempotent. */
  stop(): Promise<void>;
  /** One round: follow open transactions (confirm, fail, replace), then send new batches. Single-flight. */
  tick(): Promise<MinterTickResult>;
  status(): MinterStatus;
}
