/**
 * On-chain achievement id (uint64, `achievementTokenId(slug)`) → catalogue entry, rebuilt only when
 * the catalogue's stamp changes. Shared by the listener (slugs in intake events) and the metadata
 * route (name, description, attributes).
 */
import type { Catalogue } from '../../achievements/index.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';

export type CatalogueEntry = Catalogue['entries'] extends ReadonlyMap<string, infer E> ? E : never;

export interface AchievementIndex {
  /** The entry whose slug hashes to `key`, if the catalogue has one. */
  byKey(key: bigint): Promise<CatalogueEntry | undefined>;
  /** The whole map (for a batch of lookups). */
  map(): Promise<ReadonlyMap<bigint, CatalogueEntry>>;
}

/** An index over `catalogue` (undefined: an empty catalogue). */
export function createAchievementIndex(catalogue: (() => Promise<Catalogue>) | undefined): AchievementIndex {
  let cached: { stamp: string; map: Map<bigint, CatalogueEntry> } | undefined;
  const map = async (): Promise<ReadonlyMap<bigint, CatalogueEntry>> => {
    if (!catalogue) return new Map();
    const c = await catalogue();
    if (cached?.stamp !== c.stamp) {
      const m = new Map<bigint, CatalogueEntry>();
      for (const [slug, entry] of c.entries) m.set(achievementTokenId(slug), entry);
      cached = { stamp: c.stamp, map: m };
    }
    return cached.map;
  };
  return {
    map,
    async byKey(key) {
      return (await map()).get(key);
    },
  };
}
