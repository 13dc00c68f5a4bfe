/**
 * One endpoint's wire: sends a single JSON-RPC call with a deadline and sorts every outcome into
 * exactly one of three kinds, which is what the pool's failover rests on:
 *
 * - a result;
 * - {@link RpcResponseError}: the node answered with a JSON-RPC error object (an *application*
 *   error: reverted, nonce too low, invalid params…) — never a failover reason;
 * - {@link TransportFailure}: no usable answer — connection refused/reset, DNS, HTTP 5xx/429/401/403/
 *   404/408/413, a body that is not JSON-RPC, a rate-limit code, or no answer within the deadline.
 *
 * Over HTTP the pool speaks JSON-RPC with `fetch` itself rather than through viem's `http()`: the
 * HTTP status and the body are then both in hand when classifying, and no error text can carry the
 * URL (viem's errors print it, and RPC URLs carry API keys).
 *
 * **Batches (HTTP).** Calls of the small read-only methods in {@link BATCHED_METHODS} sent together
 * (in the same turn of the event loop, e.g. the headers of a range's blocks) go out as one JSON-RPC
 * batch of at most {@link MAX_BATCH} calls: one HTTP request and one answer instead of one per call,
 * which is most of a node's work for a header and a round trip each against a remote provider. A
 * lone call goes out on its own, as before. Each call keeps its own deadline and outcome (an
 * element's error object is that call's answer). An endpoint that refuses batches (an answer that
 * is not an array, or an array answering none of the calls: JSON-RPC "batch not supported",
 * HTTP 400/413…) gets the calls again one by one, and no batch again until the process restarts; a
 * failure of the request itself (no answer, 429, 5xx, 401…) is every call's transport failure, as
 * it would be for each alone.
 */
import { webSocket } from 'viem';
import { chunks } from '../../platform/chunks.ts';
import { RpcResponseError, TransportFailure } from './errors.ts';
import { describeFailure, networkCode, scrubUrls } from './safe-reason.ts';
import type { Eip1193Request, RpcEndpoint, RpcEndpointHealth, RpcRequestArguments } from './types.ts';

export interface SendOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** The wire of one endpoint. */
export interface EndpointConnection {
  readonly kind: RpcEndpointHealth['kind'];
  /**
   * Sends one call. Rejects with `RpcResponseError`, `TransportFailure`, or the signal's reason
   * when the caller aborted.
   */
  send(args: RpcRequestArguments, options: SendOptions): Promise<unknown>;
  /** Releases connections (WebSocket); the connection stays usable and reconnects when used. */
  close(): Promise<void>;
}

/**
 * HTTP statuses that say something about the endpoint, not the call, even when the body carries a
 * JSON-RPC error (auth, wrong path, gateway timeout, size limit, rate limit).
 */
const ENDPOINT_STATUSES = new Set([401, 402, 403, 404, 405, 408, 413, 429]);
/** Provider said "disconnected" (EIP-1193) or viem's catch-all for a non-RPC failure. */
const TRANSPORT_CODES = new Set([-1, 4900, 4901]);
/** JSON-RPC codes providers use for rate limiting (429 in a 200 body; QuickNode's -32007). */
const RATE_LIMIT_CODES = new Set([429, -32007]);
/** -32005 is "limit exceeded": a rate limit when the message says so, else about this call (log range). */
const RATE_LIMIT_MESSAGE =
  /too many requests|rate.?limit|(request|daily|credits?|quota|capacity|throughput)\b.{0,30}\b(limit|exceeded|reached)/i;

interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface ConnectOptions {
  /** Called once when an HTTP endpoint refuses a JSON-RPC batch (it gets single calls from then on). */
  onBatchesRefused?: (() => void) | undefined;
}

