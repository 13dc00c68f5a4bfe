/**
 * dryRunFailure against real failures: reverts from the dev chain (straight, and through the RPC
 * pool as in production) and geth's error answers over HTTP, and transport failures from real
 * sockets — a closed port, a server that never answers, an HTTP 503, the pool with no endpoint
 * answering.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import {
  createPublicClient,
  encodeErrorResult,
  http,
  type PublicClient,
  parseEther,
  type Transport,
} from 'viem';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DevChain, startDevChain } from '../chain/dev-chain.ts';
import { createRpcPool, type Eip1193Request, type RpcEndpoint, type RpcPool } from '../chain/rpc/index.ts';
import { freePort } from '../chain/rpc/test-support.ts';
import type { Common } from '../platform/common.ts';
import { loadConfig } from '../platform/config.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { createShutdown } from '../platform/shutdown.ts';
import { dryRunFailure } from './dry-run-failure.ts';

/** Code that reverts with Error("nope") whatever it is called with. */
const REVERTING_CODE = `0x6064600c60003960646000fd08c379a0${(32).toString(16).padStart(64, '0')}${(4)
  .toString(16)
  .padStart(64, '0')}${'6e6f7065'.padEnd(64, '0')}` as const;
const REVERTER = '0x00000000000000000000000000000000000c0de0';
/** Code that reverts with no data (PUSH1 0 PUSH1 0 REVERT). */
const BARE_REVERTER = '0x00000000000000000000000000000000000c0de1';
const EXECUTOR = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const SECRET = 'secret-key-123';

let chain: DevChain;
let closedPort: number;
let silent: Server;
let busy: HttpServer;
const pools: RpcPool[] = [];

beforeAll(async () => {
  chain = await startDevChain({ mode: 'in-process' });
  const request = chain.transport({ chain: chain.chain }).request;
  await request({ method: 'hardhat_setCode', params: [REVERTER, REVERTING_CODE] } as never);
  await request({ method: 'hardhat_setCode', params: [BARE_REVERTER, '0x60006000fd'] } as never);
  closedPort = await freePort();
  // Accepts connections, never answers: a hung node.
  silent = createServer(() => {});
  busy = createHttpServer((_req, res) => {
    res.writeHead(503);
    res.end('busy');
  });
  gethNode = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const { id } = JSON.parse(body) as { id: number };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id, error: gethAnswer }));
    });
  });
  await Promise.all(
    [silent, busy, gethNode].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.stop()));
  silent?.close();
  busy?.close();
  gethNode?.close();
  await chain?.stop();
});

const portOf = (s: Server | HttpServer) => (s.address() as { port: number }).port;

/**
 * The error objects geth answers an eth_call with (hardhat answers a revert with -32603 instead,
 * and does not check the sender's balance in a call).
 */
const geth = {
  revert: {
    code: 3,
    message: 'execution reverted: GovTarget: closed',
    data: encodeErrorResult({
      abi: [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }],
      errorName: 'Error',
      args: ['GovTarget: closed'],
    }),
  },
  unfunded: {
    code: -32000,
    message: `insufficient funds for gas * price + value: address ${EXECUTOR} have 0 want 100000000000000000000`,
  },
};
let gethNode: HttpServer;
let gethAnswer: unknown;

/** A transport to a JSON-RPC server answering every call with `error`, as geth would. */
function answering(error: unknown): Transport {
  gethAnswer = error;
  return http(`http://127.0.0.1:${portOf(gethNode)}/`, { retryCount: 0 });
}

function pool(endpoints: RpcEndpoint[]): RpcPool {
  const logger = createSilentLogger();
  const common: Common = {
    config: loadConfig({}),
    logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: 1000, logger }),
  };
  const p = createRpcPool({
    common,
    endpoints,
    options: { timeoutMs: 300, maxTotalMs: 1000, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
  });
  pools.push(p);
  return p;
}

