import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { classifyThrown, connectEndpoint, MAX_BATCH, parseHttpAnswer } from './connect-endpoint.ts';
import { RpcResponseError, TransportFailure } from './errors.ts';

const body = (value: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, ...(value as object) });

function outcome(run: () => unknown) {
  try {
    return { result: run() };
  } catch (error) {
    if (error instanceof RpcResponseError) return { answer: { code: error.code, message: error.message } };
    if (error instanceof TransportFailure) return { failure: `${error.kind}: ${error.reason}` };
    throw error;
  }
}

describe('parseHttpAnswer', () => {
  test('default: a result', () => {
    expect(outcome(() => parseHttpAnswer('x', 200, body({ result: '0x1' })))).toEqual({ result: '0x1' });
    expect(outcome(() => parseHttpAnswer('x', 200, body({ result: null })))).toEqual({ result: null });
  });

  test.each([
    [200, { code: 3, message: 'execution reverted', data: '0x' }],
    [200, { code: -32000, message: 'nonce too low' }],
    [200, { code: -32005, message: 'query returned more than 10000 results' }],
    [400, { code: -32602, message: 'invalid params' }],
    [422, { code: -32602, message: 'invalid params' }],
  ])('behavior: HTTP %i with JSON-RPC error %j is the node’s answer', (status, error) => {
    expect(outcome(() => parseHttpAnswer('x', status, body({ error })))).toEqual({
      answer: { code: error.code, message: error.message },
    });
  });

  test('behavior: the answer keeps the node’s data and names the endpoint', () => {
    const error = (() => {
      try {
        parseHttpAnswer(
          'main',
          200,
          body({ error: { code: 3, message: 'execution reverted', data: '0xdead' } }),
        );
      } catch (e) {
        return e as RpcResponseError;
      }
    })();
    expect(error).toMatchObject({ code: 3, data: '0xdead', endpoint: 'main', name: 'RpcResponseError' });
    expect(error?.cause).toBeUndefined();
  });

  test.each([
    [503, '<html>bad gateway</html>', 'unavailable: HTTP 503'],
    [500, body({ error: { code: -32603, message: 'boom' } }), 'unavailable: HTTP 500 (JSON-RPC -32603)'],
    [429, body({ error: { code: -32005, message: 'slow down' } }), 'unavailable: HTTP 429 (JSON-RPC -32005)'],
    [401, body({ error: { code: -32600, message: 'bad key' } }), 'unavailable: HTTP 401 (JSON-RPC -32600)'],
    [
      200,
      body({ error: { code: 429, message: 'Too Many Requests' } }),
      'unavailable: rate limited (JSON-RPC 429)',
    ],
    [
      200,
      body({ error: { code: -32005, message: 'daily request count exceeded' } }),
      'unavailable: rate limited (JSON-RPC -32005)',
    ],
    [
      200,
      body({ error: { code: -32007, message: '10/second request limit reached' } }),
      'unavailable: rate limited (JSON-RPC -32007)',
    ],
    [200, 'not json', 'unavailable: HTTP 200 with a body that is not JSON'],
    [200, body({}), 'unavailable: answer is not a JSON-RPC response'],
  ])('behavior: HTTP %i %s is a transport failure', (status, text, expected) => {
    expect(outcome(() => parseHttpAnswer('x', status, text))).toEqual({ failure: expected });
  });
});