/** Connects (lazily) to one endpoint of the pool. */
export function connectEndpoint(endpoint: RpcEndpoint, options: ConnectOptions = {}): EndpointConnection {
  if ('url' in endpoint) {
    const protocol = safeProtocol(endpoint.url);
    if (protocol === 'http:' || protocol === 'https:')
      return connectHttp(endpoint.name, endpoint.url, options.onBatchesRefused);
    return connectWebSocket(endpoint.name, endpoint.url);
  }
  if ('transport' in endpoint) {
    const { request } = endpoint.transport({ retryCount: 0 });
    return connectRequest(endpoint.name, request as Eip1193Request, 'transport');
  }
  return connectRequest(endpoint.name, endpoint.request, 'provider');
}

/** The URL's protocol, or undefined when it does not parse (the message must not echo the URL). */
export function safeProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

/**
 * Methods whose calls are batched over HTTP when sent together: read-only, small answers, no state
 * in the node that a batch could reorder (a send or a filter is never batched).
 */
export const BATCHED_METHODS: ReadonlySet<string> = new Set([
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_call',
  'eth_getBalance',
  'eth_getCode',
  'eth_getTransactionCount',
  'eth_getStorageAt',
]);
/** Calls per JSON-RPC batch at most (Alchemy takes 1,000, most providers at least 100). */
export const MAX_BATCH = 100;

interface QueuedCall {
  id: number;
  args: RpcRequestArguments;
  timeoutMs: number;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

function connectHttp(name: string, url: string, onBatchesRefused?: () => void): EndpointConnection {
  // fetch refuses URLs with credentials: move them into a Basic Authorization header.
  const parsed = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  const target = parsed.toString();
  const urls = [url, target];
  let nextId = 1;
  let batchesRefused = false;
  let queue: QueuedCall[] = [];

  const post = async (body: string, signal: AbortSignal): Promise<{ status: number; text: string }> => {
    const response = await fetch(target, { method: 'POST', headers, body, signal });
    return { status: response.status, text: await response.text() };
  };
  const failure = (error: unknown): Error => {
    if (error instanceof RpcResponseError || error instanceof TransportFailure) return error;
    return new TransportFailure('unavailable', fetchFailureReason(error, urls));
  };
  const callBody = (id: number, args: RpcRequestArguments) => ({
    jsonrpc: '2.0',
    id,
    method: args.method,
    params: args.params ?? [],
  });
  const single = (args: RpcRequestArguments, options: SendOptions): Promise<unknown> => {
    const body = JSON.stringify(callBody(nextId++, args));
    return withDeadline(
      options,
      async (signal) => {
        const { status, text } = await post(body, signal);
        return parseHttpAnswer(name, status, text);
      },
      failure,
    );
  };

  /** Sends one batch; settles each of its calls. */
  const sendBatch = async (calls: QueuedCall[]): Promise<void> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(...calls.map((c) => c.timeoutMs)));
    let answer: { status: number; text: string };
    try {
      answer = await post(JSON.stringify(calls.map((c) => callBody(c.id, c.args))), controller.signal);
    } catch (error) {
      const reason = controller.signal.aborted
        ? new TransportFailure('timeout', 'no answer to the batch within the deadline')
        : failure(error);
      for (const c of calls) c.reject(reason);
      return;
    } finally {
      clearTimeout(timer);
    }
    const body = parseJson(answer.text);
    // Answers by id (as text: a proxy may echo ids as strings).
    const byId = new Map<string, unknown>();
    if (Array.isArray(body))
      for (const element of body) if (isRecord(element)) byId.set(String(element.id), element);
    const answered = calls.filter((c) => byId.has(String(c.id))).length;
    if ((!Array.isArray(body) || answered === 0) && refusesBatches(answer.status)) {
      // Not an endpoint failure: it does not take batches (a single error, or an array of errors
      // without our ids). One by one from now on.
      if (!batchesRefused) onBatchesRefused?.();
      batchesRefused = true;
      for (const c of calls) single(c.args, { timeoutMs: c.timeoutMs }).then(c.resolve, c.reject);
      return;
    }
    if (!Array.isArray(body)) {
      let reason: unknown = new TransportFailure('unavailable', 'a batch answered by a single response');
      try {
        sortAnswer(name, answer.status, body);
      } catch (error) {
        reason = error;
      }
      for (const c of calls) c.reject(reason);
      return;
    }
    for (const c of calls) {
      const element = byId.get(String(c.id));
      if (element === undefined) {
        c.reject(new TransportFailure('unavailable', 'the batch answer has no response for a call'));
        continue;
      }
      try {
        c.resolve(sortAnswer(name, answer.status, element));
      } catch (error) {
        c.reject(error);
      }
    }
  };

  const flush = () => {
    const calls = queue;
    queue = [];
    for (const part of chunks(calls, MAX_BATCH)) {
      if (part.length === 1) {
        const c = part[0]!;
        single(c.args, { timeoutMs: c.timeoutMs }).then(c.resolve, c.reject);
      } else void sendBatch(part);
    }
  };

  return {
    kind: 'http',
    send(args, options) {
      if (batchesRefused || !BATCHED_METHODS.has(args.method)) return single(args, options);
      return withDeadline(
        options,
        () =>
          new Promise((resolve, reject) => {
            // Everything queued in this turn of the event loop goes out together.
            if (queue.length === 0) setImmediate(flush);
            queue.push({ id: nextId++, args, timeoutMs: options.timeoutMs, resolve, reject });
          }),
        failure,
      );
    },
    close: async () => {},
  };
}

