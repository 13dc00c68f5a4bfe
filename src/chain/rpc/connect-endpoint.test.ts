import { describe, expect, test } from 'vitest';
import { classifyThrown, parseHttpAnswer } from './connect-endpoint.ts';
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