describe('classifyThrown', () => {
  test('default: an EIP-1193 provider error is the node’s answer', () => {
    const error = Object.assign(new Error('nonce too low'), { code: -32000, data: { x: 1 } });
    expect(classifyThrown('dev', error)).toMatchObject({
      name: 'RpcResponseError',
      code: -32000,
      data: { x: 1 },
    });
  });

  test('behavior: the deepest JSON-RPC error in a cause chain (viem wrappers) gives code and message', () => {
    const raw = { code: -32602, message: 'invalid value "0x12"', data: '0x' };
    const wrapped = Object.assign(new Error('RPC Request failed. URL: https://node/key123'), {
      code: -32602,
      cause: raw,
    });
    const outer = Object.assign(new Error('Invalid parameters were provided'), {
      code: -32602,
      cause: wrapped,
    });
    expect(classifyThrown('t', outer)).toMatchObject({
      code: -32602,
      message: 'invalid value "0x12"',
      data: '0x',
    });
  });

  test.each([
    [Object.assign(new Error('disconnected'), { code: 4900 }), 'unavailable: Error: disconnected'],
    [
      Object.assign(new Error('x'), { name: 'TimeoutError', shortMessage: 'The request took too long' }),
      'timeout',
    ],
    [
      Object.assign(new Error('HTTP request failed. URL: https://h/key'), { status: 502 }),
      'unavailable: HTTP 502',
    ],
    [
      new Error('socket hang up at wss://node.example/v3/key123'),
      'unavailable: Error: socket hang up at [url]',
    ],
    [
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      'unavailable: connection failed (ECONNREFUSED)',
    ],
    [
      Object.assign(new Error('An unknown RPC error occurred.'), {
        name: 'UnknownRpcError',
        code: -1,
        cause: {
          type: 'error',
          message: 'connect ECONNREFUSED 10.0.0.1:8546',
          error: { code: 'ECONNREFUSED' },
        },
      }),
      'unavailable: connection failed (ECONNREFUSED)',
    ],
    [
      Object.assign(new Error('An unknown RPC error occurred.'), {
        name: 'UnknownRpcError',
        code: -1,
        cause: { type: 'close' },
      }),
      'unavailable: socket close',
    ],
  ])('behavior: %s is a transport failure', (error, expected) => {
    const sorted = classifyThrown('t', error);
    expect(sorted).toBeInstanceOf(TransportFailure);
    const f = sorted as TransportFailure;
    expect(`${f.kind}${f.kind === 'timeout' ? '' : `: ${f.reason}`}`).toBe(expected);
    expect(f.reason).not.toContain('key123');
  });
});

/**
 * A JSON-RPC endpoint that records every request body and answers with `answer(body)`:
 * `{ status, body }` (body sent as JSON unless a string).
 */
async function fakeEndpoint(
  answer: (body: unknown) => { status?: number; body: unknown },
  onBatchesRefused?: () => void,
) {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as unknown;
      bodies.push(body);
      const out = answer(body);
      res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
      res.end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return {
    bodies,
    connection: connectEndpoint({ name: 'fake', url: `http://127.0.0.1:${port}/` }, { onBatchesRefused }),
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Call {
  id: number;
  method: string;
  params: unknown[];
}

/** Answers a call with its first param echoed back, or an error object for block 0x13. */
const echo = (c: Call) =>
  c.params[0] === '0x13'
    ? { jsonrpc: '2.0', id: c.id, error: { code: -32602, message: 'no such block' } }
    : { jsonrpc: '2.0', id: c.id, result: { number: c.params[0] } };

const header = (n: number) => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] });
const settle = (p: Promise<unknown>) =>
  p.then(
    (result) => ({ result }),
    (error: Error) => ({ error: `${error.name}: ${error.message}` }),
  );

