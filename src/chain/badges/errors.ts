/** Errors of the badge metadata route (codes listed in ERROR_CODES once added there). */
import { NotFoundError, ValidationError } from '../../platform/errors.ts';

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
