/**
 * Voting power at a block (see docs/governance.md):
 *
 *   power(a, B) = own(a, B) unless a delegated it away at B
 *               + Σ own(d, B) over every d that delegated to a at B
 *
 * where own(x, B) is the summed weight of the badges x held at B (`badge_ownership` rows with
 * from_block ≤ B < to_block) under a weight set. One hop: what a receives by delegation is never
 * passed on, even when a itself delegates. The total over all members equals the summed weight of
 * every held badge ({@link totalPowerAt}).
 *
 * `createVotingPower` caches results in the platform cache (namespace `voting-power`, keyed by
 * weight set, address and block); any ownership or delegation change bumps the namespace version.
 */
import type { CacheNamespace } from '../platform/cache/index.ts';
import type { Queryable } from '../platform/db/create-db.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { WeightSet } from './weights.ts';

export interface BadgePower {
  tokenId: string;
  /** The badge's achievement, or null when the weight set does not know its key (weight 0). */
  achievementId: string | null;
  /** Scaled weight. */
  weight: bigint;
}

export interface DelegatedPower {
  delegator: string;
  /** The delegator's own badge power (scaled). */
  power: bigint;
}

export interface PowerBreakdown {
  address: string;
  block: bigint;
  weightSet: string;
  /** What a ballot of this address weighs at this block (scaled). */
  total: bigint;
  /** Summed weight of the address's own badges (counted only when not delegated away). */
  own: bigint;
  /** The delegatee of the address's own power at this block, or null. */
  delegatedTo: string | null;
  /** Grouped by achievement key, token ids ascending within each. */
  badges: BadgePower[];
  /** Power delegated to this address, per delegator. */
  delegations: DelegatedPower[];
}

/**
 * One statement: the delegation links of `$1` active at `$2`, and the badges held at `$2` by `$1`
 * and by those who delegated to it, grouped by holder and achievement (token ids listed for `$1`
 * only). Badges come out grouped by achievement key, token ids ascending within each.
 */
const POWER_SQL = `
with links as (
  select delegator, delegatee from gov_delegations
   where (delegatee = $1 or delegator = $1) and from_block <= $2 and (to_block is null or to_block > $2)
), owners as (
  select $1::text as owner
  union
  select delegator from links where delegatee = $1 and delegator <> $1
)
select 'link' as kind, delegator as owner, delegatee as key, null::int as n, null::text[] as tokens from links
union all
select 'held', o.owner, t.achievement_key::text, count(*)::int,
       case when o.owner = $1 then array_agg(o.token_id::text order by o.token_id) end
  from badge_ownership o join badge_tokens t on t.token_id = o.token_id
 where o.owner in (select owner from owners) and o.from_block <= $2 and (o.to_block is null or o.to_block > $2)
 group by o.owner, t.achievement_key`;

/** Computes a power from the database, without any cache. */
export async function computeVotingPower(
  q: Queryable,
  address: string,
  block: bigint,
  weights: WeightSet,
): Promise<PowerBreakdown> {
  const { rows } = await q.query<{
    kind: 'link' | 'held';
    owner: string;
    key: string;
    n: number | null;
    tokens: string[] | null;
  }>(POWER_SQL, [address, block.toString()], { name: 'gov_power' });
  let delegatedTo: string | null = null;
  const received = new Map<string, bigint>();
  const held: { key: string; tokens: string[] }[] = [];
  let own = 0n;
  for (const row of rows) {
    if (row.kind === 'link') {
      // owner = delegator, key = delegatee
      if (row.owner === address) delegatedTo = row.key;
      else if (row.key === address) received.set(row.owner, received.get(row.owner) ?? 0n);
      continue;
    }
    const weight = weights.byKey.get(row.key)?.weight ?? 0n;
    if (row.owner === address) {
      own += weight * BigInt(row.n ?? 0);
      held.push({ key: row.key, tokens: row.tokens ?? [] });
    } else received.set(row.owner, (received.get(row.owner) ?? 0n) + weight * BigInt(row.n ?? 0));
  }
  held.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const badges: BadgePower[] = [];
  for (const h of held) {
    const entry = weights.byKey.get(h.key);
    const achievementId = entry?.achievementId ?? null;
    const weight = entry?.weight ?? 0n;
    for (const tokenId of h.tokens) badges.push({ tokenId, achievementId, weight });
  }
  const delegations = [...received]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([delegator, power]) => ({ delegator, power }));
  const receivedTotal = delegations.reduce((sum, d) => sum + d.power, 0n);
  return {
    address,
    block,
    weightSet: weights.hash,
    total: (delegatedTo === null ? own : 0n) + receivedTotal,
    own,
    delegatedTo,
    badges,
    delegations,
  };
}

