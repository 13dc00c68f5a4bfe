/**
 * The achievement system against the governance system (seed 5.2 多服务数据同步: compare the two
 * systems' data, take each fact from the system that owns it, one consistent view).
 *
 * Who owns what:
 *
 * | fact                                   | owner (source of truth)               | table                 |
 * | -------------------------------------- | ------------------------------------- | --------------------- |
 * | a member earned an achievement         | achievement system                    | `ach_unlocks`         |
 * | a badge was asked for / minted         | achievement system → minter           | `ach_mint_outbox`     |
 * | a member holds a badge                 | the chain (the listener's copy)       | `badge_tokens`        |
 * | what a badge weighs, a member's power  | governance (weights of the catalogue) | weight set            |
 *
 * Governance counts a member's power from the badges the chain says they hold; the achievement
 * system says what they earned. The two must agree: every earned achievement is held as exactly
 * one badge, and every held badge was earned. Each difference found is one of:
 *
 * - `no_mint_request`: earned, never asked to be minted (the unlock's outbox row is missing, e.g.
 *   after a partial restore). Governance does not count it. `--fix` asks for the mint.
 * - `mint_failed`: earned, the mint was dead-lettered. Sent again by `cb chain retry-failed-mints`
 *   or the console's Chain page
 *   (`POST /v1/ops/mints/failed/retry`) once its cause is fixed.
 * - `revoked_on_chain`: earned and minted, then revoked on chain.
 * - `held_by_other`: the mint record names a token another address holds (`cb reconcile chain`).
 * - `not_seen`: the mint is recorded as confirmed but the listener has no such token, for longer
 *   than the grace period (below that it counts as minting: the listener may be a block behind).
 * - `not_earned`: held on chain, but the holder has no unlock of its achievement: governance counts
 *   power the achievement system never granted (minted outside cb, or an unlock lost).
 * - `unknown_achievement`: held, but no achievement of the catalogue has its key: weight 0, the
 *   holder's badge silently gives no power.
 * - `held_twice`: more than one badge of the same achievement held by one member: governance
 *   counts each.
 *
 * Mints in flight (`pending`, `submitted`, confirmed within the grace period) are counted, not
 * reported. The check reads; only `fix` writes (mint requests, the achievement system's own rows).
 * It is the one place that reads both systems' tables, in one read-only statement per question,
 * so the view is taken at one instant of each.
 *
 * `signal` (the scheduled job's expiry, a stop's grace period) is checked before each statement:
 * once aborted, no further statement is sent — in particular no `fix` write — and the check throws
 * the signal's reason. A statement already running is not cut (the Db layer cannot cancel one); it
 * is one of three or four, each a single pass over the unlocks and badges.
 */
import type { Db } from '../../platform/db/create-db.ts';

export const CROSS_SYSTEM_KINDS = [
  'no_mint_request',
  'mint_failed',
  'revoked_on_chain',
  'held_by_other',
  'not_seen',
  'not_earned',
  'unknown_achievement',
  'held_twice',
] as const;
export type CrossSystemKind = (typeof CROSS_SYSTEM_KINDS)[number];

/** The achievement key ↔ achievement and weight map: the governance weight set in force. */
export interface CrossSystemWeights {
  /** By achievement key as a decimal string. */
  byKey: ReadonlyMap<string, { achievementId: string; weight: bigint }>;
}

export interface CrossSystemOptions {
  /** Only this member (lower-case 0x address). */
  member?: string | undefined;
  /** A confirmed mint the listener has not seen yet is "minting" this long. @defaultValue 900 */
  graceSeconds?: number | undefined;
  /** Differences listed at most (the counts are complete). @defaultValue 1000 */
  limit?: number | undefined;
  /** Ask for the mint of each `no_mint_request` (the same request an unlock writes). */
  fix?: boolean | undefined;
  /** Stops the check before its next statement (no further read, no `fix` write); see the module doc. */
  signal?: AbortSignal | undefined;
}

export interface CrossSystemDifference {
  kind: CrossSystemKind;
  member: string;
  /** The achievement (slug), when its key is in the catalogue. */
  achievementId: string | null;
  /** The on-chain achievement key (decimal). */
  achievementKey: string;
  /** The token(s) concerned: the held ones, or the one the mint record names. */
  tokenIds: string[];
  /** What governance counts minus what the member earned, for this row (scaled, decimal). */
  powerGap: string;
  /** What to do about it, one sentence. */
  action: string;
}

