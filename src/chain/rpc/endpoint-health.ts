/**
 * What the RPC pool reports about an endpoint, free of server imports: `GET /v1/ops/chain` returns
 * it and the console reads it (web/tsconfig.json includes this file).
 */

/** Circuit breaker state of one endpoint. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What {@link RpcPool.health} reports about one endpoint. Never holds a URL. */
export interface RpcEndpointHealth {
  name: string;
  /** How the endpoint is reached: http, ws, transport (a viem transport) or provider (EIP-1193). */
  kind: 'http' | 'ws' | 'transport' | 'provider';
  /** In rotation: circuit closed, not lagging, on the expected chain (= `cb_rpc_endpoint_up`). */
  up: boolean;
  circuit: CircuitState;
  /** EWMA of answered calls' latency in ms; `null` before the first answer. */
  latencyMs: number | null;
  /** EWMA (α 0.1) of the share of calls that failed at the transport level or timed out, 0-1. */
  errorRate: number;
  /** Transport failures in a row (the circuit opens at `failureThreshold`). */
  consecutiveFailures: number;
  /** Calls in flight now. */
  inFlight: number;
  /** Last block number the endpoint reported; `null` before the first. */
  headBlock: number | null;
  /** Best head among endpoints in rotation minus this one's head; `null` when unknown. */
  lagBlocks: number | null;
  /** Chain id the endpoint reported; `null` before it was asked, and from its circuit opening until it is asked again. */
  chainId: number | null;
  /** Why the last failed call failed (short, redacted, no URL); `null` when none failed yet. */
  lastError: string | null;
  /** When that was (ISO 8601). */
  lastErrorAt: string | null;
}
