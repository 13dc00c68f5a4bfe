import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicClient, createWalletClient, custom, keccak256, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { localhost } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { captureLogs } from '../../../test/log-capture.ts';
import { until } from '../../../test/until.ts';
import type { Common } from '../../platform/common.ts';
import { loadConfig } from '../../platform/config.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import {
  createRpcPool,
  type RpcEndpoint,
  type RpcPool,
  type RpcPoolOptions,
  RpcResponseError,
  RpcUnavailableError,
  RpcWrongChainError,
} from './index.ts';
import {
  type DelayingProxy,
  freePort,
  type HardhatNode,
  inProcessHardhatProvider,
  startDelayingProxy,
  startHardhatNode,
} from './test-support.ts';

/** Hardhat's first dev account (publicly known key). */
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const SOMEONE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
/** Code that reverts with Error("nope") whatever it is called with. */
const REVERTING_CODE = `0x6064600c60003960646000fd08c379a0${(32).toString(16).padStart(64, '0')}${(4)
  .toString(16)
  .padStart(64, '0')}${'6e6f7065'.padEnd(64, '0')}` as const;
const REVERTER = '0x00000000000000000000000000000000000c0de0';
const SECRET = 'secret-key-123';
const DEAD_URL = `http://127.0.0.1:1/${SECRET}`;

/** Short timers so that failures, timeouts and cool-downs fit in a test. */
const FAST: RpcPoolOptions = {
  timeoutMs: 400,
  maxTotalMs: 1500,
  failureThreshold: 2,
  cooldownMs: 500,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  headPollIntervalMs: 100,
};

/** A port nothing listens on (connections are refused). */
let closedPort: number;
let a: HardhatNode;
let b: HardhatNode;
let c: HardhatNode;
const pools: RpcPool[] = [];

beforeAll(async () => {
  closedPort = await freePort();
  const started = await Promise.allSettled([
    startHardhatNode({ chainId: 31337 }),
    startHardhatNode({ chainId: 31337 }),
    startHardhatNode({ chainId: 1337 }),
  ]);
  const failed = started.find((s) => s.status === 'rejected');
  for (const s of started) if (s.status === 'fulfilled' && failed) await s.value.stop();
  if (failed) throw failed.reason;
  [a, b, c] = started.map((s) => (s as PromiseFulfilledResult<HardhatNode>).value) as [
    HardhatNode,
    HardhatNode,
    HardhatNode,
  ];
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.stop()));
  await Promise.all([a, b, c].map((n) => n?.stop()));
});

/** Sum of the samples named `sample` (default: `name`) of metric `name` whose labels include `labels`. */
async function metricValue(
  common: Common,
  name: string,
  labels: Record<string, string> = {},
  sample = name,
): Promise<number> {
  const text = await common.metrics.registry.getSingleMetricAsString(name);
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== sample) continue;
    const present = new Map(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

/** Calls counted by `cb_rpc_request_duration_seconds` with these labels. */
const timedCalls = (common: Common, labels: Record<string, string>) =>
  metricValue(common, 'cb_rpc_request_duration_seconds', labels, 'cb_rpc_request_duration_seconds_count');

function setup(endpoints: RpcEndpoint[], options: RpcPoolOptions = {}) {
  const logs = captureLogs('debug', 'test');
  const common: Common = {
    config: loadConfig({}),
    logger: logs.logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: 1000, logger: logs.logger }),
  };
  const pool = createRpcPool({ common, endpoints, options: { ...FAST, ...options } });
  pools.push(pool);
  const count = (endpoint: string, result: string) =>
    metricValue(common, 'cb_rpc_requests_total', { endpoint, result });
  const up = (endpoint: string) => metricValue(common, 'cb_rpc_endpoint_up', { endpoint });
  const logged = (level: string, text: string) =>
    logs.entries().filter((e) => e.level === level && String(e.message).includes(text));
  return { pool, common, logs, count, up, logged };
}

const balance = (pool: RpcPool) =>
  pool.request<string>({ method: 'eth_getBalance', params: [SOMEONE, 'latest'] });

/** Runs `n` calls, `concurrency` at a time. */
async function load(pool: RpcPool, n: number, concurrency = 4, onEach?: (i: number) => Promise<void> | void) {
  let next = 0;
  const results: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await onEach?.(i);
        results.push(await balance(pool));
      }
    }),
  );
  return results;
}

