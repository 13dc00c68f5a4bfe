import { describe, expect, test } from 'vitest';
import { backoffDelayMs } from './backoff.ts';
import { methodLabel } from './method-label.ts';
import { describeFailure, scrubUrls } from './safe-reason.ts';

describe('scrubUrls / describeFailure', () => {
  test('default: known URLs and any other URL are removed, credentials redacted', () => {
    const url = 'https://eth-mainnet.example.com/v2/AbCdEf123456';
    expect(scrubUrls(`failed at ${url} and at http://other.example/?apikey=zzz`, [url])).toBe(
      'failed at [url] and at [url]',
    );
    expect(scrubUrls('token=abc cbk_abcdefghijk')).not.toContain('abcdefghijk');
  });

  test('behavior: a long reason is cut', () => {
    expect(scrubUrls('x'.repeat(500)).length).toBe(200);
  });

  test('default: name and short message of an error; a network error by its code', () => {
    const error = Object.assign(new Error('long text URL: https://h/key'), {
      shortMessage: 'HTTP request failed.',
    });
    expect(describeFailure(error)).toBe('Error: HTTP request failed.');
    expect(describeFailure(Object.assign(error, { cause: { code: 'ECONNRESET' } }))).toBe(
      'connection failed (ECONNRESET)',
    );
  });
});

describe('methodLabel', () => {
  test.each([
    ['eth_getLogs', 'eth_getLogs'],
    ['hardhat_mine', 'hardhat_mine'],
    ['debug_traceTransaction', 'debug_traceTransaction'],
    ['eth_getBalance"} 0x', 'other'],
    ['Not A Method', 'other'],
    ['eth_', 'other'],
    [`eth_${'a'.repeat(80)}`, 'other'],
  ])('%s → %s', (method, label) => {
    expect(methodLabel(method)).toBe(label);
  });
});

describe('backoffDelayMs', () => {
  test('default: exponential, capped, half of it jitter', () => {
    const options = { baseMs: 50, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, options, () => 0))).toEqual([
      25, 50, 100, 200, 400, 500,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, options, () => 1))).toEqual([
      50, 100, 200, 400, 800, 1000,
    ]);
  });
});
