import { keccak256, stringToBytes } from 'viem';

/** Largest on-chain achievement id: the contract stores it in 64 bits next to the owner. */
export const MAX_ACHIEVEMENT_TOKEN_ID = 2n ** 64n - 1n;

/**
 * The on-chain `achievementId` of an achievement slug: the first 8 bytes of keccak256(UTF-8 slug),
 * read as a big-endian uint64. The minter writes it and the listener maps it back to the slug (keep a
 * `Map<bigint, slug>` of the catalogue), so both must use this function.
 *
 * Why 64 bits and not the whole hash: AchievementBadge packs it with the owner's address in one
 * storage slot, which is what keeps a 300-badge `mintBatch` under the per-transaction gas cap. Two
 * slugs collide with probability ≈ n²/2⁶⁵ (≈ 3·10⁻¹² for 10 000 achievements); a catalogue can check
 * its ids are distinct when it is saved.
 *
 * The slug is hashed as given (the catalogue's ids are already canonical: a-z 0-9 _ . -).
 * @throws TypeError when `slug` is empty.
 */
export function achievementTokenId(slug: string): bigint {
  if (slug.length === 0) throw new TypeError('achievementTokenId: the slug is empty');
  return BigInt(keccak256(stringToBytes(slug)).slice(0, 18));
}
