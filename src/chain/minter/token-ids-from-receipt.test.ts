import { type Address, encodeEventTopics, type Hex, type Log, numberToHex, pad } from 'viem';
import { describe, expect, test } from 'vitest';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { MINTER_ERROR_CODES } from './errors.ts';
import { tokenIdsFromReceipt } from './token-ids-from-receipt.ts';

const BADGE: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const OTHER: Address = '0x00000000000000000000000000000000000000bb';
const A = '0x1111111111111111111111111111111111111111';
const B = '0x2222222222222222222222222222222222222222';

const minted = (tokenId: bigint, to: string, slug: string, address: Address = BADGE) =>
  ({
    address,
    topics: encodeEventTopics({
      abi: achievementBadgeAbi,
      eventName: 'BadgeMinted',
      args: { tokenId, to: to as Address, achievementId: achievementTokenId(slug) },
    }) as [Hex, ...Hex[]],
    data: '0x',
  }) as unknown as Log;
const transfer = (tokenId: bigint) =>
  ({
    address: BADGE,
    topics: [
      '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
      pad('0x0'),
      pad(A),
      pad(numberToHex(tokenId)),
    ],
    data: '0x',
  }) as unknown as Log;
const receipt = (logs: Pick<Log, 'address' | 'topics'>[]) => ({
  logs,
  transactionHash: `0x${'ab'.repeat(32)}` as Hex,
});

describe('tokenIdsFromReceipt', () => {
  test('default: consecutive ids in request order, other events and contracts ignored', () => {
    const logs = [transfer(7n), minted(8n, B, 'y'), minted(99n, A, 'x', OTHER), minted(7n, A, 'x')];
    const ids = tokenIdsFromReceipt(receipt(logs), BADGE, [
      { userAddress: A, achievementId: 'x' },
      { userAddress: B.toUpperCase().replace('0X', '0x'), achievementId: 'y' },
    ]);
    expect(ids).toEqual([7n, 8n]);
  });

  test('error: a log that does not match its request: CHAIN_MINTER_RECEIPT_MISMATCH', () => {
    const logs = [minted(1n, B, 'x'), minted(2n, A, 'y')];
    expect(() =>
      tokenIdsFromReceipt(receipt(logs), BADGE, [
        { userAddress: A, achievementId: 'x' },
        { userAddress: B, achievementId: 'y' },
      ]),
    ).toThrow(expect.objectContaining({ code: MINTER_ERROR_CODES.receiptMismatch }));
  });

  test('error: fewer logs than requests: CHAIN_MINTER_RECEIPT_MISMATCH', () => {
    expect(() =>
      tokenIdsFromReceipt(receipt([minted(1n, A, 'x')]), BADGE, [
        { userAddress: A, achievementId: 'x' },
        { userAddress: B, achievementId: 'y' },
      ]),
    ).toThrow(/1 BadgeMinted logs for 2 requests/);
  });
});