describe('createRpcPool against real hardhat nodes', () => {
  test('behavior: block reads sent together (one JSON-RPC batch over HTTP) get the same answers as one by one', async () => {
    const { pool, common } = setup([{ name: 'a', url: a.url }]);
    await a.rpc('hardhat_mine', ['0x5']);
    const blocks = ['0x0', '0x1', '0x2', '0x3', '0x4', '0x5'];
    const read = (n: string) => pool.request({ method: 'eth_getBlockByNumber', params: [n, false] });
    const together = await Promise.all(blocks.map(read));
    const alone: unknown[] = [];
    for (const n of blocks) alone.push(await read(n));
    expect(together).toEqual(alone);
    expect(together.map((h) => (h as { number: string }).number)).toEqual(blocks);
    // Every call is still measured as itself.
    expect(await timedCalls(common, { endpoint: 'a', method: 'eth_getBlockByNumber' })).toBe(12);
  });

  test('default: calls spread over both endpoints, with metrics and health per endpoint', async () => {
    const { pool, common, count, up } = setup([
      { name: 'a', url: a.url },
      { name: 'b', url: b.url },
    ]);
    const results = await load(pool, 100);
    expect(results).toHaveLength(100);
    expect(new Set(results)).toEqual(new Set(['0x21e19e0c9bab2400000'])); // 10 000 ETH

    const okA = await count('a', 'ok');
    const okB = await count('b', 'ok');
    expect(okA + okB).toBe(100);
    expect(okA).toBeGreaterThanOrEqual(10);
    expect(okB).toBeGreaterThanOrEqual(10);
    const calls = await timedCalls(common, {
      method: 'eth_getBalance',
    });
    expect(calls).toBe(100);
    expect(await up('a')).toBe(1);
    expect(await up('b')).toBe(1);

    await pool.request({ method: 'eth_blockNumber' });
    const health = pool.health();
    expect(health.map((h) => [h.name, h.kind, h.up, h.circuit, h.errorRate, h.inFlight])).toEqual([
      ['a', 'http', true, 'closed', 0, 0],
      ['b', 'http', true, 'closed', 0, 0],
    ]);
    for (const h of health) {
      expect(h.latencyMs).toBeGreaterThan(0);
      expect(h.lastError).toBeNull();
    }
  });

  test('behavior: a method name that is not ns_method is labelled "other"', async () => {
    const { pool, common } = setup([{ name: 'a', url: a.url }]);
    await expect(pool.request({ method: 'Not A Method {x}' })).rejects.toBeInstanceOf(RpcResponseError);
    expect(await timedCalls(common, { method: 'other' })).toBe(1);
    expect(await common.metrics.registry.metrics()).not.toContain('Not A Method');
  });

  test('default: viem public and wallet clients work through pool.transport', async () => {
    const { pool } = setup([{ name: 'c', url: c.url }]);
    const client = createPublicClient({ chain: localhost, transport: pool.transport });
    expect(await client.getChainId()).toBe(1337);
    const wallet = createWalletClient({
      account: privateKeyToAccount(DEV_KEY),
      chain: localhost,
      transport: pool.transport,
    });
    const hash = await wallet.sendTransaction({ to: SOMEONE, value: parseEther('1') });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).toBe('success');
  });

  test('behavior: application errors are returned as they are and do not fail over', async () => {
    const { pool, count } = setup([
      { name: 'a', url: a.url },
      { name: 'b', url: b.url },
    ]);
    const error = await rejection(pool.request({ method: 'eth_getBalance', params: ['0x12', 'latest'] }));
    expect(error).toBeInstanceOf(RpcResponseError);
    expect(error).toMatchObject({ code: -32602 });
    expect(error.message).toMatch(/^invalid value "0x12" supplied to : ADDRESS/);
    expect(['a', 'b']).toContain(error.endpoint);
    expect((await count('a', 'error')) + (await count('b', 'error'))).toBe(1);
    expect((await count('a', 'ok')) + (await count('b', 'ok'))).toBe(0);

    // viem sees the node's error and decodes the revert reason from its data.
    await Promise.all([a, b].map((n) => n.rpc('hardhat_setCode', [REVERTER, REVERTING_CODE])));
    const client = createPublicClient({ transport: pool.transport });
    const reverted = await rejection(
      client.readContract({
        address: REVERTER,
        abi: [
          {
            type: 'function',
            name: 'get',
            inputs: [],
            outputs: [{ type: 'uint256' }],
            stateMutability: 'view',
          },
        ],
        functionName: 'get',
      }),
    );
    expect(reverted.name).toBe('ContractFunctionExecutionError');
    const revert = reverted.walk((e: { name?: string }) => e.name === 'ContractFunctionRevertedError');
    expect(revert.reason).toBe('nope');
    expect(reverted.walk((e: unknown) => e instanceof RpcResponseError)).toBeInstanceOf(RpcResponseError);
    expect((await count('a', 'error')) + (await count('b', 'error'))).toBe(2);

    for (const h of pool.health())
      expect([h.up, h.circuit, h.consecutiveFailures]).toEqual([true, 'closed', 0]);
  });

  test('behavior: an endpoint lagging more than maxLagBlocks is skipped until it catches up', async () => {
    const { pool, common, logged } = setup(
      [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      { maxLagBlocks: 5 },
    );
    const headB = Number(await b.rpc('eth_blockNumber'));
    const headA = Number(await a.rpc('eth_blockNumber'));
    await a.rpc('hardhat_mine', [`0x${(headB - headA + 10).toString(16)}`]);
    await pool.pollHeads();

    const [ha, hb] = pool.health();
    expect(ha).toMatchObject({ up: true, headBlock: headB + 10, lagBlocks: 0 });
    expect(hb).toMatchObject({ up: false, headBlock: headB, lagBlocks: 10, circuit: 'closed' });
    expect(await metricValue(common, 'cb_chain_head_block')).toBe(headB + 10);
    expect(await metricValue(common, 'cb_rpc_endpoint_up', { endpoint: 'b' })).toBe(0);
    expect(logged('WARN', 'rpc endpoint b is down: 10 blocks behind')).toHaveLength(1);

    await load(pool, 30);
    const byB = await timedCalls(common, {
      endpoint: 'b',
      method: 'eth_getBalance',
    });
    expect(byB).toBe(0);

    await b.rpc('hardhat_mine', ['0xa']);
    await pool.pollHeads();
    expect(pool.health()[1]).toMatchObject({ up: true, lagBlocks: 0 });
    expect(logged('INFO', 'rpc endpoint b is up')).toHaveLength(1);
    expect(logged('WARN', 'is down')).toHaveLength(1);
  });

  test('behavior: a hung endpoint times out, calls go on via the other, it rejoins after the cool-down', async () => {
    const { pool, count, up, logged } = setup([
      { name: 'a', url: a.url },
      { name: 'b', url: b.url },
    ]);
    await load(pool, 10);
    b.freeze();
    try {
      const t0 = performance.now();
      const results = await load(pool, 30);
      expect(results).toHaveLength(30);
      expect(performance.now() - t0).toBeLessThan(5000);
      // failureThreshold (2) in a row open the circuit; calls already in flight to b (≤ 4) time out too.
      const timeouts = await count('b', 'timeout');
      expect(timeouts).toBeGreaterThanOrEqual(2);
      expect(timeouts).toBeLessThanOrEqual(4);
      expect(pool.health()[1]).toMatchObject({
        circuit: 'open',
        up: false,
        lastError: 'no answer within 400 ms',
      });
      expect(await up('b')).toBe(0);
      expect(logged('WARN', 'rpc endpoint b: circuit opened')).toHaveLength(1);

      // An aborted call rejects with the signal's reason and says nothing about the endpoint.
      const only = setup([{ name: 'b', url: b.url }]);
      const reason = new Error('caller gave up');
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), 50);
      await expect(balance2(only.pool, controller.signal)).rejects.toBe(reason);
      expect(only.pool.health()[0]).toMatchObject({ consecutiveFailures: 0, circuit: 'closed' });

      // A call's attempts and backoff stay within maxTotalMs: the last attempt gets what is left.
      const capped = setup([{ name: 'b', url: b.url }], { maxTotalMs: 600, failureThreshold: 5 });
      const t1 = performance.now();
      const late = await rejection(balance(capped.pool));
      const took = performance.now() - t1;
      expect(late.code).toBe('CB_RPC_UNAVAILABLE');
      expect(late.details.endpoints).toEqual([
        { endpoint: 'b', reason: expect.stringMatching(/^no answer within \d+ ms$/) },
      ]);
      expect(late.details.attempts).toBe(2);
      expect(took).toBeGreaterThan(550);
      expect(took).toBeLessThan(800);
    } finally {
      b.thaw();
    }
    await new Promise((r) => setTimeout(r, FAST.cooldownMs));
    await load(pool, 10); // the first call after the cool-down probes b
    expect(pool.health()[1]).toMatchObject({ circuit: 'closed', up: true });
    expect(await up('b')).toBe(1);
    expect(logged('INFO', 'rpc endpoint b: circuit half-open')).toHaveLength(1);
    expect(logged('INFO', 'rpc endpoint b: circuit closed')).toHaveLength(1);
    expect(logged('INFO', 'rpc endpoint b is up')).toHaveLength(1);
  });

  test('behavior: a node killed mid-run fails over; restarted, it rejoins after the cool-down', async () => {
    // The restarted node is a fresh chain at block 0: lag is not what this test is about.
    const { pool, count, up, logged } = setup(
      [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      { maxLagBlocks: 1_000_000 },
    );
    pool.start();
    const results = await load(pool, 80, 4, async (i) => {
      if (i === 30) await b.kill();
    });
    expect(results).toHaveLength(80);
    expect(await count('b', 'ok')).toBeGreaterThan(0);
    expect(await count('b', 'unavailable')).toBeGreaterThanOrEqual(2);
    await until(async () => (await up('b')) === 0, 5000);
    // A kept-alive socket is cut ("other side closed"); new connections are refused.
    expect(pool.health()[1]?.lastError).toMatch(
      /^(connection failed \(ECONN(REFUSED|RESET)\)|fetch failed: other side closed)$/,
    );
    expect(logged('WARN', 'rpc endpoint b: circuit opened')).toHaveLength(1);
    expect(logged('WARN', 'rpc endpoint b is down')).toHaveLength(1);

    await b.restart();
    await until(async () => (await up('b')) === 1, 5000); // the head poll probes it after the cool-down
    const before = await count('b', 'ok');
    // Requests are spread at random by inverse latency, and b's estimate is still that of a node that
    // was failing: 40 of them may all go to a. Keep the load on until b serves again (or time out).
    await until(async () => {
      await load(pool, 10);
      return (await count('b', 'ok')) > before;
    }, 10_000);
    expect(await count('b', 'ok')).toBeGreaterThan(before);
    expect(logged('INFO', 'rpc endpoint b is up')).toHaveLength(1);
    expect(logged('WARN', 'rpc endpoint b is down')).toHaveLength(1);
    await pool.stop();
  });

  test('error: every endpoint unreachable → CB_RPC_UNAVAILABLE naming each; open circuits fail fast', async () => {
    const { pool, count, logs } = setup([
      { name: 'dead', url: DEAD_URL },
      { name: 'dead2', url: `http://user:${SECRET}@127.0.0.1:${closedPort}/?apikey=${SECRET}` },
    ]);
    const first = await rejection(balance(pool));
    expect(first).toBeInstanceOf(RpcUnavailableError);
    expect(first).toMatchObject({ code: 'CB_RPC_UNAVAILABLE', retryable: true });
    // fetch refuses port 1 outright ("bad port"); a closed port is refused by the kernel.
    expect(first.details.endpoints).toEqual([
      { endpoint: 'dead', reason: 'fetch failed: bad port' },
      { endpoint: 'dead2', reason: 'connection failed (ECONNREFUSED)' },
    ]);
    expect(first.details.attempts).toBe(3);
    expect(first.message).toBe(
      'eth_getBalance: no RPC endpoint answered (dead: fetch failed: bad port; dead2: connection failed (ECONNREFUSED))',
    );

    await balance(pool).catch(() => {}); // second failure in a row of each: circuits open
    expect(pool.health().map((h) => h.circuit)).toEqual(['open', 'open']);
    const t0 = performance.now();
    const fast = await rejection(balance(pool));
    expect(performance.now() - t0).toBeLessThan(50);
    expect(fast.code).toBe('CB_RPC_UNAVAILABLE');
    expect(fast.details.endpoints[0].reason).toMatch(/^circuit open after 2 failures/);
    expect(await count('dead', 'unavailable')).toBeGreaterThanOrEqual(3);

    expect(logs.lines.length).toBeGreaterThan(0); // the failures were logged (at DEBUG and WARN)
    const everything = [
      logs.lines.join('\n'),
      JSON.stringify(pool.health()),
      first.message,
      first.stack,
      JSON.stringify(first.details),
      fast.message,
      JSON.stringify(fast.details),
    ].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('127.0.0.1:');
  });

  test('behavior: a mixed pool with a dead endpoint still answers and names it in health', async () => {
    const { pool, count } = setup([
      { name: 'dead', url: `http://127.0.0.1:${closedPort}/` },
      { name: 'a', url: a.url },
    ]);
    const results = await load(pool, 20);
    expect(results).toHaveLength(20);
    expect(await count('a', 'ok')).toBe(20);
    expect(pool.health()[0]).toMatchObject({
      up: false,
      circuit: 'open',
      lastError: 'connection failed (ECONNREFUSED)',
    });
  });
});

