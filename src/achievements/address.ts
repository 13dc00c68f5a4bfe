import { isAddress } from 'viem';

/**
 * A member address as stored: lower-case `0x` + 40 hex. Accepted in any case; a mixed-case
 * address must carry a valid EIP-55 checksum (a typo in a checksummed address is caught, not
 * silently accepted). Returns undefined when invalid.
 */
export function normalizeAddress(input: unknown): string | undefined {
  if (typeof input !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(input)) return undefined;
  const body = input.slice(2);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && !isAddress(input, { strict: true })) return undefined;
  return input.toLowerCase();
}
