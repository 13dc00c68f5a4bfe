/**
 * The call that grants or revokes a badge role, for an admin that signs elsewhere (a Safe
 * multisig, a hardware wallet): `to` the badge contract, `data` the ABI-encoded
 * `grantRole(role, account)` / `revokeRole(role, account)`, value 0.
 */
import { type Address, encodeFunctionData, type Hex } from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import type { BadgeRole } from './badge-roles.ts';

/** What a role change does to an account. */
export type RoleAction = 'grant' | 'revoke';

export interface RoleChangeCalldata {
  to: Address;
  data: Hex;
  /** Wei; always 0. */
  value: '0';
  functionName: 'grantRole' | 'revokeRole';
  /** One line saying what the call does, e.g. `revokeRole(MINTER_ROLE, 0x…) on the badge 0x…`. */
  explanation: string;
}

export function roleChangeCalldata(
  badgeAddress: Address,
  action: RoleAction,
  role: BadgeRole,
  account: Address,
): RoleChangeCalldata {
  const functionName = action === 'grant' ? 'grantRole' : 'revokeRole';
  const data = encodeFunctionData({ abi: achievementBadgeAbi, functionName, args: [role.id, account] });
  const what = action === 'grant' ? `gives ${account} ${role.label}` : `takes ${role.label} from ${account}`;
  return {
    to: badgeAddress,
    data,
    value: '0',
    functionName,
    explanation: `${functionName}(${role.label}, ${account}) on the badge contract ${badgeAddress}: ${what}; the sender must hold DEFAULT_ADMIN_ROLE, value 0`,
  };
}
