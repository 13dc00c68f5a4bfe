/**
 * `createRpcPool`: the chain's JSON-RPC endpoints behind one `request` function. The rules it
 * follows (selection, failover, retries, circuit breaker, lag, chain id) are described in
 * `./index.ts`; this file is their implementation.
 */
import { custom } from 'viem';
import { backoffDelayMs } from './backoff.ts';
import { type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.ts';
import { connectEndpoint, type EndpointConnection, safeProtocol } from './connect-endpoint.ts';
import {
  type RpcEndpointFailure,
  RpcEndpointsInvalidError,
  RpcResponseError,
  RpcUnavailableError,
  RpcWrongChainError,
  TransportFailure,
} from './errors.ts';
import { HEDGED_METHODS } from './hedged-methods.ts';
import { methodLabel } from './method-label.ts';
import { raceWithHedge } from './race-with-hedge.ts';
import { describeFailure, scrubUrls } from './safe-reason.ts';
import type {
  CircuitState,
  CreateRpcPoolParameters,
  RpcEndpoint,
  RpcEndpointHealth,
  RpcPool,
  RpcRequestArguments,
  RpcRequestOptions,
} from './types.ts';

const NAME = /^[a-zA-Z0-9_-]{1,40}$/;
/** Weight of the newest latency sample in the latency EWMA. */
const LATENCY_ALPHA = 0.2;
/** Weight of the newest outcome in the error-rate EWMA (≈ the last 10-20 calls). */
const ERROR_ALPHA = 0.1;
/** Latency assumed for an endpoint not measured yet when no other is either. */
const UNMEASURED_LATENCY_MS = 50;

interface EndpointState {
  readonly name: string;
  readonly connection: EndpointConnection;
  readonly breaker: CircuitBreaker;
  inFlight: number;
  latencyMs: number | undefined;
  errorRate: number;
  head: number | undefined;
  chainId: number | undefined;
  /** Serves another chain than expected: out of the pool until the process restarts. */
  wrongChain: boolean;
  verifying: Promise<void> | undefined;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  /** Last published `cb_rpc_endpoint_up`. */
  up: boolean;
  lagging: boolean;
}

/**
 * Builds the pool over `endpoints` (usually `config.rpcEndpoints`). Nothing is sent until the first
 * call, {@link RpcPool.start} or {@link RpcPool.checkChainId}.
 * @throws RpcEndpointsInvalidError (`CB_RPC_ENDPOINTS_INVALID`) when the list is empty, a name is
 *   bad or repeated, or a URL is not http(s)/ws(s).
 */
export function createRpcPool({ common, endpoints, options = {} }: CreateRpcPoolParameters): RpcPool {
  validateEndpoints(endpoints);
  const { config, metrics } = common;
  const log = common.logger.child('rpc');
  const timeoutMs = options.timeoutMs ?? config.rpcTimeoutMs;
  const hedgeAfterMs = options.hedgeAfterMs ?? config.rpcHedgeAfterMs;
  const maxLagBlocks = options.maxLagBlocks ?? config.rpcMaxLagBlocks;
  const headPollIntervalMs = options.headPollIntervalMs ?? 2000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const maxTotalMs = options.maxTotalMs ?? 2 * timeoutMs;
  const backoff = { baseMs: options.retryBaseDelayMs ?? 50, maxMs: options.retryMaxDelayMs ?? 1000 };
  const failureThreshold = Math.max(1, options.failureThreshold ?? 3);
  const cooldownMs = options.cooldownMs ?? 10_000;
  let expectedChainId = options.expectedChainId ?? config.chainId;
  let bestHead: number | undefined;

  const states: EndpointState[] = endpoints.map((endpoint) => {
    const name = endpoint.name;
    const state: EndpointState = {
      name,
      connection: connectEndpoint(endpoint, {
        onBatchesRefused: () =>
          log.warn(`rpc endpoint ${name} does not take JSON-RPC batches; it gets single calls from now on`, {
            context: { endpoint: name },
          }),
      }),
      breaker: createCircuitBreaker({
        threshold: failureThreshold,
        cooldownMs,
        onChange: (from, to) => onCircuitChange(state, from, to),
      }),
      inFlight: 0,
      latencyMs: undefined,
      errorRate: 0,
      head: undefined,
      chainId: undefined,
      wrongChain: false,
      verifying: undefined,
      lastError: undefined,
      lastErrorAt: undefined,
      up: true,
      lagging: false,
    };
    metrics.rpcEndpointUp.set({ endpoint: name }, 1);
    return state;
  });

  function onCircuitChange(s: EndpointState, from: CircuitState, to: CircuitState): void {
    const context = { endpoint: s.name, from, to, lastError: s.lastError ?? null };
    if (to === 'open') {
      // The node behind the name may be replaced while it is away: check its chain again (the
      // half-open probe does it first).
      s.chainId = undefined;
      log.warn(`rpc endpoint ${s.name}: circuit opened, skipped for ${cooldownMs} ms`, {
        context,
        metrics: { consecutiveFailures: s.breaker.consecutiveFailures, cooldownMs },
      });
    } else if (to === 'half-open') {
      log.info(`rpc endpoint ${s.name}: circuit half-open, next call is a probe`, { context });
    } else {
      log.info(`rpc endpoint ${s.name}: circuit closed`, { context });
    }
  }

  function lagOf(s: EndpointState): number | undefined {
    return bestHead === undefined || s.head === undefined ? undefined : Math.max(0, bestHead - s.head);
  }

  function downReason(s: EndpointState): string {
    if (s.wrongChain) return `serves chain ${s.chainId}, expected ${expectedChainId}`;
    const circuit = s.breaker.state;
    if (circuit !== 'closed')
      return `circuit ${circuit} after ${s.breaker.consecutiveFailures} failures (last: ${s.lastError ?? 'none'})`;
    if (s.lagging) return `${lagOf(s)} blocks behind the best head (more than ${maxLagBlocks})`;
    return 'up';
  }

  /** Recomputes the best head, lag and up of every endpoint; logs and publishes transitions. */
  function refresh(): void {
    let best: number | undefined;
    for (const s of states) {
      if (s.head === undefined || s.wrongChain || s.breaker.state !== 'closed') continue;
      if (best === undefined || s.head > best) best = s.head;
    }
    if (best !== undefined && best !== bestHead) {
      bestHead = best;
      metrics.chainHeadBlock.set(best);
    }
    for (const s of states) {
      const lag = lagOf(s);
      s.lagging = lag !== undefined && lag > maxLagBlocks;
      const up = !s.wrongChain && !s.lagging && s.breaker.state === 'closed';
      if (up === s.up) continue;
      s.up = up;
      metrics.rpcEndpointUp.set({ endpoint: s.name }, up ? 1 : 0);
      if (up) log.info(`rpc endpoint ${s.name} is up`, { context: { endpoint: s.name } });
      else
        log.warn(`rpc endpoint ${s.name} is down: ${downReason(s)}`, {
          context: { endpoint: s.name, reason: downReason(s) },
          metrics: lag === undefined ? {} : { lagBlocks: lag },
        });
    }
  }

  /**
   * Chooses the endpoint of the next attempt (and claims it: the probe slot when half-open).
   * A half-open endpoint gets the call as its probe, so a recovered endpoint rejoins at once.
   * Otherwise, among closed circuits, in order: not tried by this call and in sync; not tried and
   * lagging; tried and in sync; tried and lagging — weighted within a tier by inverse latency ×
   * in-flight calls.
   */
  function pick(tried: ReadonlySet<EndpointState>): EndpointState | undefined {
    refresh();
    const usable = states.filter((s) => !s.wrongChain && s.breaker.canPass());
    for (const s of usable) {
      if (!tried.has(s) && s.breaker.state === 'half-open' && s.breaker.tryAcquire()) return s;
    }
    const closed = usable.filter((s) => s.breaker.state === 'closed');
    const tiers = [
      untriedInSync(closed, tried),
      closed.filter((s) => !tried.has(s) && s.lagging),
      closed.filter((s) => tried.has(s) && !s.lagging),
      closed.filter((s) => tried.has(s) && s.lagging),
    ];
    for (const tier of tiers) {
      if (tier.length === 0) continue;
      const chosen = weightedPick(tier);
      chosen.breaker.tryAcquire();
      return chosen;
    }
    return undefined;
  }

  /**
   * The endpoint a hedge goes to: the first tier of {@link pick} only — not tried by this call,
   * circuit closed, in sync. Anything less (a lagging endpoint, a half-open probe) would not be
   * likely to answer faster than the attempt already out.
   */
  function pickHedge(tried: ReadonlySet<EndpointState>): EndpointState | undefined {
    refresh();
    const closed = states.filter((s) => !s.wrongChain && s.breaker.state === 'closed');
    const tier = untriedInSync(closed, tried);
    if (tier.length === 0) return undefined;
    const chosen = weightedPick(tier);
    chosen.breaker.tryAcquire();
    return chosen;
  }

  /** One call on one endpoint, with metrics and health bookkeeping. The caller claimed the breaker. */
  async function attempt(
    s: EndpointState,
    args: RpcRequestArguments,
    attemptTimeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const labels = { endpoint: s.name, method: methodLabel(args.method) };
    s.inFlight++;
    const t0 = performance.now();
    const elapsedMs = () => performance.now() - t0;
    try {
      const result = await s.connection.send(args, { timeoutMs: attemptTimeoutMs, signal });
      const ms = elapsedMs();
      metrics.rpcRequestDuration.observe(labels, ms / 1000);
      metrics.rpcRequests.inc({ endpoint: s.name, result: 'ok' });
      answered(s, ms);
      if (args.method === 'eth_blockNumber') noteHead(s, result);
      return result;
    } catch (error) {
      const ms = elapsedMs();
      if (error instanceof RpcResponseError) {
        metrics.rpcRequestDuration.observe(labels, ms / 1000);
        metrics.rpcRequests.inc({ endpoint: s.name, result: 'error' });
        answered(s, ms);
      } else if (error instanceof TransportFailure) {
        metrics.rpcRequestDuration.observe(labels, ms / 1000);
        metrics.rpcRequests.inc({ endpoint: s.name, result: error.kind });
        s.errorRate = s.errorRate * (1 - ERROR_ALPHA) + ERROR_ALPHA;
        s.lastError = error.reason;
        s.lastErrorAt = Date.now();
        s.breaker.onFailure();
        log.debug(`rpc ${labels.method} on ${s.name} failed: ${error.reason}`, {
          context: { endpoint: s.name, method: labels.method, reason: error.reason },
          metrics: { durationMs: Math.round(ms) },
        });
      } else {
        s.breaker.onRelease(); // aborted by the caller: says nothing about the endpoint
      }
      throw error;
    } finally {
      s.inFlight--;
      refresh();
    }
  }

  function answered(s: EndpointState, ms: number): void {
    s.latencyMs = s.latencyMs === undefined ? ms : s.latencyMs * (1 - LATENCY_ALPHA) + ms * LATENCY_ALPHA;
    s.errorRate *= 1 - ERROR_ALPHA;
    s.breaker.onSuccess();
  }

  function noteHead(s: EndpointState, result: unknown): void {
    const head = quantity(result);
    if (head !== undefined) s.head = head;
  }

  function markWrongChain(s: EndpointState, chainId: number): void {
    s.chainId = chainId;
    if (s.wrongChain) return;
    s.wrongChain = true;
    log.error(
      `rpc endpoint ${s.name} serves chain ${chainId}, expected ${expectedChainId}: taken out of the pool`,
      {
        context: { endpoint: s.name, chainId, expectedChainId: expectedChainId ?? null },
      },
    );
    refresh();
  }

  /**
   * Before an endpoint's first use (and after each recovery), when the expected chain is known, asks
   * it for `eth_chainId`. Shared by concurrent callers.
   */
  function verifyChain(s: EndpointState): Promise<void> {
    if (expectedChainId === undefined || s.chainId !== undefined || s.wrongChain) return Promise.resolve();
    s.verifying ??= (async () => {
      let answer: unknown;
      try {
        answer = await attempt(s, { method: 'eth_chainId' }, timeoutMs, undefined);
      } catch (error) {
        if (error instanceof RpcResponseError)
          throw new TransportFailure('unavailable', `eth_chainId answered JSON-RPC error ${error.code}`);
        throw error;
      }
      const chainId = quantity(answer);
      if (chainId === undefined)
        throw new TransportFailure('unavailable', 'eth_chainId answer is not a quantity');
      if (chainId !== expectedChainId) markWrongChain(s, chainId);
      else s.chainId = chainId;
    })().finally(() => {
      s.verifying = undefined;
    });
    return s.verifying;
  }

  async function request<T = unknown>(
    args: RpcRequestArguments,
    options: RpcRequestOptions = {},
  ): Promise<T> {
    const { signal } = options;
    const deadline = performance.now() + maxTotalMs;
    const tried = new Set<EndpointState>();
    const failures = new Map<string, string>();
    const hedging = hedgeAfterMs > 0 && HEDGED_METHODS.has(args.method);
    let attempts = 0;
    /** One attempt on `s` (its chain checked first when due); a transport failure is noted by endpoint. */
    const attemptOn = async (s: EndpointState, attemptTimeoutMs: number): Promise<unknown> => {
      try {
        await verifyChain(s);
        if (s.wrongChain) throw new TransportFailure('unavailable', downReason(s));
        return await attempt(s, args, attemptTimeoutMs, signal);
      } catch (error) {
        if (error instanceof TransportFailure) failures.set(s.name, error.reason);
        throw error;
      }
    };
    /**
     * The attempt `first` (on `s`), hedged: when it has not answered after `hedgeAfterMs`, one more
     * attempt of the call's goes to an in-sync endpoint it has not tried (while attempts and time are
     * left), and the first answer is the call's. Counts the hedge's outcome.
     */
    const hedged = (s: EndpointState, first: Promise<unknown>): Promise<unknown> => {
      let hedgedTo = '';
      return raceWithHedge({
        first,
        delayMs: hedgeAfterMs,
        hedge: () => {
          const remaining = Math.floor(deadline - performance.now());
          if (attempts >= maxAttempts || remaining <= 0 || signal?.aborted) return undefined;
          const h = pickHedge(tried);
          if (h === undefined) return undefined;
          tried.add(h);
          attempts++;
          hedgedTo = h.name;
          log.debug(
            `rpc ${methodLabel(args.method)} on ${s.name}: no answer after ${hedgeAfterMs} ms, hedged to ${h.name}`,
            {
              context: { endpoint: s.name, hedgedTo: h.name, method: methodLabel(args.method) },
            },
          );
          return attemptOn(h, Math.min(timeoutMs, remaining));
        },
        // The node's answer (a JSON-RPC error) or the caller's abort decides; a transport failure
        // leaves the call to the other attempt.
        decides: (error) => !(error instanceof TransportFailure),
        onHedgeSettled: (won) =>
          metrics.rpcHedges.inc({ endpoint: hedgedTo, result: won && !signal?.aborted ? 'won' : 'lost' }),
      });
    };
    while (attempts < maxAttempts) {
      signal?.throwIfAborted();
      if (attempts > 0) {
        const delay = backoffDelayMs(attempts, backoff);
        if (performance.now() + delay >= deadline) break;
        await sleep(delay, signal);
      }
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0) break;
      const s = pick(tried);
      if (s === undefined) break;
      tried.add(s);
      attempts++;
      const attemptTimeoutMs = Math.min(timeoutMs, remaining);
      try {
        const first = attemptOn(s, attemptTimeoutMs);
        // A hedge delay not below the attempt's timeout could only start a hedge as it times out.
        const hedgeIt = hedging && hedgeAfterMs < attemptTimeoutMs;
        return (await (hedgeIt ? hedged(s, first) : first)) as T;
      } catch (error) {
        if (!(error instanceof TransportFailure)) throw error; // the node's answer, or the caller's abort
      }
    }
    throw unavailable(args.method, failures, attempts);
  }

  function unavailable(method: string, failures: Map<string, string>, attempts: number): RpcUnavailableError {
    const endpointFailures: RpcEndpointFailure[] = states.map((s) => {
      const reason = failures.get(s.name);
      if (reason !== undefined) return { endpoint: s.name, reason };
      if (s.wrongChain) return { endpoint: s.name, reason: downReason(s) };
      if (!s.breaker.canPass()) {
        metrics.rpcRequests.inc({ endpoint: s.name, result: 'unavailable' });
        return { endpoint: s.name, reason: downReason(s) };
      }
      return { endpoint: s.name, reason: 'not tried: the attempts or the time budget ran out' };
    });
    const error = new RpcUnavailableError(methodLabel(method), endpointFailures, {
      attempts,
      maxAttempts,
      maxTotalMs,
    });
    log.debug(error.message, { context: { method: methodLabel(method), endpoints: endpointFailures } });
    return error;
  }

  // ── head poll ──────────────────────────────────────────────────────────────
  let polling: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;
  let running = false;
  let registered = false;

  function pollHeads(): Promise<void> {
    polling ??= (async () => {
      await Promise.all(
        states.map(async (s) => {
          if (s.wrongChain || !s.breaker.tryAcquire()) return;
          try {
            await verifyChain(s);
            if (!s.wrongChain) await attempt(s, { method: 'eth_blockNumber' }, timeoutMs, undefined);
          } catch {
            // counted and logged by attempt()
          }
        }),
      );
      refresh();
    })().finally(() => {
      polling = undefined;
    });
    return polling;
  }

  function start(): void {
    if (running) return;
    running = true;
    const mine = ++generation;
    if (!registered) {
      registered = true;
      common.shutdown.add('rpc pool', stop);
    }
    const round = () => {
      void pollHeads().finally(() => {
        if (!running || generation !== mine) return;
        timer = setTimeout(round, headPollIntervalMs);
        timer.unref();
      });
    };
    round();
  }

  async function stop(): Promise<void> {
    running = false;
    generation++;
    clearTimeout(timer);
    await polling;
    await Promise.all(states.map((s) => s.connection.close()));
  }

  async function checkChainId(expected: number | undefined = expectedChainId): Promise<number> {
    const answers = await Promise.all(
      states.map(async (s): Promise<{ endpoint: string; chainId?: number; reason?: string }> => {
        try {
          const chainId = quantity(await attempt(s, { method: 'eth_chainId' }, timeoutMs, undefined));
          if (chainId === undefined)
            return { endpoint: s.name, reason: 'eth_chainId answer is not a quantity' };
          s.chainId = chainId;
          return { endpoint: s.name, chainId };
        } catch (error) {
          if (error instanceof TransportFailure) return { endpoint: s.name, reason: error.reason };
          if (error instanceof RpcResponseError)
            return {
              endpoint: s.name,
              reason: `answered JSON-RPC error ${error.code}: ${scrubUrls(error.message)}`,
            };
          return { endpoint: s.name, reason: describeFailure(error) };
        }
      }),
    );
    const answered = answers.filter(
      (a): a is { endpoint: string; chainId: number } => a.chainId !== undefined,
    );
    if (answered.length === 0) {
      throw new RpcUnavailableError(
        'eth_chainId',
        answers.map((a) => ({ endpoint: a.endpoint, reason: a.reason ?? 'no answer' })),
      );
    }
    if (expected !== undefined) {
      expectedChainId = expected;
      const wrong = answered.filter((a) => a.chainId !== expected);
      for (const a of wrong) markWrongChain(states.find((s) => s.name === a.endpoint)!, a.chainId);
      if (wrong.length > 0) {
        const list = wrong.map((a) => `"${a.endpoint}" serves chain ${a.chainId}`).join(', ');
        throw new RpcWrongChainError(`RPC endpoint ${list}, expected chain ${expected}`, {
          expected,
          endpoints: answers,
        });
      }
    } else if (new Set(answered.map((a) => a.chainId)).size > 1) {
      const list = answered.map((a) => `"${a.endpoint}" serves chain ${a.chainId}`).join(', ');
      throw new RpcWrongChainError(`RPC endpoints disagree on the chain id: ${list}`, {
        expected: undefined,
        endpoints: answers,
      });
    }
    const chainId = answered[0]!.chainId;
    expectedChainId = chainId;
    for (const a of answers) {
      if (a.reason !== undefined)
        log.warn(
          `rpc endpoint ${a.endpoint} did not answer eth_chainId; it is checked before its first use`,
          {
            context: { endpoint: a.endpoint, reason: a.reason },
          },
        );
    }
    log.info(`rpc chain id ${chainId} confirmed`, {
      context: { chainId, endpoints: answered.map((a) => a.endpoint) },
    });
    return chainId;
  }

  function health(): RpcEndpointHealth[] {
    refresh();
    return states.map((s) => {
      const lag = lagOf(s);
      return {
        name: s.name,
        kind: s.connection.kind,
        up: s.up,
        circuit: s.breaker.state,
        latencyMs: s.latencyMs === undefined ? null : Math.round(s.latencyMs * 10) / 10,
        errorRate: Math.round(s.errorRate * 1000) / 1000,
        consecutiveFailures: s.breaker.consecutiveFailures,
        inFlight: s.inFlight,
        headBlock: s.head ?? null,
        lagBlocks: lag ?? null,
        chainId: s.chainId ?? null,
        lastError: s.lastError ?? null,
        lastErrorAt: s.lastErrorAt === undefined ? null : new Date(s.lastErrorAt).toISOString(),
      };
    });
  }

  const transport = custom(
    {
      request: (args: RpcRequestArguments, opts?: { signal?: AbortSignal | undefined }) =>
        request(args, { signal: opts?.signal }),
    },
    { key: 'cbRpcPool', name: 'cb RPC pool', retryCount: 0 },
  );

  return { request, transport, health, start, stop, pollHeads, checkChainId };
}

