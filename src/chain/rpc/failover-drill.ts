/**
 * The RPC failover drill (`cb chain drill`; seed 5.1 RPC节点不可用：切换到备用节点, 5.3 模拟不同类型的故障场景,
 * 测量实际恢复时间): for each configured endpoint in turn, lose it under a steady read load and
 * measure what the pool does about it — against the real endpoints, with the pool cb runs.
 *
 * Each scenario, on a fresh pool (its own circuits and latencies) with the deployment's settings:
 *
 * 1. every configured endpoint is put behind a local HTTP proxy of the drill's own (127.0.0.1, a
 *    free port) that forwards each request to the endpoint's URL — so the pool reaches it through
 *    its real HTTP path, and the fault is a real network failure the pool cannot tell from one;
 * 2. warm-up: the chain id is checked on every endpoint, and a few reads go through;
 * 3. the endpoint is lost: its proxy resets every connection (`reset`, a crashed node), holds every
 *    request unanswered (`timeout`, a hung node), or answers HTTP 503 (`http-503`, a provider's
 *    outage page), while reads (`eth_blockNumber`) go out at a fixed rate whatever their latency
 *    (open loop, as traffic does). Measured: reads failed (as cb's code would see them, after the
 *    pool's retries), the reads' latency, how long until the pool took the endpoint out (its circuit
 *    opened), and which endpoints served meanwhile;
 * 4. the fault is cleared and reads go on until the endpoint serves one again: the time to rejoin
 *    (the circuit's cool-down, then a probe).
 *
 * A scenario passes when no read failed, the endpoint was taken out and it rejoined. With one
 * endpoint nothing can take over: the drill says so and fails. Nothing of the deployment is changed:
 * the endpoints only see reads. WebSocket endpoints cannot be put behind the HTTP proxy: refused.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Common } from '../../platform/common.ts';
import { createRpcPool } from './create-rpc-pool.ts';
import type { RpcPoolOptions, RpcUrlEndpoint } from './types.ts';

export const DRILL_FAULTS = ['reset', 'timeout', 'http-503'] as const;
export type DrillFault = (typeof DRILL_FAULTS)[number];

export interface FailoverDrillOptions {
  common: Common;
  /** The deployment's endpoints (`config.rpcEndpoints`). */
  endpoints: readonly RpcUrlEndpoint[];
  /** The endpoints to lose, one scenario each. @defaultValue all */
  lose?: readonly string[] | undefined;
  /** @defaultValue 'reset' */
  fault?: DrillFault | undefined;
  /** Reads a second, sent whatever the answers' latency. @defaultValue 10 */
  readsPerSecond?: number | undefined;
  /** Reads before the fault, and after the endpoint is out before the fault is cleared. @defaultValue 10 */
  settleReads?: number | undefined;
  /**
   * Longest the pool may take to take the lost endpoint out, and to let it rejoin, ms.
   * @defaultValue 3 × the attempt timeout + the circuit's cool-down + 10 s
   */
  phaseLimitMs?: number | undefined;
  /** The pool's tuning; cb's defaults (the configuration) when absent, as `cb start` uses. */
  poolOptions?: RpcPoolOptions | undefined;
  /** A line per step (the CLI prints them). */
  onStep?: ((line: string) => void) | undefined;
}

export interface FailoverScenario {
  /** The endpoint lost. */
  lost: string;
  fault: DrillFault;
  /** Reads sent while it was lost (until it rejoined). */
  reads: number;
  /** Reads that failed after the pool's retries: what cb's code would have seen. */
  failed: number;
  /** Their first error, when one failed. */
  firstError: string | null;
  latencyMs: { p50: number; p95: number; max: number };
  /** From the fault to the pool taking the endpoint out (circuit open); null: it never did. */
  takenOutAfterMs: number | null;
  /** From the fault cleared to the endpoint serving a read again; null: it never did. */
  rejoinedAfterMs: number | null;
  /** Reads each endpoint answered while this one was lost. */
  servedBy: Record<string, number>;
  ok: boolean;
  /** Each problem in a sentence; empty when ok. */
  problems: string[];
}

export interface FailoverDrillReport {
  at: string;
  fault: DrillFault;
  endpoints: string[];
  scenarios: FailoverScenario[];
  ok: boolean;
  seconds: number;
}

