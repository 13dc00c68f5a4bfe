import { type Address, encodeEventTopics, type Hex } from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';

const BADGE_MINTED = encodeEventTopics({ abi: achievementBadgeAbi, eventName: 'BadgeMinted' })[0];

/**
 * The token id of each request of a mined `mintBatch`, in the batch's order. `mintBatch` gives
 * consecutive ids from its firstTokenId in argument order, so request i got firstTokenId + i; each
 * BadgeMinted log is checked against its request (recipient and achievement id).
 * `keyOf` maps a slug to its on-chain id (`achievementTokenId`, which a caller may memoise).
 * @throws MinterError CHAIN_MINTER_RECEIPT_MISMATCH when the logs do not match the requests.
 */
export function tokenIdsFromReceipt(
  receipt: { logs: readonly { address: string; topics: readonly Hex[] }[]; transactionHash: Hex },
  badgeAddress: Address,
  requests: readonly { userAddress: string; achievementId: string }[],
  keyOf: (slug: string) => bigint = achievementTokenId,
): bigint[] {
  // Every BadgeMinted field is indexed: read the topics directly (a 300-mint receipt has 900 logs,
  // and full ABI decoding of all of them costs more than the rest of the confirmation).
  const badge = badgeAddress.toLowerCase();
  const minted = new Map<bigint, { to: string; achievementId: bigint }>();
  let first: bigint | undefined;
  for (const log of receipt.logs) {
    const [topic0, tokenTopic, toTopic, achievementTopic] = log.topics;
    if (topic0?.toLowerCase() !== BADGE_MINTED || !tokenTopic || !toTopic || !achievementTopic) continue;
    // Plain comparison: viem's isAddressEqual checksums both sides (two keccaks per log).
    if (log.address.toLowerCase() !== badge) continue;
    const tokenId = BigInt(tokenTopic);
    minted.set(tokenId, {
      to: `0x${toTopic.slice(26).toLowerCase()}`,
      achievementId: BigInt(achievementTopic),
    });
    if (first === undefined || tokenId < first) first = tokenId;
  }
  const mismatch = (why: string) =>
    new MinterError(
      MINTER_ERROR_CODES.receiptMismatch,
      `transaction ${receipt.transactionHash}: ${why}; its requests stay submitted (check the contract at ${badgeAddress})`,
    );
  if (minted.size !== requests.length || first === undefined)
    throw mismatch(`${minted.size} BadgeMinted logs for ${requests.length} requests`);
  const start = first;
  return requests.map((request, i) => {
    const tokenId = start + BigInt(i);
    const log = minted.get(tokenId);
    if (!log) throw mismatch(`no BadgeMinted log for token ${tokenId}`);
    if (log.to !== request.userAddress.toLowerCase())
      throw mismatch(`token ${tokenId} went to ${log.to}, expected ${request.userAddress}`);
    if (log.achievementId !== keyOf(request.achievementId))
      throw mismatch(
        `token ${tokenId} is for achievement ${log.achievementId}, expected ${request.achievementId}`,
      );
    return tokenId;
  });
}
