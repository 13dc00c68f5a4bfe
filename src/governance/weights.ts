/**
 * Weight sets: achievement key (the on-chain id of a badge's achievement) → scaled weight, built
 * from the catalogue's `weight` times the category and tier multipliers. A proposal stores the set
 * it was created with (`gov_weight_sets`, by content hash), so later changes to weights or
 * multipliers never move a snapshot; `GET /v1/voting-power` uses the current set.
 *
 * weight(badge) = floor(scaled(def.weight) × categoryMultiplier × tierMultiplier / 10^12), every
 * factor scaled by 10^6 and the catalogue weight rounded half up to six decimals first.
 */
import { createHash } from 'node:crypto';
import type { Catalogue } from '../achievements/index.ts';
import type { Queryable } from '../platform/db/create-db.ts';
import { SCALE, scaleWeight } from './amounts.ts';
import type { GovernanceParameters } from './parameters.ts';

export interface WeightEntry {
  /** The achievement's slug in the catalogue. */
  achievementId: string;
  /** Scaled weight of one badge. */
  weight: bigint;
}

export interface WeightSet {
  /** sha256 of the content: the set's identity (cache keys, proposals). */
  readonly hash: string;
  /** By achievement key as a decimal string (as `badge_tokens.achievement_key` reads). */
  readonly byKey: ReadonlyMap<string, WeightEntry>;
}

/** What weight sets read from the achievement catalogue. */
export type WeightCatalogue = Pick<Catalogue, 'stamp' | 'entries'>;

/** Builds the weight set of a catalogue under the given multipliers. */
export function buildWeightSet(
  catalogue: WeightCatalogue,
  multipliers: Pick<GovernanceParameters, 'categoryMultipliers' | 'tierMultipliers'>,
  achievementKey: (slug: string) => bigint,
): WeightSet {
  const entries: [string, WeightEntry][] = [];
  for (const { def } of catalogue.entries.values()) {
    const category = multipliers.categoryMultipliers[def.category] ?? SCALE;
    const tier = def.tier ? (multipliers.tierMultipliers[def.tier] ?? SCALE) : SCALE;
    const weight = (scaleWeight(def.weight) * category * tier) / (SCALE * SCALE);
    entries.push([achievementKey(def.id).toString(), { achievementId: def.id, weight }]);
  }
  return weightSetOf(entries);
}

function weightSetOf(entries: [string, WeightEntry][]): WeightSet {
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256').update(serialize(entries)).digest('hex');
  return Object.freeze({ hash, byKey: new Map(entries) });
}

function serialize(entries: readonly [string, WeightEntry][]): string {
  return JSON.stringify(
    Object.fromEntries(entries.map(([k, e]) => [k, [e.achievementId, e.weight.toString()]])),
  );
}

/** Stores a set (idempotent). */
export async function storeWeightSet(q: Queryable, set: WeightSet): Promise<void> {
  await q.query(
    'insert into gov_weight_sets (hash, weights) values ($1, $2::jsonb) on conflict (hash) do nothing',
    [set.hash, serialize([...set.byKey])],
  );
}

/** A stored set, or undefined. */
export async function loadWeightSet(q: Queryable, hash: string): Promise<WeightSet | undefined> {
  const { rows } = await q.query<{ weights: Record<string, [string, string]> }>(
    'select weights from gov_weight_sets where hash = $1',
    [hash],
  );
  const row = rows[0];
  if (!row) return undefined;
  const set = weightSetOf(
    Object.entries(row.weights).map(([k, [achievementId, w]]) => [k, { achievementId, weight: BigInt(w) }]),
  );
  return set.hash === hash ? set : Object.freeze({ hash, byKey: set.byKey });
}

export interface WeightSets {
  /** The set of the current catalogue and multipliers (rebuilt when either changed). */
  current(
    multipliers: Pick<GovernanceParameters, 'categoryMultipliers' | 'tierMultipliers'>,
  ): Promise<WeightSet>;
  /** A stored set by hash (kept in memory once read: sets never change). */
  byHash(hash: string): Promise<WeightSet | undefined>;
}

export function createWeightSets(deps: {
  db: Queryable;
  catalogue: () => Promise<WeightCatalogue>;
  achievementKey: (slug: string) => bigint;
}): WeightSets {
  const known = new Map<string, WeightSet>();
  let last: { stamp: string; multipliers: string; set: WeightSet } | undefined;
  return {
    async current(multipliers) {
      const catalogue = await deps.catalogue();
      const m = JSON.stringify(
        [multipliers.categoryMultipliers, multipliers.tierMultipliers].map((x) =>
          Object.entries(x)
            .map(([k, v]) => `${k}=${v}`)
            .sort(),
        ),
      );
      if (last && last.stamp === catalogue.stamp && last.multipliers === m) return last.set;
      const set = buildWeightSet(catalogue, multipliers, deps.achievementKey);
      known.set(set.hash, set);
      last = { stamp: catalogue.stamp, multipliers: m, set };
      return set;
    },
    async byHash(hash) {
      const cached = known.get(hash);
      if (cached) return cached;
      const set = await loadWeightSet(deps.db, hash);
      if (set) {
        if (known.size > 1000) known.clear();
        known.set(hash, set);
      }
      return set;
    },
  };
}
