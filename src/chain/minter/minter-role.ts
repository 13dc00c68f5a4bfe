/** The AccessControl role a minter account needs on the badge contract, and the check for it. */
import { type Address, keccak256, type PublicClient, stringToBytes } from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';

export const MINTER_ROLE = keccak256(stringToBytes('MINTER_ROLE'));

/** `hasRole(MINTER_ROLE, account)` on the badge; the node's errors reach the caller as they are. */
export function hasMinterRole(
  client: Pick<PublicClient, 'readContract'>,
  badgeAddress: Address,
  account: Address,
): Promise<boolean> {
  return client.readContract({
    address: badgeAddress,
    abi: achievementBadgeAbi,
    functionName: 'hasRole',
    args: [MINTER_ROLE, account],
  });
}