export interface CrossSystemReport {
  checkedAt: string;
  member: string | null;
  /** Unlocks (achievement system) and held badges (chain) compared. */
  unlocks: number;
  heldBadges: number;
  /** Members with an unlock or a badge. */
  members: number;
  /** Earned and on their way to the chain: pending, submitted, or confirmed within the grace period. */
  minting: number;
  /** By kind, every difference (also those beyond `limit`). */
  counts: Record<CrossSystemKind, number>;
  /** Sum of `counts`. */
  total: number;
  /** Members with at least one difference. */
  membersAffected: number;
  /** At most `limit`, by member then achievement key. */
  differences: CrossSystemDifference[];
  truncated: boolean;
  /** With `fix`: mint requests written. */
  mintRequested: number;
  /** With `fix`: no `no_mint_request` is left (the other kinds are not repaired here). */
  fixed: boolean;
}

const ACTIONS: Record<CrossSystemKind, string> = {
  no_mint_request: 'ask for the mint: cb reconcile systems --fix',
  mint_failed: 'fix the cause, then retry the dead-lettered mint (console Mints page)',
  revoked_on_chain:
    'revoked on chain on purpose? then withdraw the unlock; if not, mint again (cb reconcile chain shows the revocation)',
  held_by_other: 'the mint record and the chain disagree on the holder: cb reconcile chain --fix',
  not_seen:
    'the listener never saw this mint: check cb reconcile chain and the listener (ChainListenerStopped)',
  not_earned:
    'recompute the member from the event log (cb reconcile progress --user … --fix); if still not earned, revoke the badge on chain',
  unknown_achievement:
    'a badge of an achievement the catalogue does not have: weight 0 in governance; restore the achievement or revoke the badge',
  held_twice: 'a double mint: governance counts both; revoke the extra badge on chain',
};

/**
 * Each difference as a row: kind, member, key, achievement id, tokens; and each earned achievement
 * on its way to the chain as kind `minting` (counted, not a difference). `$1` keys and `$2` achievement
 * ids of the catalogue (parallel arrays), `$3` grace seconds, `$4` member or null.
 */
const DIFFERENCES_SQL = `
with catalogue as (
  select key, achievement_id from unnest($1::text[], $2::text[]) as c(key, achievement_id)
),
earned as (
  select u.user_address as member, u.achievement_id, c.key, o.status, o.token_id::text as token_id,
         o.updated_at < now() - make_interval(secs => $3::int) as past_grace
    from ach_unlocks u
    join catalogue c on c.achievement_id = u.achievement_id
    left join ach_mint_outbox o on o.user_address = u.user_address and o.achievement_id = u.achievement_id
   where $4::text is null or u.user_address = $4::text
),
held as (
  select owner as member, achievement_key::text as key, array_agg(token_id::text order by token_id) as tokens
    from badge_tokens
   where owner is not null and ($4::text is null or owner = $4::text)
   group by owner, achievement_key
),
unheld as (
  select e.*, t.owner as token_owner, t.revoked_block, t.token_id is not null as token_known
    from earned e
    left join held h on h.member = e.member and h.key = e.key
    left join badge_tokens t on t.token_id::text = e.token_id
   where h.member is null
)
select kind, member, key, achievement_id, tokens from (
  select case
           when status is null then 'no_mint_request'
           when status = 'failed' then 'mint_failed'
           when status in ('pending', 'submitted') then 'minting'
           when revoked_block is not null then 'revoked_on_chain'
           when token_owner is not null then 'held_by_other'
           when past_grace then 'not_seen'
           when not token_known then 'minting'
         end as kind,
         member, key, achievement_id,
         case when token_id is null then '{}'::text[] else array[token_id] end as tokens
    from unheld
  union all
  select case when c.key is null then 'unknown_achievement' else 'not_earned' end,
         h.member, h.key, c.achievement_id, h.tokens
    from held h
    left join catalogue c on c.key = h.key
   where not exists (select 1 from earned e where e.member = h.member and e.key = h.key)
  union all
  select 'held_twice', h.member, h.key, c.achievement_id, h.tokens
    from held h
    left join catalogue c on c.key = h.key
   where cardinality(h.tokens) > 1
) d
where kind is not null`;