function validateEndpoints(endpoints: readonly RpcEndpoint[]): void {
  if (endpoints.length === 0) throw new RpcEndpointsInvalidError('the RPC pool needs at least one endpoint');
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    const { name } = endpoint;
    if (typeof name !== 'string' || !NAME.test(name))
      throw new RpcEndpointsInvalidError(
        `RPC endpoint name "${String(name)}" must be 1-40 of a-z A-Z 0-9 _ -`,
      );
    if (seen.has(name)) throw new RpcEndpointsInvalidError(`RPC endpoint name "${name}" is used twice`);
    seen.add(name);
    const ways = ['url', 'transport', 'request'].filter((k) => k in endpoint);
    if (ways.length !== 1)
      throw new RpcEndpointsInvalidError(
        `RPC endpoint "${name}" needs exactly one of url, transport or request`,
      );
    if ('url' in endpoint) {
      const protocol = safeProtocol(endpoint.url);
      if (protocol === undefined || !['http:', 'https:', 'ws:', 'wss:'].includes(protocol))
        throw new RpcEndpointsInvalidError(
          `RPC endpoint "${name}": the URL must be http(s) or ws(s) (URL not shown)`,
        );
    }
  }
}

/** The first tier of a pick: endpoints this call has not tried, in sync with the best head. */
function untriedInSync(closed: readonly EndpointState[], tried: ReadonlySet<EndpointState>): EndpointState[] {
  return closed.filter((s) => !tried.has(s) && !s.lagging);
}

/** Picks one endpoint at random, weighted by 1 / (latency × (in-flight + 1)). */
function weightedPick(tier: readonly EndpointState[]): EndpointState {
  const measured = tier.map((s) => s.latencyMs).filter((ms): ms is number => ms !== undefined);
  const assumed =
    measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : UNMEASURED_LATENCY_MS;
  const weights = tier.map((s) => 1 / (Math.max(1, s.latencyMs ?? assumed) * (s.inFlight + 1)));
  let r = Math.random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < tier.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return tier[i]!;
  }
  return tier[tier.length - 1]!;
}

/** A JSON-RPC quantity (`0x…`) as a number; undefined when it is not one. */
function quantity(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(value)) return undefined;
  return Number.parseInt(value, 16);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
