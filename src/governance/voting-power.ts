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
 * Cache misses arriving together (concurrent ballots) are computed in one round trip per block and
 * weight set.
 */
import { createBatcher } from '../platform/batcher.ts';
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
 * One statement for the addresses `$1` at block `$2`: the delegation links active at `$2` that
 * start or end at one of them, and the badges held at `$2` by them and by those who delegated to
 * them, grouped by holder and achievement (token ids listed for the addresses themselves only).
 */
const POWER_SQL = `
with links as (
  select delegator, delegatee from gov_delegations
   where (delegatee = any($1::text[]) or delegator = any($1::text[]))
     and from_block <= $2 and (to_block is null or to_block > $2)
), owners as (
  select unnest($1::text[]) as owner
  union
  select delegator from links where delegatee = any($1::text[]) and delegator <> delegatee
)
select 'link' as kind, delegator as owner, delegatee as key, null::int as n, null::text[] as tokens from links
union all
select 'held', o.owner, t.achievement_key::text, count(*)::int,
       case when o.owner = any($1::text[]) then array_agg(o.token_id::text order by o.token_id) end
  from badge_ownership o join badge_tokens t on t.token_id = o.token_id
 where o.owner in (select owner from owners) and o.from_block <= $2 and (o.to_block is null or o.to_block > $2)
 group by o.owner, t.achievement_key`;

interface PowerRow {
  kind: 'link' | 'held';
  owner: string;
  key: string;
  n: number | null;
  tokens: string[] | null;
}

/** Computes a power from the database, without any cache. */
export async function computeVotingPower(
  q: Queryable,
  address: string,
  block: bigint,
  weights: WeightSet,
): Promise<PowerBreakdown> {
  return (await computeVotingPowers(q, [address], block, weights)).get(address)!;
}

/**
 * The powers of a few addresses at one block, in one round trip (concurrent ballots share it), each
 * exactly as {@link computeVotingPower} computes it alone. For thousands, {@link computePowersAt}.
 */
export async function computeVotingPowers(
  q: Queryable,
  addresses: readonly string[],
  block: bigint,
  weights: WeightSet,
): Promise<Map<string, PowerBreakdown>> {
  const unique = [...new Set(addresses)];
  const { rows } = await q.query<PowerRow>(POWER_SQL, [unique, block.toString()], { name: 'gov_powers' });
  const links = rows.filter((r) => r.kind === 'link');
  const held = new Map<string, PowerRow[]>();
  for (const r of rows) {
    if (r.kind !== 'held') continue;
    const list = held.get(r.owner);
    if (list) list.push(r);
    else held.set(r.owner, [r]);
  }
  const out = new Map<string, PowerBreakdown>();
  for (const address of unique) out.set(address, breakdown(address, block, weights, links, held));
  return out;
}

/** One address's power from the rows of {@link POWER_SQL}. */
function breakdown(
  address: string,
  block: bigint,
  weights: WeightSet,
  links: readonly PowerRow[],
  heldBy: ReadonlyMap<string, readonly PowerRow[]>,
): PowerBreakdown {
  const weighed = (row: PowerRow) => (weights.byKey.get(row.key)?.weight ?? 0n) * BigInt(row.n ?? 0);
  let delegatedTo: string | null = null;
  const received = new Map<string, bigint>();
  for (const link of links) {
    // owner = delegator, key = delegatee
    if (link.owner === address) delegatedTo = link.key;
    else if (link.key === address) received.set(link.owner, 0n);
  }
  for (const delegator of received.keys())
    for (const row of heldBy.get(delegator) ?? [])
      received.set(delegator, received.get(delegator)! + weighed(row));
  let own = 0n;
  const held = [...(heldBy.get(address) ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const badges: BadgePower[] = [];
  for (const row of held) {
    own += weighed(row);
    const entry = weights.byKey.get(row.key);
    const achievementId = entry?.achievementId ?? null;
    const weight = entry?.weight ?? 0n;
    for (const tokenId of row.tokens ?? []) badges.push({ tokenId, achievementId, weight });
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
/** The cache namespace of voting powers (every instance's, and a CLI's that changed ownership). */
export const VOTING_POWER_NAMESPACE = 'voting-power';

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
  /** Misses of concurrent calls, computed together per (block, weight set). */
  const misses = createBatcher<{ address: string; block: bigint; weights: WeightSet }, PowerBreakdown>({
    async run(items) {
      const groups = new Map<string, typeof items>();
      for (const item of items) {
        const g = `${item.block}:${item.weights.hash}`;
        const list = groups.get(g);
        if (list) list.push(item);
        else groups.set(g, [item]);
      }
      const computed = new Map<string, PowerBreakdown>();
      for (const [g, list] of groups) {
        const first = list[0]!;
        const powers = await computeVotingPowers(
          db,
          list.map((i) => i.address),
          first.block,
          first.weights,
        );
        for (const [address, p] of powers) computed.set(`${g}:${address}`, p);
      }
      return items.map((i) => computed.get(`${i.block}:${i.weights.hash}:${i.address}`)!);
    },
  });

  return {
    cache,
    key,
    async at(address, block, weights) {
      const t0 = performance.now();
      const k = key(address, block, weights.hash);
      let loaded = false;
      const value = await cache.getOrLoad(k, async () => {
        loaded = true;
        return misses.load({ address, block, weights });
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
