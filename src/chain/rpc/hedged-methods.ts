/**
 * The JSON-RPC methods whose calls the pool may hedge (send to a second endpoint when the first is
 * slow to answer, and take the first answer): read-only, idempotent and with small answers, so
 * that sending one twice changes nothing on the chain and costs the provider little.
 *
 * Deliberately absent:
 * - `eth_sendRawTransaction` and anything else that writes or holds state in the node (filters,
 *   subscriptions, `eth_sign*`, `hardhat_*`/`evm_*`): a write must reach a node once per attempt,
 *   and its timeout already has its own rules (see `./index.ts`);
 * - `eth_getLogs`: its answers can be megabytes, and what makes it slow is usually the range, not a
 *   hung node — a hedge would double the provider's work (and the bill) on every merely slow call
 *   for little gain; the listener runs its ranges `CB_LISTENER_CONCURRENCY` at a time and fails a
 *   chunk over on a timeout as before.
 */
export const HEDGED_METHODS: ReadonlySet<string> = new Set([
  'eth_blockNumber',
  'eth_chainId',
  'net_version',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_call',
  'eth_estimateGas',
  'eth_getBalance',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_getTransactionCount',
  'eth_getTransactionReceipt',
  'eth_getTransactionByHash',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
]);