/**
 * Whether an answer to a batch that is not an array says "no batches here" (a 2xx or a 4xx about
 * the request, e.g. JSON-RPC "batch not supported", 400, 413) rather than the endpoint's trouble
 * (429, 5xx, auth, wrong path), which is every call's transport failure.
 */
function refusesBatches(status: number): boolean {
  if (status >= 200 && status < 300) return true;
  return status >= 400 && status < 500 && (status === 413 || !ENDPOINT_STATUSES.has(status));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * undici says only "fetch failed"; the cause says why: a network error code (`ECONNREFUSED`,
 * `ENOTFOUND`…) or a message ("bad port" for ports fetch refuses to use).
 */
function fetchFailureReason(error: unknown, urls: readonly string[]): string {
  const code = networkCode(error);
  if (code) return `connection failed (${code})`;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (error instanceof TypeError && cause instanceof Error)
    return scrubUrls(`${error.message}: ${cause.message}`, urls);
  return describeFailure(error, urls);
}

/**
 * Sorts an HTTP answer. A JSON-RPC error object is the node's answer when the status is 2xx, or a
 * 4xx that is about the call (400, 422…) — some gateways send "invalid params" as 400. Everything
 * else that is not a `result` is a transport failure.
 */
export function parseHttpAnswer(name: string, status: number, text: string): unknown {
  return sortAnswer(name, status, parseJson(text));
}

/** {@link parseHttpAnswer} of a parsed body (or of one element of a batch's answer). */
function sortAnswer(name: string, status: number, body: unknown): unknown {
  const ok = status >= 200 && status < 300;
  const rpcError = isRecord(body) ? jsonRpcErrorObject(body.error) : undefined;
  if (rpcError) {
    const aboutTheCall = ok || (status >= 400 && status < 500 && !ENDPOINT_STATUSES.has(status));
    if (aboutTheCall && !isRateLimit(rpcError)) throw new RpcResponseError({ ...rpcError, endpoint: name });
    throw new TransportFailure(
      'unavailable',
      ok ? `rate limited (JSON-RPC ${rpcError.code})` : `HTTP ${status} (JSON-RPC ${rpcError.code})`,
    );
  }
  if (!ok) throw new TransportFailure('unavailable', `HTTP ${status}`);
  if (isRecord(body) && 'result' in body) return body.result;
  throw new TransportFailure(
    'unavailable',
    body === undefined ? `HTTP ${status} with a body that is not JSON` : 'answer is not a JSON-RPC response',
  );
}

function connectWebSocket(name: string, url: string): EndpointConnection {
  // viem's own reconnect gives up for good after a few attempts and prints to the console; the
  // pool's circuit breaker decides when to try again, so a failure drops the socket instead and
  // the next call opens a new one.
  const transport = webSocket(url, { retryCount: 0, reconnect: false, keepAlive: false })({ retryCount: 0 });
  const request = transport.request as unknown as Eip1193Request;
  const urls = [url];
  let used = false;

  const drop = async () => {
    try {
      const client = await Promise.race([
        transport.value?.getRpcClient(),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
      ]);
      client?.close();
    } catch {
      // no socket to close
    }
  };

  const wire = connectRequest(name, request, 'ws', urls);
  return {
    kind: 'ws',
    async send(args, options) {
      used = true;
      try {
        return await wire.send(args, options);
      } catch (error) {
        if (error instanceof TransportFailure) void drop();
        throw error;
      }
    },
    close: async () => {
      if (used) await drop();
    },
  };
}

function connectRequest(
  name: string,
  request: Eip1193Request,
  kind: EndpointConnection['kind'],
  urls: readonly string[] = [],
): EndpointConnection {
  return {
    kind,
    send(args, options) {
      const payload =
        args.params === undefined ? { method: args.method } : { method: args.method, params: args.params };
      return withDeadline(
        options,
        () => request(payload),
        (error) => classifyThrown(name, error, urls),
      );
    },
    close: async () => {},
  };
}

/** Sorts what an EIP-1193 `request` (or a viem transport) threw. */
export function classifyThrown(name: string, error: unknown, urls: readonly string[] = []): Error {
  if (error instanceof RpcResponseError || error instanceof TransportFailure) return error;
  if (error instanceof Error && error.name === 'TimeoutError')
    return new TransportFailure('timeout', scrubUrls(`timed out: ${describeFailure(error, urls)}`));
  const rpcError = deepestJsonRpcError(error);
  if (rpcError && !TRANSPORT_CODES.has(rpcError.code) && !isRateLimit(rpcError))
    return new RpcResponseError({ ...rpcError, endpoint: name });
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return new TransportFailure('unavailable', `HTTP ${status}`);
  return new TransportFailure('unavailable', describeFailure(error, urls));
}

/**
 * viem wraps a node's error several times (`InvalidInputRpcError` → `RpcRequestError` → the raw
 * `{ code, message, data }`): the deepest JSON-RPC-shaped object in the `cause` chain is the
 * node's own answer.
 */
function deepestJsonRpcError(error: unknown): JsonRpcErrorObject | undefined {
  let found: JsonRpcErrorObject | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 8 && isRecord(current); depth++) {
    found = jsonRpcErrorObject(current) ?? found;
    current = current.cause;
  }
  return found;
}

