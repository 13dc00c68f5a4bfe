import { describe, expect, test } from 'vitest';
import { achievementTokenId, MAX_ACHIEVEMENT_TOKEN_ID } from './achievement-token-id.ts';

describe('achievementTokenId', () => {
  test('default: the first 8 bytes of keccak256(slug), as a uint64', () => {
    // keccak256("first-commit") = 0x139a37fc939386d529dc…: these values are on chain, never change them.
    expect(achievementTokenId('first-commit')).toBe(0x139a37fc939386d5n);
    expect(achievementTokenId('first-commit')).toBe(1412502991081277141n);
    expect(achievementTokenId('voter.gold')).toBe(13428730438239310224n);
  });

  test('behavior: stable, within 64 bits, and distinct across a realistic catalogue', () => {
    const slugs = Array.from({ length: 5000 }, (_, i) => `achievement-${i}`);
    const ids = slugs.map(achievementTokenId);
    expect(slugs.map(achievementTokenId)).toEqual(ids);
    expect(new Set(ids).size).toBe(slugs.length);
    for (const id of ids) expect(id >= 0n && id <= MAX_ACHIEVEMENT_TOKEN_ID).toBe(true);
    // Case and separators matter: the slug is hashed as given.
    expect(achievementTokenId('Voter')).not.toBe(achievementTokenId('voter'));
    // UTF-8 bytes (0xc3 0xbc), not UTF-16 code units.
    expect(achievementTokenId('ü')).toBe(0x9a31655163c1a9d4n);
  });

  test('error: an empty slug is refused', () => {
    expect(() => achievementTokenId('')).toThrow(TypeError);
  });
});
