/** Errors of the badge routes (codes listed in ERROR_CODES, src/api/errors.ts). */
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.ts';

/** `CHAIN_BADGE_NOT_FOUND` (404): no badge with this token id (never minted, or revoked). */
export function badgeNotFound(tokenId: string, revoked: boolean): NotFoundError {
  return new NotFoundError(
    revoked ? `badge ${tokenId} was revoked` : `no badge ${tokenId}`,
    'CHAIN_BADGE_NOT_FOUND',
    {
      tokenId,
    },
  );
}

/** `CHAIN_BAD_TOKEN_ID` (400): not a whole number from 1 to 2^256 − 1. */
export function badTokenId(raw: string): ValidationError {
  return new ValidationError(
    `token id must be a whole number from 1 to 2^256-1, got "${raw.slice(0, 80)}"`,
    [{ path: 'params.tokenId', message: 'a whole number from 1 to 2^256-1' }],
    'CHAIN_BAD_TOKEN_ID',
  );
}

/** `CHAIN_BAD_ADDRESS` (400): not a 0x address (or a mixed-case one with a wrong checksum). */
export function badAddress(raw: string): ValidationError {
  return new ValidationError(
    `"${raw.slice(0, 80)}" is not an address`,
    [
      {
        path: 'params.address',
        message: 'a 0x address of 40 hex digits (mixed case must be a valid EIP-55 checksum)',
      },
    ],
    'CHAIN_BAD_ADDRESS',
  );
}

/** `CHAIN_BLOCK_NOT_INDEXED` (409): the block is above the listener's processed block (or it never ran). */
export function blockNotIndexed(
  block: bigint | undefined,
  processedBlock: bigint | undefined,
): ConflictError {
  return new ConflictError(
    'CHAIN_BLOCK_NOT_INDEXED',
    processedBlock === undefined
      ? 'the chain listener has not processed any block yet'
      : `block ${block} is above the last block the chain listener processed (${processedBlock})`,
    { details: { block: block?.toString() ?? null, processedBlock: processedBlock?.toString() ?? null } },
  );
}
