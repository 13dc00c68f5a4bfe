/**
 * Addresses as governance stores them: lower-case 0x + 40 hex (like `badge_ownership.owner`).
 * Mixed case must be a valid EIP-55 checksum, as everywhere in the platform.
 */
import { normalizeAddress } from '../achievements/index.ts';
import { badRequest } from './errors.ts';

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** The stored form of `input`, or a 400 GOV_BAD_ADDRESS naming `path`. */
export function memberAddress(input: unknown, path: string): string {
  const address = normalizeAddress(input);
  if (!address)
    throw badRequest('GOV_BAD_ADDRESS', `${path} is not an address`, [
      { path, message: 'a 0x address of 40 hex digits (mixed case must be a valid EIP-55 checksum)' },
    ]);
  return address;
}

const UINT = /^\d{1,77}$/;

/** A uint256 given as a decimal string or a safe integer, or a 400 GOV_REQUEST_INVALID naming `path`. */
export function uint(input: unknown, path: string): bigint {
  if (typeof input === 'number' && Number.isSafeInteger(input) && input >= 0) return BigInt(input);
  if (typeof input === 'string' && UINT.test(input)) return BigInt(input);
  throw badRequest(
    'GOV_REQUEST_INVALID',
    `${path} must be a whole number ≥ 0 (a decimal string for large ones)`,
    [{ path, message: 'a whole number ≥ 0' }],
  );
}
