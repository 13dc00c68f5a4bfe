/**
 * Errors of the RPC pool. Two families, split by what the caller should do:
 *
 * - {@link RpcResponseError}: the node answered the call with a JSON-RPC error (reverted, nonce too
 *   low, invalid params…). It carries the node's numeric `code`, `message` and `data` unchanged so
 *   that viem decodes it (revert reasons, `NonceTooLowError`…). Trying another endpoint would not help.
 * - Platform errors with a stable string code (`CB_RPC_*`): the pool itself could not serve the call.
 */
import { BaseError, UnavailableError } from '../../platform/errors.ts';

/** Stable codes of the pool's own errors (listed in `docs/errors.md`). */
export const RPC_ERROR_CODES = {
  /** No endpoint answered: all failed, timed out, lag or have an open circuit. Retryable. */
  unavailable: 'CB_RPC_UNAVAILABLE',
  /** An endpoint serves another chain than expected, or the endpoints disagree. Not retryable. */
  wrongChain: 'CB_RPC_WRONG_CHAIN',
  /** The endpoint list given to the pool is unusable (empty, duplicate or bad names, bad URL). */
  endpointsInvalid: 'CB_RPC_ENDPOINTS_INVALID',
} as const;

/** One endpoint's part in a failure: its name and why it did not serve (never its URL). */
export interface RpcEndpointFailure {
  endpoint: string;
  reason: string;
}

/**
 * The node answered with a JSON-RPC error object. `code`, `message` and `data` are the node's,
 * unchanged; `endpoint` names the endpoint that answered. Deliberately without a `cause`, so that
 * viem's `walk()` ends here and finds `data` (revert data).
 */
export class RpcResponseError extends Error {
  override name = 'RpcResponseError';
  /** The JSON-RPC error code (e.g. 3 or -32603 reverted, -32000 invalid input, -32602 bad params). */
  readonly code: number;
  /** The JSON-RPC error's `data`, as the node sent it. */
  readonly data: unknown;
  /** Name of the endpoint that answered. */
  readonly endpoint: string;

  constructor(options: { code: number; message: string; data?: unknown; endpoint: string }) {
    super(options.message);
    this.code = options.code;
    this.data = options.data;
    this.endpoint = options.endpoint;
  }
}

/** `CB_RPC_UNAVAILABLE`: every endpoint tried failed (or none could be tried). Retryable. */
export class RpcUnavailableError extends UnavailableError {
  override name = 'RpcUnavailableError';
  readonly endpoints: readonly RpcEndpointFailure[];

  constructor(method: string, endpoints: RpcEndpointFailure[], extra: Record<string, unknown> = {}) {
    const list = endpoints.map((e) => `${e.endpoint}: ${e.reason}`).join('; ');
    super(RPC_ERROR_CODES.unavailable, `${method}: no RPC endpoint answered (${list})`, {
      details: { method, endpoints, ...extra },
    });
    this.endpoints = endpoints;
  }
}

/** `CB_RPC_WRONG_CHAIN`: an endpoint serves another chain. Not retryable: fix `RPC_URLS` or `CB_CHAIN_ID`. */
export class RpcWrongChainError extends BaseError {
  override name = 'RpcWrongChainError';

  constructor(
    message: string,
    details: {
      expected: number | undefined;
      endpoints: { endpoint: string; chainId?: number; reason?: string }[];
    },
  ) {
    super(RPC_ERROR_CODES.wrongChain, message, { details, retryable: false });
  }
}

/** `CB_RPC_ENDPOINTS_INVALID`: the pool cannot be built from these endpoints. Not retryable. */
export class RpcEndpointsInvalidError extends BaseError {
  override name = 'RpcEndpointsInvalidError';

  constructor(message: string) {
    super(RPC_ERROR_CODES.endpointsInvalid, message, { retryable: false });
  }
}

/**
 * Internal: the endpoint could not be reached or did not answer in time (a failover reason).
 * `reason` is short and never holds a URL.
 */
export class TransportFailure extends Error {
  override name = 'TransportFailure';
  readonly kind: 'timeout' | 'unavailable';
  readonly reason: string;

  constructor(kind: 'timeout' | 'unavailable', reason: string) {
    super(reason);
    this.kind = kind;
    this.reason = reason;
  }
}
