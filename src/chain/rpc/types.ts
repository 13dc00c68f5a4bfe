/** Public types of the RPC pool. */
import type { Transport } from 'viem';
import type { Common } from '../../platform/common.ts';
import type { RpcEndpointHealth } from './endpoint-health.ts';

/** An endpoint reached by URL: `http(s)://` (JSON-RPC over HTTP POST) or `ws(s)://` (viem WebSocket). */
export interface RpcUrlEndpoint {
  /** Name in metrics, logs, errors and health (1-40 of a-z A-Z 0-9 _ -); the URL is never shown. */
  name: string;
  url: string;
}

/** An endpoint given as a viem transport (e.g. `custom(provider)`); the pool calls it with `retryCount: 0`. */
export interface RpcTransportEndpoint {
  name: string;
  transport: Transport;
}

/** An EIP-1193 `request` function, e.g. the in-process hardhat provider's (which has no URL). */
export type Eip1193Request = (args: {
  method: string;
  params?: readonly unknown[] | object;
}) => Promise<unknown>;

/** An endpoint given as an EIP-1193 `request` function. */
export interface RpcProviderEndpoint {
  name: string;
  request: Eip1193Request;
}

/** One JSON-RPC endpoint of the pool. */
export type RpcEndpoint = RpcUrlEndpoint | RpcTransportEndpoint | RpcProviderEndpoint;

/** One JSON-RPC call. */
export interface RpcRequestArguments {
  method: string;
  params?: readonly unknown[] | object | undefined;
}

export interface RpcRequestOptions {
  /** Aborts the call (and its retries); the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export type { CircuitState, RpcEndpointHealth } from './endpoint-health.ts';

/** Tuning of the pool; every field defaults from the configuration or a constant. */
export interface RpcPoolOptions {
  /**
   * Time one attempt may take before it counts as a timeout and the call moves on.
   * @defaultValue `config.rpcTimeoutMs` (5000)
   */
  timeoutMs?: number | undefined;
  /**
   * Hedged reads: a call of a read-only method (`HEDGED_METHODS`) whose attempt has not answered
   * after this long is sent to one more endpoint (not tried by the call, circuit closed, in sync) and
   * the first answer is taken; the slower attempt runs on in the background, its answer discarded.
   * 0 turns hedging off; a value not below the attempt timeout never hedges.
   * @defaultValue `config.rpcHedgeAfterMs` (1000)
   */
  hedgeAfterMs?: number | undefined;
  /**
   * An endpoint further than this behind the best head is used only when no other can serve.
   * @defaultValue `config.rpcMaxLagBlocks` (5)
   */
  maxLagBlocks?: number | undefined;
  /**
   * Chain id every endpoint must serve; endpoints are checked before their first use.
   * @defaultValue `config.chainId`, else the id agreed by {@link RpcPool.checkChainId}, else unchecked
   */
  expectedChainId?: number | undefined;
  /**
   * Interval of the head poll (`eth_blockNumber` on every endpoint) once {@link RpcPool.start} ran.
   * @defaultValue 2000
   */
  headPollIntervalMs?: number | undefined;
  /**
   * Attempts per call, across endpoints (1 = no retry).
   * @defaultValue 3
   */
  maxAttempts?: number | undefined;
  /**
   * Budget of one call, all attempts and backoff included; an attempt gets at most what is left.
   * @defaultValue 2 × timeoutMs
   */
  maxTotalMs?: number | undefined;
  /**
   * Backoff before the n-th retry: `min(retryMaxDelayMs, retryBaseDelayMs × 2^(n-1))`, half of it
   * random (jitter).
   * @defaultValue 50
   */
  retryBaseDelayMs?: number | undefined;
  /** @defaultValue 1000 */
  retryMaxDelayMs?: number | undefined;
  /**
   * Transport failures in a row after which an endpoint's circuit opens.
   * @defaultValue 3
   */
  failureThreshold?: number | undefined;
  /**
   * Time an open circuit waits before letting one probe call through (half-open).
   * @defaultValue 10000
   */
  cooldownMs?: number | undefined;
}

/** A pool of JSON-RPC endpoints of one chain. Built by `createRpcPool`. */
export interface RpcPool {
  /**
   * Sends one JSON-RPC call to a healthy endpoint, failing over and retrying on transport failures
   * and timeouts. Resolves with the `result`; rejects with {@link RpcResponseError} when the node
   * answered an error (returned as is, never retried elsewhere), `RpcUnavailableError`
   * (`CB_RPC_UNAVAILABLE`) when no endpoint answered, or the signal's reason when aborted.
   */
  request<T = unknown>(args: RpcRequestArguments, options?: RpcRequestOptions): Promise<T>;
  /** A viem transport over {@link RpcPool.request} for `createPublicClient`/`createWalletClient` (retries: the pool's). */
  readonly transport: Transport;
  /** One entry per endpoint, in the order given. */
  health(): RpcEndpointHealth[];
  /** Starts the head poll (idempotent; first round at once) and registers {@link RpcPool.stop} at shutdown. */
  start(): void;
  /** Stops the head poll, waits for a round in progress, closes WebSocket connections. Idempotent. */
  stop(): Promise<void>;
  /** One head-poll round now (what the timer does); resolves when every endpoint answered or failed. */
  pollHeads(): Promise<void>;
  /**
   * Asks every endpoint for `eth_chainId`. Resolves with the chain id when every answering endpoint
   * serves `expected` (default: `expectedChainId`; without one, the endpoints must agree); rejects
   * with `RpcWrongChainError` (`CB_RPC_WRONG_CHAIN`) naming the endpoint(s) otherwise, and with
   * `RpcUnavailableError` (`CB_RPC_UNAVAILABLE`) when none answers. Endpoints that did not answer
   * are logged and checked before their first use.
   */
  checkChainId(expected?: number): Promise<number>;
}

/** Parameters of `createRpcPool`. */
export interface CreateRpcPoolParameters {
  common: Common;
  /** At least one; names unique. Usually `config.rpcEndpoints`. */
  endpoints: readonly RpcEndpoint[];
  options?: RpcPoolOptions | undefined;
}
