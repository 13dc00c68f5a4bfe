/**
 * # RPC pool — the chain's JSON-RPC endpoints behind one `request`
 *
 * ```ts
 * const rpc = createRpcPool({ common, endpoints: common.config.rpcEndpoints });
 * await rpc.checkChainId();            // CB_RPC_WRONG_CHAIN / CB_RPC_UNAVAILABLE at boot
 * rpc.start();                         // head poll; stop() is registered at shutdown
 * const client = createPublicClient({ transport: rpc.transport });
 * ```
 *
 * Modelled on Ponder's `rpc/index.ts` (a factory taking `common`, per-endpoint buckets with
 * latency, a `request` that retries), with a circuit breaker, lag and chain-id checks added.
 *
 * **Endpoints.** `{ name, url }` (http(s): JSON-RPC POSTed with `fetch`; ws(s): viem's WebSocket
 * transport), `{ name, transport }` (any viem transport, called with `retryCount: 0`) or
 * `{ name, request }` (an EIP-1193 function, e.g. the in-process hardhat provider, which has no URL).
 * The name is what metrics, logs, errors and `health()` show. **A URL is never shown anywhere**:
 * they carry API keys in path or query, so failure reasons are built from status codes and error
 * codes, and anything else is scrubbed of URLs and passed through `redactString`.
 *
 * **What fails over, what does not.** Every outcome of an attempt is one of three:
 * - a result → returned;
 * - the node's JSON-RPC error object (`RpcResponseError`, with the node's numeric `code`, `message`,
 *   `data`) → returned to the caller at once, never retried elsewhere, and it counts as a healthy
 *   answer. viem decodes it (revert reasons, nonce errors). Over HTTP that is an `error` member in a
 *   2xx body, or in a 4xx body other than 401/402/403/404/405/408/413/429;
 * - a transport failure → the next attempt goes to another endpoint: connection refused/reset, DNS,
 *   HTTP 5xx/429/401/403/404/408/413 (body or not), a body that is not JSON-RPC, rate-limit codes in
 *   the body (429, -32007, -32005 whose message speaks of a rate/quota), no answer within
 *   `timeoutMs` (`rpcTimeoutMs`), an EIP-1193 "disconnected" (4900/4901).
 *
 * **Which endpoint.** A half-open endpoint takes the call as its probe (one at a time), so a
 * recovered endpoint rejoins promptly; that call pays at most one `timeoutMs` if the probe fails,
 * then fails over. Otherwise the candidates are the endpoints with a closed circuit, on the
 * expected chain, in tiers: not yet tried by this call and in sync → not tried and lagging → tried
 * and in sync → tried and lagging. "Lagging" is more than `rpcMaxLagBlocks` behind the best head
 * (the highest `eth_blockNumber` among closed endpoints, from the head poll and from callers'
 * `eth_blockNumber` calls): a lagging endpoint is used only when no in-sync one could serve. Within a
 * tier the choice is random, weighted by `1 / (latency EWMA × (in-flight + 1))`: load spreads over
 * all healthy endpoints, more to the faster and less busy ones, never all on one (a slow endpoint
 * keeps getting a share, so its latency stays measured).
 *
 * **Retries.** At most `maxAttempts` (3) attempts per call, each on the best endpoint by the rules
 * above (so a second attempt goes elsewhere when there is an elsewhere), with exponential backoff
 * (50 ms, 100 ms… ≤ 1 s, half of it random) between attempts, all within `maxTotalMs`
 * (2 × `timeoutMs`; an attempt's timeout is cut to what is left). When they are used up, or no
 * endpoint can be tried (all circuits open), the call fails with `CB_RPC_UNAVAILABLE` listing
 * every endpoint with its reason.
 *
 * **Hedged reads** (`hedgeAfterMs`, `CB_RPC_HEDGE_AFTER_MS`, default 1000 ms, 0 = off; "The Tail at
 * Scale"). Without them a hung endpoint — one that accepts the call and never answers — costs each
 * call sent to it the whole `timeoutMs` before it fails over, until its circuit opens. So when an
 * attempt of a read-only, idempotent method (`HEDGED_METHODS` in hedged-methods.ts: block numbers and
 * headers, `eth_call`, balances, code, nonces, receipts, fee data, `eth_estimateGas`…) has not
 * answered after `hedgeAfterMs`, the same call is also sent to one endpoint of the first tier above
 * (not tried by this call, circuit closed, in sync; none → no hedge), and the first result or node
 * JSON-RPC error is the call's. At most one hedge per attempt; it is one of the call's
 * `maxAttempts` and gets at most what is left of `maxTotalMs`. The slower attempt is not aborted: it
 * runs to its own answer or timeout in the background, so its endpoint's latency, failures and
 * circuit are counted exactly as without hedging (a hung endpoint still opens its circuit after
 * `failureThreshold` timeouts); its outcome is dropped. A transport failure of one leaves the call to
 * the other; when both fail, the call retries elsewhere as usual, as it does when the first attempt
 * fails before the delay. The caller's signal stops both. Never hedged: `eth_getLogs` (answers of
 * megabytes, slow because of the range more often than the node: a hedge would double the
 * provider's work for little gain) and anything that writes (`eth_sendRawTransaction`). A value not
 * below `timeoutMs` never hedges.
 *
 * **`eth_sendRawTransaction`.** Retried elsewhere on a transport failure or timeout like any call:
 * this is safe because the same signed bytes have the same hash and one nonce — the transaction
 * cannot be mined twice. A timeout is ambiguous (the first node may have received it), so the
 * caller (the minter) must treat these answers to a send as "maybe already sent", not as failure:
 * - `already known` / `known transaction` / `AlreadyKnown` → it is in a mempool: keep the locally
 *   computed hash (`keccak256(raw)`) and wait for its receipt;
 * - `nonce too low` → look for the receipt of *its own* hash first: if it is mined, the send
 *   succeeded; only if it is not was the nonce taken by another transaction (resync the nonce);
 * - `replacement transaction underpriced` → the same or an equivalent transaction is pending.
 * The pool does not rewrite these answers: they are the node's, unchanged.
 *
 * **Circuit breaker** (per endpoint): `failureThreshold` (3) transport failures in a row open it —
 * the endpoint is skipped; after `cooldownMs` (10 s) it is half-open and one call (or the head poll)
 * probes it; an answer closes it, a failure re-opens it for another cool-down.
 *
 * **Up** (`cb_rpc_endpoint_up`, `health().up`): circuit closed, not lagging, on the expected chain.
 * Down/up transitions (WARN/INFO) and circuit changes (WARN on open, INFO otherwise) are logged once
 * each by the `rpc` logger; single failed calls only at DEBUG (they are in the metrics).
 *
 * **Chain id.** `checkChainId()` asks every endpoint; once the chain id is known (from it or from
 * `CB_CHAIN_ID`), an endpoint not yet checked — absent at boot, or back after its circuit opened —
 * is asked `eth_chainId` before its first call, and one on another chain is taken out of the pool
 * (ERROR log, down) until the process restarts.
 *
 * **Metrics** (declared in `platform/metrics.ts`): `cb_rpc_request_duration_seconds{endpoint,method}`
 * and `cb_rpc_requests_total{endpoint,result}` per attempt (result: ok, error = the node answered an
 * error, timeout, unavailable = transport failure; an endpoint skipped for an open circuit counts
 * one `unavailable` when a call fails for want of endpoints); `method` is the JSON-RPC method, or
 * `other` when it does not look like `ns_method`. `cb_rpc_hedges_total{endpoint,result}` per hedge
 * sent (endpoint: the one it went to; result: won = the call's answer came from it, lost = the first
 * attempt's did, or neither answered). `cb_rpc_endpoint_up{endpoint}`, and
 * `cb_chain_head_block` = the best head.
 *
 * **Batches.** Over HTTP, calls of small read-only methods (block headers, eth_call, balances…)
 * that reach one endpoint in the same turn of the event loop go out as one JSON-RPC batch; each
 * call keeps its own attempt, metrics, deadline and failover. An endpoint that refuses batches is
 * sent single calls from then on. See connect-endpoint.ts.
 *
 * Not supported: subscriptions (`eth_subscribe`) — the listener polls.
 */
export { createRpcPool } from './create-rpc-pool.ts';
export {
  RPC_ERROR_CODES,
  type RpcEndpointFailure,
  RpcEndpointsInvalidError,
  RpcResponseError,
  RpcUnavailableError,
  RpcWrongChainError,
} from './errors.ts';
export type {
  CircuitState,
  CreateRpcPoolParameters,
  Eip1193Request,
  RpcEndpoint,
  RpcEndpointHealth,
  RpcPool,
  RpcPoolOptions,
  RpcProviderEndpoint,
  RpcRequestArguments,
  RpcRequestOptions,
  RpcTransportEndpoint,
  RpcUrlEndpoint,
} from './types.ts';
