/**
 * The badge contract's AccessControl roles that cb manages, by the names the CLI takes: `admin`
 * (DEFAULT_ADMIN_ROLE: grants and revokes roles, revokes badges, sets the base URI) and `minter`
 * (MINTER_ROLE: mints). The contract has no other role.
 */
import { type Hex, zeroHash } from 'viem';
import { MINTER_ROLE } from '../minter/index.ts';

export const BADGE_ROLE_NAMES = ['admin', 'minter'] as const;

/** A role by its CLI name. */
export type BadgeRoleName = (typeof BADGE_ROLE_NAMES)[number];

export interface BadgeRole {
  name: BadgeRoleName;
  /** The contract's constant, e.g. `MINTER_ROLE`. */
  label: 'DEFAULT_ADMIN_ROLE' | 'MINTER_ROLE';
  /** The role's bytes32 id (OpenZeppelin: DEFAULT_ADMIN_ROLE is 0x00…00, MINTER_ROLE keccak256("MINTER_ROLE")). */
  id: Hex;
}

export const BADGE_ROLES: Readonly<Record<BadgeRoleName, BadgeRole>> = Object.freeze({
  admin: { name: 'admin', label: 'DEFAULT_ADMIN_ROLE', id: zeroHash },
  minter: { name: 'minter', label: 'MINTER_ROLE', id: MINTER_ROLE },
});

/** The role named `raw` (`admin` or `minter`), or undefined. */
export function badgeRoleNamed(raw: string): BadgeRole | undefined {
  return (BADGE_ROLE_NAMES as readonly string[]).includes(raw)
    ? BADGE_ROLES[raw as BadgeRoleName]
    : undefined;
}