/** Summed weight of every badge held at `block`: the denominator of quorum and participation. */
export async function totalPowerAt(q: Queryable, block: bigint, weights: WeightSet): Promise<bigint> {
  const { rows } = await q.query<{ key: string; n: string }>(
    `select t.achievement_key::text as key, count(*)::text as n
       from badge_ownership o join badge_tokens t on t.token_id = o.token_id
      where o.from_block <= $1 and (o.to_block is null or o.to_block > $1)
      group by t.achievement_key`,
    [block.toString()],
  );
  let total = 0n;
  for (const r of rows) total += (weights.byKey.get(r.key)?.weight ?? 0n) * BigInt(r.n);
  return total;
}

export interface VotingPower {
  /** The power, from the cache when it has it. */
  at(address: string, block: bigint, weights: WeightSet): Promise<PowerBreakdown>;
  /** The power recomputed from the database, bypassing (and not filling) the cache. */
  fresh(address: string, block: bigint, weights: WeightSet): Promise<PowerBreakdown>;
  /** The cache entry of this power, if any (accuracy check). */
  peek(address: string, block: bigint, weights: WeightSet): Promise<PowerBreakdown | undefined>;
  /** Drops every cached power, on every instance (a namespace version bump). */
  invalidateAll(): Promise<void>;
  /** Keys this process served recently (from the cache or not), newest last: the accuracy check's sample. */
  recent(): { address: string; block: bigint; weightSet: string }[];
  /** The cache namespace (tests corrupt an entry through it). */
  readonly cache: CacheNamespace<PowerBreakdown>;
  key(address: string, block: bigint, weightSet: string): string;
}

/** Served keys remembered for the accuracy check's sample. */
const RECENT_KEYS = 1000;

export function createVotingPower(deps: {
  db: Queryable;
  cache: CacheNamespace<PowerBreakdown>;
  metrics: Metrics;
}): VotingPower {
  const { db, cache, metrics } = deps;
  const hit = metrics.votingPowerCacheRequests.labels({ result: 'hit' });
  const miss = metrics.votingPowerCacheRequests.labels({ result: 'miss' });
  const cachedDuration = metrics.votingPowerDuration.labels({ cached: 'true' });
  const computedDuration = metrics.votingPowerDuration.labels({ cached: 'false' });
  const recent = new Map<string, { address: string; block: bigint; weightSet: string }>();
  const key = (address: string, block: bigint, weightSet: string) =>
    `${weightSet.slice(0, 16)}:${address}:${block}`;

  return {
    cache,
    key,
    async at(address, block, weights) {
      const t0 = performance.now();
      const k = key(address, block, weights.hash);
      let loaded = false;
      const value = await cache.getOrLoad(k, async () => {
        loaded = true;
        return computeVotingPower(db, address, block, weights);
      });
      (loaded ? miss : hit).inc();
      (loaded ? computedDuration : cachedDuration).observe((performance.now() - t0) / 1000);
      recent.delete(k);
      recent.set(k, { address, block, weightSet: weights.hash });
      if (recent.size > RECENT_KEYS) recent.delete(recent.keys().next().value as string);
      return value;
    },
    fresh: (address, block, weights) => computeVotingPower(db, address, block, weights),
    peek: (address, block, weights) => cache.get(key(address, block, weights.hash)),
    async invalidateAll() {
      await cache.invalidateAll();
    },
    recent: () => [...recent.values()],
  };
}

/**
 * The power of many addresses at one block, from two whole-block queries (audits and the tally
 * verification: cheaper than one computation per voter when there are thousands). Totals only.
 */
export async function computePowersAt(
  q: Queryable,
  addresses: readonly string[],
  block: bigint,
  weights: WeightSet,
): Promise<Map<string, bigint>> {
  const [links, held] = await Promise.all([
    q.query<{ delegator: string; delegatee: string }>(
      'select delegator, delegatee from gov_delegations where from_block <= $1 and (to_block is null or to_block > $1)',
      [block.toString()],
    ),
    q.query<{ owner: string; key: string; n: string }>(
      `select o.owner, t.achievement_key::text as key, count(*)::text as n
         from badge_ownership o join badge_tokens t on t.token_id = o.token_id
        where o.from_block <= $1 and (o.to_block is null or o.to_block > $1)
        group by o.owner, t.achievement_key`,
      [block.toString()],
    ),
  ]);
  const own = new Map<string, bigint>();
  for (const r of held.rows)
    own.set(r.owner, (own.get(r.owner) ?? 0n) + (weights.byKey.get(r.key)?.weight ?? 0n) * BigInt(r.n));
  const delegatedTo = new Map<string, string>();
  const received = new Map<string, bigint>();
  for (const l of links.rows) {
    if (l.delegator === l.delegatee) continue;
    delegatedTo.set(l.delegator, l.delegatee);
    received.set(l.delegatee, (received.get(l.delegatee) ?? 0n) + (own.get(l.delegator) ?? 0n));
  }
  const out = new Map<string, bigint>();
  for (const a of addresses)
    out.set(a, (delegatedTo.has(a) ? 0n : (own.get(a) ?? 0n)) + (received.get(a) ?? 0n));
  return out;
}
