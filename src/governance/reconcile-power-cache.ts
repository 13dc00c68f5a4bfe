/**
 * The voting-power cache against the database (seed 5.2 数据库与缓存同步: 以数据库为准, 6.2
 * 定期验证缓存与源数据一致性): the entries Redis holds (all, or a random sample) are recomputed from
 * the ownership history and the delegations — the source of truth — and compared field by field,
 * as the accuracy check compares the powers it samples (power-differences.ts); with `fix` the
 * stale ones are rewritten from the database and every instance drops its memory copy.
 * `cb reconcile cache` runs it. See platform/cache/reconcile-shared.ts for what is read and when
 * a result does not count (the namespace invalidated during the check).
 *
 * An entry's key names its weight set by the first 16 hex digits of the set's hash: it is
 * recomputed under the current set or the one a proposal stored (`gov_weight_sets`); an entry of
 * a set that is neither (the catalogue or the multipliers changed since) is no longer read by
 * anyone and is reported unverifiable.
 */
import { type Recomputed, reconcileShared, type SharedReconcileReport } from '../platform/cache/index.ts';
import type { GovernanceContext } from './context.ts';
import { readParameters } from './parameters.ts';
import { powerDifferences } from './power-differences.ts';
import { computeVotingPowers, type PowerBreakdown } from './voting-power.ts';
import type { WeightSet } from './weights.ts';

export interface ReconcilePowerCacheOptions {
  /** Check a random sample of this many entries. @defaultValue every entry */
  sample?: number | undefined;
  /** Rewrite the stale entries from the database. @defaultValue false */
  fix?: boolean | undefined;
  /** After each batch of up to 500 entries: compared so far, of how many. */
  onProgress?: ((checked: number, of: number) => void) | undefined;
}

/** `<weight set hash, 16 hex>:<address>:<block>` (voting-power.ts, `key`). */
const KEY = /^([0-9a-f]{16}):(0x[0-9a-fA-F]{40}):(\d{1,20})$/;

export async function reconcilePowerCache(
  ctx: GovernanceContext,
  options: ReconcilePowerCacheOptions = {},
): Promise<SharedReconcileReport> {
  const weightSet = weightSetsByPrefix(ctx);
  return reconcileShared(ctx.power.cache, {
    ...options,
    differences: powerDifferences,
    async recompute(keys) {
      const out = new Map<string, Recomputed<PowerBreakdown>>();
      // Entries of one block and weight set are computed together (one statement per group).
      const groups = new Map<string, { block: bigint; weights: WeightSet; entries: [string, string][] }>();
      for (const key of keys) {
        const m = KEY.exec(key);
        if (!m) {
          out.set(key, { unverifiable: 'not a voting-power key (<weight set>:<address>:<block>)' });
          continue;
        }
        const [, prefix, address, blockText] = m as unknown as [string, string, string, string];
        const weights = await weightSet(prefix);
        if (!weights) {
          out.set(key, {
            unverifiable: `weight set ${prefix}… is neither the current one nor one a proposal stored`,
          });
          continue;
        }
        const block = BigInt(blockText);
        const id = `${block}:${weights.hash}`;
        const group = groups.get(id) ?? { block, weights, entries: [] };
        group.entries.push([key, address]);
        groups.set(id, group);
      }
      for (const { block, weights, entries } of groups.values()) {
        const powers = await computeVotingPowers(
          ctx.db,
          entries.map(([, address]) => address),
          block,
          weights,
        );
        for (const [key, address] of entries) out.set(key, { value: powers.get(address)! });
      }
      return out;
    },
  });
}

/** The weight set whose hash starts with a key's 16 hex digits: the current one, or a stored one. */
function weightSetsByPrefix(ctx: GovernanceContext): (prefix: string) => Promise<WeightSet | undefined> {
  const found = new Map<string, WeightSet | undefined>();
  let current: WeightSet | undefined;
  return async (prefix) => {
    if (found.has(prefix)) return found.get(prefix);
    current ??= await ctx.weights.current(await readParameters(ctx.db, ctx.defaults));
    let set: WeightSet | undefined;
    if (current.hash.startsWith(prefix)) set = current;
    else {
      // Hex digits only (KEY): nothing in the prefix is a LIKE wildcard.
      const { rows } = await ctx.db.query<{ hash: string }>(
        'select hash from gov_weight_sets where hash like $1 limit 2',
        [`${prefix}%`],
      );
      set = rows.length === 1 ? await ctx.weights.byHash(rows[0]!.hash) : undefined;
    }
    found.set(prefix, set);
    return set;
  };
}