describe('HTTP batches', () => {
  test('behavior: block reads sent together go out as one batch; each call gets its own answer, the error object its own', async () => {
    // Answers in reverse order: calls are matched by id, not position.
    const { bodies, connection } = await fakeEndpoint((body) => ({
      body: Array.isArray(body) ? (body as Call[]).map(echo).reverse() : echo(body as Call),
    }));
    const outcomes = await Promise.all(
      [0x11, 0x12, 0x13, 0x14].map((n) => settle(connection.send(header(n), { timeoutMs: 5000 }))),
    );
    expect(outcomes).toEqual([
      { result: { number: '0x11' } },
      { result: { number: '0x12' } },
      { error: 'RpcResponseError: no such block' },
      { result: { number: '0x14' } },
    ]);
    expect(bodies).toHaveLength(1);
    expect((bodies[0] as Call[]).map((c) => c.params[0])).toEqual(['0x11', '0x12', '0x13', '0x14']);
  });

  test('behavior: a lone call and calls of other methods (eth_getLogs, sends) are not batched', async () => {
    const { bodies, connection } = await fakeEndpoint((body) => ({
      body: Array.isArray(body) ? (body as Call[]).map(echo) : echo(body as Call),
    }));
    await connection.send(header(1), { timeoutMs: 5000 });
    await Promise.all([
      connection.send({ method: 'eth_getLogs', params: ['0x1'] }, { timeoutMs: 5000 }),
      connection.send({ method: 'eth_getLogs', params: ['0x2'] }, { timeoutMs: 5000 }),
      connection.send({ method: 'eth_sendRawTransaction', params: ['0x3'] }, { timeoutMs: 5000 }),
    ]);
    expect(bodies).toHaveLength(4);
    expect(bodies.some(Array.isArray)).toBe(false);
  });

  test(`behavior: more than ${MAX_BATCH} calls go out in batches of at most ${MAX_BATCH}`, async () => {
    const { bodies, connection } = await fakeEndpoint((body) => ({ body: (body as Call[]).map(echo) }));
    const n = MAX_BATCH + 50;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => connection.send(header(0x100 + i), { timeoutMs: 5000 })),
    );
    expect(results).toEqual(
      Array.from({ length: n }, (_, i) => ({ number: `0x${(0x100 + i).toString(16)}` })),
    );
    expect(bodies.map((b) => (b as Call[]).length)).toEqual([MAX_BATCH, 50]);
  });

  const refusal = { code: -32600, message: 'batch requests are not supported' };
  test.each([
    ['a single error object', () => ({ jsonrpc: '2.0', id: null, error: refusal })],
    [
      'an array of errors without ids',
      (calls: Call[]) => calls.map(() => ({ jsonrpc: '2.0', id: null, error: refusal })),
    ],
  ])(
    'behavior: an endpoint that refuses batches (%s) gets the calls one by one, then never a batch again (said once)',
    async (_shape, refuse) => {
      let said = 0;
      const { bodies, connection } = await fakeEndpoint(
        (body) => ({ body: Array.isArray(body) ? refuse(body as Call[]) : echo(body as Call) }),
        () => said++,
      );
      const send = () => Promise.all([1, 2, 3].map((n) => connection.send(header(n), { timeoutMs: 5000 })));
      expect(await send()).toEqual([{ number: '0x1' }, { number: '0x2' }, { number: '0x3' }]);
      expect(await send()).toEqual([{ number: '0x1' }, { number: '0x2' }, { number: '0x3' }]);
      expect(bodies.map((b) => (Array.isArray(b) ? 'batch' : 'single'))).toEqual([
        'batch',
        ...Array<string>(6).fill('single'),
      ]);
      expect(said).toBe(1);
    },
  );

  test('behavior: answers whose ids come back as strings (a proxy) are matched all the same', async () => {
    const { bodies, connection } = await fakeEndpoint((body) => ({
      body: (body as Call[]).map((c) => ({ ...echo(c), id: String(c.id) })),
    }));
    const results = await Promise.all([1, 2].map((n) => connection.send(header(n), { timeoutMs: 5000 })));
    expect(results).toEqual([{ number: '0x1' }, { number: '0x2' }]);
    expect(bodies).toHaveLength(1);
  });

  test.each([
    [503, '<html>bad gateway</html>', 'TransportFailure: HTTP 503'],
    [429, { error: { code: -32005, message: 'slow down' } }, 'TransportFailure: HTTP 429 (JSON-RPC -32005)'],
  ])('behavior: HTTP %i to a batch is every call’s transport failure', async (status, body, expected) => {
    const { connection } = await fakeEndpoint(() => ({ status, body }));
    const outcomes = await Promise.all(
      [1, 2].map((n) => settle(connection.send(header(n), { timeoutMs: 5000 }))),
    );
    expect(outcomes).toEqual([{ error: expected }, { error: expected }]);
  });

  test('behavior: a call the batch answer leaves out is a transport failure; the others are answered', async () => {
    const { connection } = await fakeEndpoint((body) => ({ body: (body as Call[]).slice(1).map(echo) }));
    const outcomes = await Promise.all(
      [1, 2].map((n) => settle(connection.send(header(n), { timeoutMs: 5000 }))),
    );
    expect(outcomes).toEqual([
      { error: 'TransportFailure: the batch answer has no response for a call' },
      { result: { number: '0x2' } },
    ]);
  });
});