function jsonRpcErrorObject(value: unknown): JsonRpcErrorObject | undefined {
  if (!isRecord(value) || typeof value.code !== 'number' || !Number.isInteger(value.code)) return undefined;
  const message = typeof value.message === 'string' ? value.message : '';
  return 'data' in value && value.data !== undefined
    ? { code: value.code, message, data: value.data }
    : { code: value.code, message };
}

function isRateLimit(error: JsonRpcErrorObject): boolean {
  return (
    RATE_LIMIT_CODES.has(error.code) || (error.code === -32005 && RATE_LIMIT_MESSAGE.test(error.message))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Runs `run` under a deadline and the caller's signal. Returns as soon as either fires, even when
 * the underlying call cannot be cancelled (an in-process provider): its late outcome is ignored.
 */
async function withDeadline<T>(
  options: SendOptions,
  run: (signal: AbortSignal) => Promise<T>,
  classify: (error: unknown) => Error,
): Promise<T> {
  const { timeoutMs, signal } = options;
  signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  let stop!: (reason: unknown) => void;
  const stopped = new Promise<never>((_resolve, reject) => {
    stop = reject;
  });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
    stop(undefined);
  }, timeoutMs);
  const onAbort = () => {
    controller.abort();
    stop(undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const work = run(controller.signal);
    work.catch(() => {});
    return await Promise.race([work, stopped]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timedOut) throw new TransportFailure('timeout', `no answer within ${timeoutMs} ms`);
    throw classify(error);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