describe('checkChainId', () => {
  test('default: endpoints of one chain → its id', async () => {
    const { pool, logged } = setup([
      { name: 'a', url: a.url },
      { name: 'b', url: b.url },
    ]);
    expect(await pool.checkChainId()).toBe(31337);
    expect(await pool.checkChainId(31337)).toBe(31337);
    expect(logged('INFO', 'rpc chain id 31337 confirmed')).toHaveLength(2);
  });

  test('error: endpoints that disagree → CB_RPC_WRONG_CHAIN naming them', async () => {
    const { pool } = setup([
      { name: 'a', url: a.url },
      { name: 'c', url: c.url },
    ]);
    const error = await rejection(pool.checkChainId());
    expect(error).toBeInstanceOf(RpcWrongChainError);
    expect(error).toMatchObject({ code: 'CB_RPC_WRONG_CHAIN', retryable: false });
    expect(error.message).toBe(
      'RPC endpoints disagree on the chain id: "a" serves chain 31337, "c" serves chain 1337',
    );
  });

  test('error: an endpoint on another chain than expected → CB_RPC_WRONG_CHAIN; it is out of the pool', async () => {
    const { pool, count } = setup([
      { name: 'a', url: a.url },
      { name: 'c', url: c.url },
    ]);
    const error = await rejection(pool.checkChainId(31337));
    expect(error.code).toBe('CB_RPC_WRONG_CHAIN');
    expect(error.message).toBe('RPC endpoint "c" serves chain 1337, expected chain 31337');
    expect(error.details.endpoints).toEqual([
      { endpoint: 'a', chainId: 31337 },
      { endpoint: 'c', chainId: 1337 },
    ]);
    await load(pool, 10);
    expect(await count('c', 'ok')).toBe(1); // its eth_chainId answer only
    expect(pool.health()[1]).toMatchObject({ up: false, chainId: 1337 });
  });

  test('behavior: with an expected chain id, an endpoint is checked before its first call', async () => {
    const { pool, common, logged } = setup(
      [
        { name: 'a', url: a.url },
        { name: 'c', url: c.url },
      ],
      { expectedChainId: 31337 },
    );
    await load(pool, 20);
    expect(
      await timedCalls(common, {
        endpoint: 'c',
        method: 'eth_getBalance',
      }),
    ).toBe(0);
    expect(pool.health()[1]).toMatchObject({ up: false, chainId: 1337 });
    expect(logged('ERROR', 'rpc endpoint c serves chain 1337, expected 31337')).toHaveLength(1);
  });

  test('error: no endpoint answers → CB_RPC_UNAVAILABLE naming each with its reason, never the URL', async () => {
    const { pool, logs } = setup([{ name: 'dead', url: DEAD_URL }]);
    const error = await rejection(pool.checkChainId());
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error.code).toBe('CB_RPC_UNAVAILABLE');
    expect(error.message).toBe('eth_chainId: no RPC endpoint answered (dead: fetch failed: bad port)');
    expect(
      [
        error.message,
        error.stack,
        JSON.stringify(error.details),
        logs.lines.join('\n'),
        JSON.stringify(pool.health()),
      ].join(),
    ).not.toContain(SECRET);
  });

  test('behavior: an endpoint that does not answer is logged and the others decide', async () => {
    const { pool, logged, logs } = setup([
      { name: 'a', url: a.url },
      { name: 'dead', url: DEAD_URL },
    ]);
    expect(await pool.checkChainId(31337)).toBe(31337);
    expect(logged('WARN', 'rpc endpoint dead did not answer eth_chainId')).toHaveLength(1);
    expect(logs.lines.join('\n')).not.toContain(SECRET);
  });
});