/** What the executor's dry run throws over `transport` (as viemOnchainCaller's simulate calls it). */
async function dryRunError(transport: Transport, to: `0x${string}`, value = 0n): Promise<unknown> {
  const client = createPublicClient({ chain: chain.chain, transport }) as PublicClient;
  try {
    await client.call({ account: EXECUTOR, to, data: '0x12345678', value });
  } catch (err) {
    return err;
  }
  throw new Error('the dry run did not fail');
}

describe('dryRunFailure', () => {
  test('behavior: a revert with a reason, answered by the dev chain, is reverted with the reason', async () => {
    const failure = dryRunFailure(await dryRunError(chain.transport, REVERTER));
    expect(failure).toEqual({ kind: 'reverted', reason: expect.stringContaining("'nope'") });
  });

  test('behavior: a revert without data is reverted', async () => {
    expect(dryRunFailure(await dryRunError(chain.transport, BARE_REVERTER))).toEqual({
      kind: 'reverted',
      reason: expect.stringMatching(/reverted/i),
    });
  });

  test('behavior: a revert through the RPC pool (the production path) is reverted', async () => {
    const request = chain.transport({ chain: chain.chain }).request as Eip1193Request;
    const p = pool([{ name: 'dev', request }]);
    expect(dryRunFailure(await dryRunError(p.transport, REVERTER))).toEqual({
      kind: 'reverted',
      reason: expect.stringContaining("'nope'"),
    });
  });

  test('behavior: geth-style answers: code 3 "execution reverted" is reverted, "insufficient funds" unfunded', async () => {
    const reverted = await dryRunError(answering(geth.revert), REVERTER);
    expect(dryRunFailure(reverted)).toEqual({
      kind: 'reverted',
      reason: expect.stringContaining('GovTarget: closed'),
    });
    const unfunded = await dryRunError(answering(geth.unfunded), REVERTER, parseEther('100'));
    expect(dryRunFailure(unfunded)).toEqual({
      kind: 'unfunded',
      reason: expect.stringContaining('insufficient funds for gas * price + value'),
    });
  });

  test('error: the RPC pool with no endpoint answering (CB_RPC_UNAVAILABLE) is unavailable, never reverted', async () => {
    const p = pool([{ name: 'closed', url: `http://127.0.0.1:${closedPort}/${SECRET}` }]);
    const failure = dryRunFailure(await dryRunError(p.transport, REVERTER));
    expect(failure).toEqual({
      kind: 'unavailable',
      reason: expect.stringContaining('no RPC endpoint answered (closed:'),
    });
    expect(JSON.stringify(failure)).not.toContain(SECRET);
  });

  test('error: the pool whose endpoint never answers (timeouts) is unavailable', async () => {
    const p = pool([{ name: 'hung', url: `http://127.0.0.1:${portOf(silent)}/` }]);
    expect(dryRunFailure(await dryRunError(p.transport, REVERTER))).toMatchObject({ kind: 'unavailable' });
  });

  test('error: viem transports: connection refused, timeout, HTTP 503 are unavailable, without the URL', async () => {
    const refused = dryRunFailure(
      await dryRunError(http(`http://127.0.0.1:${closedPort}/${SECRET}`, { retryCount: 0 }), REVERTER),
    );
    expect(refused).toEqual({ kind: 'unavailable', reason: 'HTTP request failed.' });
    const timeout = dryRunFailure(
      await dryRunError(
        http(`http://127.0.0.1:${portOf(silent)}/`, { retryCount: 0, timeout: 200 }),
        REVERTER,
      ),
    );
    expect(timeout).toEqual({ kind: 'unavailable', reason: 'The request took too long to respond.' });
    const status = dryRunFailure(
      await dryRunError(http(`http://127.0.0.1:${portOf(busy)}/${SECRET}`, { retryCount: 0 }), REVERTER),
    );
    expect(status).toEqual({ kind: 'unavailable', reason: 'HTTP request failed. Status: 503' });
  });

  test('behavior: a failure that is neither (a bug in a caller) is unknown', () => {
    expect(dryRunFailure(new TypeError("Cannot read properties of undefined (reading 'to')"))).toEqual({
      kind: 'unknown',
    });
    expect(dryRunFailure('a string')).toEqual({ kind: 'unknown' });
  });
});
