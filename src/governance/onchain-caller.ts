/**
 * The seam to the chain for `onchain_call` proposals. The chain module implements it (an executor
 * account sending through the RPC pool); tests use the dev chain.
 */
import type { Address, Hex } from 'viem';

export interface OnchainCall {
  to: Address;
  data: Hex;
  /** Wei. */
  value: bigint;
}

export interface OnchainCallResult {
  txHash: Hex;
  /** The receipt's status: `reverted` fails the execution (it can be retried). */
  status: 'success' | 'reverted';
  blockNumber?: bigint | undefined;
}

export interface OnchainCaller {
  /** Sends the call from the executor account and waits for its receipt. Throws when it could not be sent. */
  call(call: OnchainCall): Promise<OnchainCallResult>;
  /**
   * Dry run at the latest block (`eth_call` from the executor). Throws when the call would revert
   * (a viem revert error, or the node's error answer saying so): the proposal is then refused at
   * creation. When no node answers it throws the transport's error (viem's HttpRequestError,
   * TimeoutError…, or an UnavailableError such as the RPC pool's): the creation then fails with a
   * retryable 503 rather than refusing the proposal. See dry-run-failure.ts.
   */
  simulate?(call: OnchainCall): Promise<void>;
}