/** The drill cannot run with these endpoints or names (the CLI's usage error, exit code 2). */
export class FailoverDrillError extends Error {}

/** Runs the drill; never touches the deployment's state (reads only). */
export async function runFailoverDrill(options: FailoverDrillOptions): Promise<FailoverDrillReport> {
  const { endpoints } = options;
  if (endpoints.length === 0)
    throw new FailoverDrillError('no RPC endpoint to drill: set RPC_URLS (the dev chain has no standby)');
  for (const e of endpoints)
    if (!/^https?:/.test(e.url))
      throw new FailoverDrillError(
        `endpoint ${e.name} is not reached over HTTP(S): the drill puts each endpoint behind an HTTP proxy, which WebSocket endpoints cannot use`,
      );
  const names = endpoints.map((e) => e.name);
  const lose = options.lose ?? names;
  for (const name of lose)
    if (!names.includes(name))
      throw new FailoverDrillError(`no endpoint named ${name} in RPC_URLS (have: ${names.join(', ')})`);
  const fault = options.fault ?? 'reset';
  const started = Date.now();
  const scenarios: FailoverScenario[] = [];
  for (const name of lose) scenarios.push(await runScenario(options, name, fault));
  return {
    at: new Date(started).toISOString(),
    fault,
    endpoints: names,
    scenarios,
    ok: scenarios.every((s) => s.ok),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

async function runScenario(
  options: FailoverDrillOptions,
  lostName: string,
  fault: DrillFault,
): Promise<FailoverScenario> {
  const { common } = options;
  const config = common.config;
  const say = options.onStep ?? (() => {});
  const timeoutMs = options.poolOptions?.timeoutMs ?? config.rpcTimeoutMs;
  const cooldownMs = options.poolOptions?.cooldownMs ?? 10_000;
  const limitMs = options.phaseLimitMs ?? 3 * timeoutMs + cooldownMs + 10_000;
  const intervalMs = 1000 / (options.readsPerSecond ?? 10);
  const settleReads = options.settleReads ?? 10;

  const proxies = await Promise.all(options.endpoints.map((e) => startFaultProxy(e)));
  const lost = proxies.find((p) => p.name === lostName) as FaultProxy;
  const pool = createRpcPool({
    common,
    endpoints: proxies.map((p) => ({ name: p.name, url: p.url })),
    options: options.poolOptions,
  });
  const problems: string[] = [];
  const latencies: number[] = [];
  let reads = 0;
  let failed = 0;
  let firstError: string | null = null;
  const inFlight = new Set<Promise<void>>();
  /** One read, counted from the fault on; latency measured as the caller sees it. */
  const read = () => {
    const t0 = performance.now();
    reads++;
    const p = pool
      .request({ method: 'eth_blockNumber' })
      .then(
        () => {
          latencies.push(performance.now() - t0);
        },
        (err: unknown) => {
          failed++;
          latencies.push(performance.now() - t0);
          firstError ??= (err as Error).message;
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const circuitOf = (name: string) => pool.health().find((h) => h.name === name)?.circuit;
  /** Sends reads at the fixed rate until `done()` or `limit` ms passed; returns the ms it took, or null. */
  const readUntil = async (done: () => boolean, limit: number): Promise<number | null> => {
    const t0 = performance.now();
    while (!done()) {
      if (performance.now() - t0 > limit) return null;
      read();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return Math.round(performance.now() - t0);
  };

  /** The scenario's report from what was measured (ok when no problem was found). */
  const result = (
    found: Pick<FailoverScenario, 'takenOutAfterMs' | 'rejoinedAfterMs' | 'servedBy' | 'problems'>,
  ): FailoverScenario => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return {
      lost: lostName,
      fault,
      reads,
      failed,
      firstError,
      latencyMs: { p50: at(0.5), p95: at(0.95), max: Math.round(sorted.at(-1) ?? 0) },
      ...found,
      ok: found.problems.length === 0,
    };
  };

  try {
    say(`lose ${lostName} (${fault}): warm-up`);
    // Every endpoint must answer on its own first: a drill from a degraded pool measures nothing.
    for (const p of proxies) await answersDirectly(p);
    await pool.checkChainId(config.chainId);
    for (let i = 0; i < 5; i++) await pool.request({ method: 'eth_blockNumber' });

    const servedBefore = new Map(proxies.map((p) => [p.name, p.served]));
    lost.fault = fault;
    say(`lose ${lostName}: fault on, reads at ${Math.round(1000 / intervalMs)}/s`);
    const takenOutAfterMs = await readUntil(() => circuitOf(lostName) === 'open', limitMs);
    if (takenOutAfterMs === null)
      problems.push(
        `The pool did not take ${lostName} out within ${Math.round(limitMs / 1000)} s of losing it.`,
      );
    else say(`lose ${lostName}: taken out after ${takenOutAfterMs} ms`);
    for (let i = 0; i < settleReads; i++) {
      read();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    const servedBy = Object.fromEntries(
      proxies.filter((p) => p !== lost).map((p) => [p.name, p.served - (servedBefore.get(p.name) ?? 0)]),
    );

    lost.fault = undefined;
    const lostServed = lost.served;
    say(`lose ${lostName}: fault cleared, waiting for it to rejoin`);
    const rejoinedAfterMs = await readUntil(() => lost.served > lostServed, limitMs);
    if (rejoinedAfterMs === null)
      problems.push(
        `${lostName} did not serve a read again within ${Math.round(limitMs / 1000)} s of coming back.`,
      );
    else say(`lose ${lostName}: rejoined after ${rejoinedAfterMs} ms`);
    await Promise.all(inFlight);

    if (proxies.length === 1)
      problems.unshift(
        `${lostName} is the only endpoint: losing it stops every chain read (add a standby to RPC_URLS).`,
      );
    if (failed > 0)
      problems.push(`${failed} of ${reads} reads failed while ${lostName} was lost (first: ${firstError}).`);
    return result({ takenOutAfterMs, rejoinedAfterMs, servedBy, problems });
  } catch (err) {
    await Promise.allSettled(inFlight);
    return result({
      takenOutAfterMs: null,
      rejoinedAfterMs: null,
      servedBy: {},
      problems: [`The drill could not start: ${(err as Error).message}`],
    });
  } finally {
    await pool.stop();
    await Promise.all(proxies.map((p) => p.close()));
  }
}

/** One eth_blockNumber through the proxy alone; throws naming the endpoint when it does not answer. */
async function answersDirectly(p: FaultProxy): Promise<void> {
  try {
    const res = await fetch(p.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { result?: unknown };
    if (!res.ok || typeof body.result !== 'string') throw new Error(`HTTP ${res.status}, no block number`);
  } catch (err) {
    throw new Error(
      `${p.name} does not answer (${reasonOf(err)}): the drill needs every endpoint up before it starts`,
    );
  }
}

const reasonOf = (err: unknown): string =>
  err instanceof Error && err.name === 'TimeoutError'
    ? 'no answer in 10 s'
    : 'connection failed or bad answer';

interface FaultProxy {
  name: string;
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** The fault in force; undefined: requests are forwarded. */
  fault: DrillFault | undefined;
  /** Requests forwarded and answered by the endpoint. */
  served: number;
  close(): Promise<void>;
}

/** A local HTTP proxy in front of one endpoint, whose fault can be switched on and off. */
async function startFaultProxy(endpoint: RpcUrlEndpoint): Promise<FaultProxy> {
  // fetch refuses a URL with credentials: they go as Basic authorization, as the pool's would.
  const parsed = new URL(endpoint.url);
  const auth: Record<string, string> = parsed.username
    ? {
        authorization: `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`,
      }
    : {};
  parsed.username = '';
  parsed.password = '';
  const target = parsed.toString();
  const sockets = new Set<Socket>();
  const held = new Set<ServerResponse>();
  const proxy: FaultProxy = {
    name: endpoint.name,
    url: '',
    fault: undefined,
    served: 0,
    close: async () => {
      for (const r of held) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fault = proxy.fault;
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'timeout') {
      held.add(res); // answered never: the pool's attempt timeout ends it
      res.on('close', () => held.delete(res));
      return;
    }
    if (fault === 'http-503') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('drill: endpoint unavailable');
      return;
    }
    try {
      const upstream = await fetch(target, {
        method: 'POST',
        headers: { ...auth, 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: Buffer.concat(chunks),
        signal: AbortSignal.timeout(30_000),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (upstream.ok) proxy.served++;
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(body);
    } catch {
      // The endpoint itself failed: what the pool would have seen without the drill.
      req.socket.destroy();
    }
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return proxy;
}