describe('other kinds of endpoint', () => {
  let server: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  test('behavior: an HTTP 503 is a transport failure (failover), a 400 with a JSON-RPC error is the answer', async () => {
    let mode: '503' | '400' = '503';
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (mode === '503') {
          res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>upstream down</h1>');
        } else {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad params' } }));
        }
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    const { pool, count } = setup(
      [
        { name: 'gw', url: gateway },
        { name: 'a', url: a.url },
      ],
      { failureThreshold: 100 },
    );
    await load(pool, 20);
    expect(await count('a', 'ok')).toBe(20);
    expect(await count('gw', 'unavailable')).toBeGreaterThan(0);
    expect(pool.health()[0]?.lastError).toBe('HTTP 503');

    mode = '400';
    const only = setup([{ name: 'gw', url: gateway }]);
    const error = await rejection(balance(only.pool));
    expect(error).toBeInstanceOf(RpcResponseError);
    expect(error).toMatchObject({ code: -32602, message: 'bad params', endpoint: 'gw' });
  });

  test('default: a ws:// endpoint (hardhat serves WebSocket on the same port)', async () => {
    const { pool } = setup([{ name: 'ws', url: `ws://127.0.0.1:${a.port}` }]);
    expect(await pool.request({ method: 'eth_chainId' })).toBe('0x7a69');
    const error = await rejection(pool.request({ method: 'eth_getBalance', params: ['0x12', 'latest'] }));
    expect(error).toBeInstanceOf(RpcResponseError);
    expect(error.code).toBe(-32602);
    expect(pool.health()[0]).toMatchObject({ kind: 'ws', up: true });
    await pool.stop();
  });

  test('default: the in-process hardhat provider, as an EIP-1193 request function or a viem transport', async () => {
    const provider = await inProcessHardhatProvider();
    const { pool, count } = setup([
      { name: 'dev', request: provider.request.bind(provider) },
      { name: 'devt', transport: custom(provider) },
    ]);
    expect(pool.health().map((h) => h.kind)).toEqual(['provider', 'transport']);
    expect(await pool.checkChainId(31337)).toBe(31337);

    // The node's error comes back with its code and message through either wrapper.
    for (let i = 0; i < 6; i++) {
      const error = await rejection(pool.request({ method: 'eth_getBalance', params: ['0x12', 'latest'] }));
      expect(error).toBeInstanceOf(RpcResponseError);
      expect(error).toMatchObject({ code: -32602 });
      expect(error.message).toMatch(/^invalid value "0x12" supplied to : ADDRESS/);
    }
    expect((await count('dev', 'error')) + (await count('devt', 'error'))).toBe(6);

    const wallet = createWalletClient({ account: privateKeyToAccount(DEV_KEY), transport: pool.transport });
    const client = createPublicClient({ transport: pool.transport });
    const hash = await wallet.sendTransaction({ to: SOMEONE, value: 1n, chain: null });
    expect((await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status).toBe('success');
  });

  test('error: endpoint lists the pool cannot use', () => {
    const common = setup([{ name: 'a', url: a.url }]).common;
    expect(() => createRpcPool({ common, endpoints: [] })).toThrow(/at least one endpoint/);
    expect(() =>
      createRpcPool({
        common,
        endpoints: [
          { name: 'x', url: a.url },
          { name: 'x', url: b.url },
        ],
      }),
    ).toThrow('RPC endpoint name "x" is used twice');
    const bad = (() => {
      try {
        createRpcPool({ common, endpoints: [{ name: 'x', url: `ftp://h/${SECRET}` }] });
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(bad?.code).toBe('CB_RPC_ENDPOINTS_INVALID');
    expect(bad?.message).not.toContain(SECRET);
  });
});

describe('hedged reads', () => {
  const proxies: DelayingProxy[] = [];
  afterAll(() => Promise.all(proxies.map((p) => p.close())));
  /** A proxy in front of node a that answers after `delayMs`, or never (a hung endpoint). */
  const proxyOfA = async (delayMs: number | 'never') => {
    const p = await startDelayingProxy(a.url, { delayMs });
    proxies.push(p);
    return p;
  };
  /** Hedge after 150 ms; an attempt times out after 1.5 s. */
  const HEDGED: RpcPoolOptions = {
    timeoutMs: 1500,
    hedgeAfterMs: 150,
    maxTotalMs: 4000,
    failureThreshold: 3,
    cooldownMs: 60_000,
  };
  const hedges = (common: Common, labels: Record<string, string> = {}) =>
    metricValue(common, 'cb_rpc_hedges_total', labels);

  /** Runs `run` and returns the unhandled rejections seen meanwhile (and in the next 50 ms). */
  async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await run();
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    return seen;
  }

  /**
   * Makes calls one after another until one was sent to `hung` (the first pick is random), and
   * returns how long that one took and what it answered.
   */
  async function untilOneMeets(hung: DelayingProxy, call: () => Promise<unknown>) {
    for (let i = 0; i < 100; i++) {
      const before = hung.methods.length;
      const t0 = performance.now();
      const answer = await call();
      if (hung.methods.length > before) return { ms: performance.now() - t0, answer };
    }
    throw new Error('no call was sent to the hung endpoint in 100 tries');
  }

  test('default: a hung endpoint costs a read hedgeAfterMs, not the timeout; its timeouts still open its circuit', async () => {
    const hung = await proxyOfA('never');
    const { pool, common, count } = setup(
      [
        { name: 'hung', url: hung.url },
        { name: 'a', url: a.url },
      ],
      HEDGED,
    );
    const head = await a.rpc('eth_blockNumber');
    const unhandled = await unhandledDuring(async () => {
      const metHung: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { ms, answer } = await untilOneMeets(hung, () => pool.request({ method: 'eth_blockNumber' }));
        expect(answer).toBe(head);
        metHung.push(ms);
      }
      // Each waited the hedge delay, then node a answered: far from the 1.5 s timeout.
      for (const ms of metHung) {
        expect(ms).toBeGreaterThanOrEqual(145);
        expect(ms).toBeLessThan(750);
      }
      expect(hung.methods).toEqual(['eth_blockNumber', 'eth_blockNumber', 'eth_blockNumber']);
      expect(await hedges(common, { endpoint: 'a', result: 'won' })).toBe(3);
      expect(await hedges(common, { result: 'lost' })).toBe(0);
      // The losing attempts ran on in the background: each timed out, was counted, and the third
      // failure in a row opened the hung endpoint's circuit.
      await until(() => pool.health()[0]?.circuit === 'open', 2 * (HEDGED.timeoutMs as number));
      expect(await count('hung', 'timeout')).toBe(3);
      expect(pool.health()[0]).toMatchObject({
        up: false,
        consecutiveFailures: 3,
        inFlight: 0,
        lastError: 'no answer within 1500 ms',
      });
    });
    expect(unhandled).toEqual([]);
  });

  test('behavior: a hedge to a hung endpoint loses to a slow answer; both directions are counted, no loser surfaces', async () => {
    const slow = await proxyOfA(300);
    const hung = await proxyOfA('never');
    const { pool, common, count } = setup(
      [
        { name: 'slow', url: slow.url },
        { name: 'hung', url: hung.url },
      ],
      { ...HEDGED, failureThreshold: 100 },
    );
    const head = await a.rpc('eth_blockNumber');
    const unhandled = await unhandledDuring(async () => {
      // slow first: hedged to hung at 150 ms, slow answers at ~300 ms → the hedge lost;
      // hung first: hedged to slow at 150 ms, which answers at ~450 ms → the hedge won.
      for (let i = 0; i < 40; i++) {
        if ((await hedges(common, { endpoint: 'hung', result: 'lost' })) > 0)
          if ((await hedges(common, { endpoint: 'slow', result: 'won' })) > 0) break;
        const t0 = performance.now();
        expect(await pool.request({ method: 'eth_blockNumber' })).toBe(head);
        expect(performance.now() - t0).toBeLessThan(900);
      }
      expect(await hedges(common, { endpoint: 'hung', result: 'lost' })).toBeGreaterThan(0);
      expect(await hedges(common, { endpoint: 'slow', result: 'won' })).toBeGreaterThan(0);
      expect(await hedges(common, { endpoint: 'slow', result: 'lost' })).toBe(0);
      expect(await hedges(common, { endpoint: 'hung', result: 'won' })).toBe(0);
      // Every call was hedged once: each sent one request to each endpoint.
      expect(slow.methods.length).toBe(hung.methods.length);
      // Every request the hung endpoint got times out in the background and is counted.
      await until(
        async () => (await count('hung', 'timeout')) === hung.methods.length,
        2 * (HEDGED.timeoutMs as number),
      );
      expect(await count('slow', 'ok')).toBe(slow.methods.length);
    });
    expect(unhandled).toEqual([]);
  });

  test.each([
    { why: 'eth_getLogs (large answers)', method: 'eth_getLogs', hedgeAfterMs: 100 },
    { why: 'hedgeAfterMs 0 (off)', method: 'eth_blockNumber', hedgeAfterMs: 0 },
    { why: 'a hedgeAfterMs not below the timeout', method: 'eth_blockNumber', hedgeAfterMs: 600 },
  ])(
    'behavior: no hedge for $why — a call meeting the hung endpoint waits the timeout, then fails over',
    async ({ method, hedgeAfterMs }) => {
      const hung = await proxyOfA('never');
      const { pool, common, count } = setup(
        [
          { name: 'hung', url: hung.url },
          { name: 'a', url: a.url },
        ],
        { timeoutMs: 600, hedgeAfterMs, maxTotalMs: 3000, failureThreshold: 100 },
      );
      const params = method === 'eth_getLogs' ? [{ fromBlock: '0x0', toBlock: 'latest' }] : [];
      const expected = await a.rpc(method, params);
      const { ms, answer } = await untilOneMeets(hung, () => pool.request({ method, params }));
      expect(answer).toEqual(expected);
      expect(ms).toBeGreaterThanOrEqual(600);
      expect(await count('hung', 'timeout')).toBe(1);
      expect(await hedges(common)).toBe(0);
    },
  );

  test('behavior: eth_sendRawTransaction is never hedged — a send meeting the hung endpoint waits the timeout, then fails over', async () => {
    const hung = await proxyOfA('never');
    const { pool, common } = setup(
      [
        { name: 'hung', url: hung.url },
        { name: 'a', url: a.url },
      ],
      { timeoutMs: 600, hedgeAfterMs: 100, maxTotalMs: 3000, failureThreshold: 100 },
    );
    const account = privateKeyToAccount(DEV_KEY);
    let nonce = Number(await a.rpc('eth_getTransactionCount', [account.address, 'pending']));
    let raw: `0x${string}` = '0x';
    const { ms, answer } = await untilOneMeets(hung, async () => {
      raw = await account.signTransaction({
        chainId: a.chainId,
        nonce: nonce++,
        to: SOMEONE,
        value: 1n,
        gas: 21_000n,
        maxFeePerGas: 10n ** 11n,
        maxPriorityFeePerGas: 10n ** 9n,
      });
      return pool.request({ method: 'eth_sendRawTransaction', params: [raw] });
    });
    expect(ms).toBeGreaterThanOrEqual(600);
    expect(answer).toBe(keccak256(raw));
    expect(await a.rpc('eth_getTransactionReceipt', [answer])).toMatchObject({ status: '0x1' });
    expect(hung.methods).toEqual(['eth_sendRawTransaction']);
    expect(await hedges(common)).toBe(0);
  });

  test('behavior: answers faster than the hedge delay send no hedge (one request per call)', async () => {
    const [pa, pb] = [
      await startDelayingProxy(a.url, { delayMs: 0 }),
      await startDelayingProxy(b.url, { delayMs: 0 }),
    ];
    proxies.push(pa, pb);
    const { pool, common, count } = setup(
      [
        { name: 'a', url: pa.url },
        { name: 'b', url: pb.url },
      ],
      { ...HEDGED, hedgeAfterMs: 1000 },
    );
    await load(pool, 60);
    for (let i = 0; i < 20; i++) await pool.request({ method: 'eth_blockNumber' });
    expect(pa.methods.length + pb.methods.length).toBe(80);
    expect(pa.methods.length).toBeGreaterThan(0);
    expect(pb.methods.length).toBeGreaterThan(0);
    expect((await count('a', 'ok')) + (await count('b', 'ok'))).toBe(80);
    expect(await hedges(common)).toBe(0);
  });

  test("behavior: the caller's abort stops the attempt and its hedge, and says nothing about either endpoint", async () => {
    const slow = await proxyOfA(3000);
    const hung = await proxyOfA('never');
    const { pool, common } = setup(
      [
        { name: 'slow', url: slow.url },
        { name: 'hung', url: hung.url },
      ],
      HEDGED,
    );
    const reason = new Error('caller gave up');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 600);
    const t0 = performance.now();
    await expect(pool.request({ method: 'eth_blockNumber' }, { signal: controller.signal })).rejects.toBe(
      reason,
    );
    // Not the hung endpoint's timeout (1.5 s) nor the slow one's answer (3 s).
    expect(performance.now() - t0).toBeLessThan(1200);
    await until(() => slow.methods.length + hung.methods.length === 2, 1000); // the attempt and its hedge
    expect(await hedges(common, { result: 'lost' })).toBe(1);
    await until(() => pool.health().every((h) => h.inFlight === 0), 500);
    for (const h of pool.health()) expect(h).toMatchObject({ consecutiveFailures: 0, circuit: 'closed' });
  });
});

/** The rejection reason of `promise`; fails when it resolves. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary error fields
function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function balance2(pool: RpcPool, signal: AbortSignal) {
  return pool.request({ method: 'eth_getBalance', params: [SOMEONE, 'latest'] }, { signal });
}
