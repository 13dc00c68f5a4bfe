import { describe, expect, test } from 'vitest';
import { progressLine } from './cli-reconcile-chain.ts';

describe('cb reconcile chain progress', () => {
  test('default: token reads as a count and a percentage', () => {
    expect(progressLine({ phase: 'tokens', tokensRead: 12_800, tokens: 50_000 })).toBe(
      'read 12800 of 50000 tokens from the chain (25 %)',
    );
  });

  test('behavior: --fix reading history says how far in the block range it got', () => {
    expect(
      progressLine({ phase: 'history', doneBlock: 1_049n, fromBlock: 1_000n, toBlock: 1_199n, events: 7 }),
    ).toBe(
      '--fix: read the history of the tokens to rebuild up to block 1049 of 1000..1199 (25 %), 7 events',
    );
  });

  test('edge: an empty contract is 100 %, not a division by zero', () => {
    expect(progressLine({ phase: 'tokens', tokensRead: 0, tokens: 0 })).toContain('(100 %)');
  });
});