const TOTALS_SQL = `
select (select count(*)::int from ach_unlocks where $1::text is null or user_address = $1::text) as unlocks,
       (select count(*)::int from badge_tokens where owner is not null and ($1::text is null or owner = $1::text)) as held,
       (select count(*)::int from (
          select user_address from ach_unlocks where $1::text is null or user_address = $1::text
          union
          select owner from badge_tokens where owner is not null and ($1::text is null or owner = $1::text)
        ) m) as members`;

/** Compares the two systems; see the module's doc. */
export async function checkCrossSystem(
  db: Pick<Db, 'query' | 'transaction'>,
  weights: CrossSystemWeights,
  options: CrossSystemOptions = {},
): Promise<CrossSystemReport> {
  const graceSeconds = options.graceSeconds ?? 900;
  const limit = options.limit ?? 1000;
  const member = options.member ?? null;
  const keys = [...weights.byKey.keys()];
  const ids = keys.map((k) => weights.byKey.get(k)!.achievementId);
  const params = [keys, ids, graceSeconds, member];
  const checkedAt = new Date().toISOString();
  const signal = options.signal;

  let mintRequested = 0;
  if (options.fix) {
    signal?.throwIfAborted();
    // The achievement system's own repair: the request its unlock should have written.
    const { rows } = await db.query<{ n: number }>(
      `with missing as (${DIFFERENCES_SQL})
       , made as (
         insert into ach_mint_outbox (user_address, achievement_id)
         select member, achievement_id from missing where kind = 'no_mint_request'
         on conflict (user_address, achievement_id) do nothing
         returning 1)
       select count(*)::int as n from made`,
      params,
    );
    mintRequested = rows[0]?.n ?? 0;
  }

  // One snapshot for both reads: the counts and the list describe the same instant.
  signal?.throwIfAborted();
  const { rows, totals } = await db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read, read only');
    signal?.throwIfAborted();
    const found = await tx.query<{
      kind: CrossSystemKind | 'minting';
      member: string;
      key: string;
      achievement_id: string | null;
      tokens: string[];
    }>(`${DIFFERENCES_SQL} order by member, key, kind`, params);
    signal?.throwIfAborted();
    const totals = await tx.query<{ unlocks: number; held: number; members: number }>(TOTALS_SQL, [member]);
    return { rows: found.rows, totals: totals.rows[0]! };
  });
  const found = rows.filter(
    (r): r is (typeof rows)[number] & { kind: CrossSystemKind } => r.kind !== 'minting',
  );
  const minting = rows.length - found.length;

  const counts = Object.fromEntries(CROSS_SYSTEM_KINDS.map((k) => [k, 0])) as Record<CrossSystemKind, number>;
  const affected = new Set<string>();
  for (const row of found) {
    counts[row.kind]++;
    affected.add(row.member);
  }
  const differences = found.slice(0, limit).map((row): CrossSystemDifference => {
    const weight = weights.byKey.get(row.key)?.weight ?? 0n;
    return {
      kind: row.kind,
      member: row.member,
      achievementId: row.achievement_id,
      achievementKey: row.key,
      tokenIds: row.tokens,
      powerGap: powerGap(row.kind, weight, row.tokens.length).toString(),
      action: ACTIONS[row.kind],
    };
  });
  return {
    checkedAt,
    member,
    unlocks: totals.unlocks,
    heldBadges: totals.held,
    members: totals.members,
    minting,
    counts,
    total: found.length,
    membersAffected: affected.size,
    differences,
    truncated: found.length > limit,
    mintRequested,
    // Requested mints are pending now: minting, no longer a difference.
    fixed: options.fix === true && counts.no_mint_request === 0,
  };
}

/** Governance's count minus the earned one for a row, scaled. */
function powerGap(kind: CrossSystemKind, weight: bigint, tokens: number): bigint {
  switch (kind) {
    case 'not_earned':
      return weight * BigInt(tokens);
    case 'held_twice':
      return weight * BigInt(tokens - 1);
    case 'unknown_achievement':
      return 0n;
    default:
      return -weight;
  }
}
