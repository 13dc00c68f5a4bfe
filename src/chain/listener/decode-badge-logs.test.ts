import { decodeEventLog, type Hex, numberToHex, pad } from 'viem';
import { describe, expect, test } from 'vitest';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import type { RpcLog } from './chain-rpc.ts';
import { isTooLargeError, suggestedRangeSize } from './chain-rpc.ts';
import { BADGE_MINTED_TOPIC, BADGE_REVOKED_TOPIC, decodeBadgeLogs } from './decode-badge-logs.ts';
import { createLimiter } from './limiter.ts';

const word = (n: bigint) => pad(numberToHex(n), { size: 32 }) as Hex;
const holder = '0x00000000000000000000000000000000DeaDBeef';
const log = (topic0: Hex, block: number, index: number, extra: Partial<RpcLog> = {}): RpcLog => ({
  address: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  topics: [
    topic0,
    word(BigInt(index + 1)),
    pad(holder.toLowerCase() as Hex, { size: 32 }),
    word(2n ** 64n - 1n),
  ],
  data: '0x',
  blockNumber: numberToHex(block),
  blockHash: `0x${'ab'.repeat(32)}`,
  transactionHash: `0x${'cd'.repeat(32)}`,
  logIndex: numberToHex(index),
  ...extra,
});

describe('decodeBadgeLogs', () => {
  test('default: agrees with viem decodeEventLog on both events', () => {
    for (const [topic, name] of [
      [BADGE_MINTED_TOPIC, 'BadgeMinted'],
      [BADGE_REVOKED_TOPIC, 'BadgeRevoked'],
    ] as const) {
      const raw = log(topic, 7, 4);
      const [mine] = decodeBadgeLogs([raw]);
      const viem = decodeEventLog({
        abi: achievementBadgeAbi,
        data: raw.data,
        topics: raw.topics as [Hex, ...Hex[]],
      });
      expect(viem.eventName).toBe(name);
      const args = viem.args as { tokenId: bigint; achievementId: bigint; to?: string; owner?: string };
      expect(mine).toEqual({
        event: name,
        tokenId: args.tokenId,
        holder: (args.to ?? args.owner)!.toLowerCase(),
        achievementKey: args.achievementId,
        blockNumber: 7n,
        blockHash: raw.blockHash,
        txHash: raw.transactionHash,
        logIndex: 4,
        blockTimestamp: undefined,
      });
    }
  });

  test('behavior: skips other and removed logs, keeps a sent block time, puts events in chain order', () => {
    const events = decodeBadgeLogs([
      log(BADGE_MINTED_TOPIC, 9, 1),
      log(`0x${'00'.repeat(32)}`, 8, 0),
      log(BADGE_MINTED_TOPIC, 8, 5, { blockTimestamp: '0x10' }),
      log(BADGE_REVOKED_TOPIC, 8, 2, { removed: true }),
    ]);
    expect(events.map((e) => [e.blockNumber, e.logIndex, e.blockTimestamp])).toEqual([
      [8n, 5, 16n],
      [9n, 1, undefined],
    ]);
  });

  test('error: a badge log without its three indexed arguments', () => {
    expect(() => decodeBadgeLogs([log(BADGE_MINTED_TOPIC, 1, 0, { topics: [BADGE_MINTED_TOPIC] })])).toThrow(
      /has 1 topics/,
    );
  });
});

describe('isTooLargeError / suggestedRangeSize', () => {
  test('default: the refusals of common nodes and viem', () => {
    for (const message of [
      'query returned more than 10000 results',
      'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range',
      'exceed maximum block range: 5000',
      'block range is too wide',
      'response size should not greater than 10000000 bytes',
      'HTTP request failed. Status: 413',
    ])
      expect(isTooLargeError(new Error('outer', { cause: new Error(message) })), message).toBe(true);
    expect(isTooLargeError(Object.assign(new Error('x'), { name: 'ResponseBodyTooLargeError' }))).toBe(true);
    expect(isTooLargeError(Object.assign(new Error('limit'), { code: -32005 }))).toBe(true);
    expect(isTooLargeError(new Error('execution reverted'))).toBe(false);
    expect(isTooLargeError(new Error('fetch failed'))).toBe(false);
  });

  test('behavior: a suggested range gives the chunk size', () => {
    expect(
      suggestedRangeSize(new Error('Log response size exceeded. this block range should work: [0x10, 0x2f]')),
    ).toBe(32n);
    expect(suggestedRangeSize(new Error('too large'))).toBeUndefined();
  });
});

describe('createLimiter', () => {
  test('default: never more than n at once, all complete, in order of arrival', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        limit(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toHaveLength(8);
    // A newcomer never slips past a waiter once a slot is handed over.
    const late = createLimiter(1);
    const seen: string[] = [];
    const a = late(async () => {
      await Promise.resolve();
      seen.push('a');
    });
    const b = late(async () => void seen.push('b'));
    await a;
    const c = late(async () => void seen.push('c'));
    await Promise.all([b, c]);
    expect(seen).toEqual(['a', 'b', 'c']);
    // An urgent call waits ahead of the others.
    const order2: string[] = [];
    const first = late(async () => {
      await new Promise((r) => setTimeout(r, 5));
      order2.push('first');
    });
    const normal = late(async () => void order2.push('normal'));
    const urgent = late(async () => void order2.push('urgent'), { urgent: true });
    await Promise.all([first, normal, urgent]);
    expect(order2).toEqual(['first', 'urgent', 'normal']);
    // The slot of a finished call goes to the urgent calls its caller makes right after (a range's
    // header reads after its eth_getLogs), ahead of calls that were already waiting.
    const order3: string[] = [];
    const logs = late(async () => {
      await new Promise((r) => setTimeout(r, 5));
      order3.push('logs');
    }).then(() => late(async () => void order3.push('headers'), { urgent: true }));
    const nextLogs = late(async () => void order3.push('next logs'));
    await Promise.all([logs, nextLogs]);
    expect(order3).toEqual(['logs', 'headers', 'next logs']);
  });
});
