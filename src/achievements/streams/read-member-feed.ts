/**
 * Reads the member feed: unlocks and mint changes after a position, in position order, up to the
 * horizon — the oldest transaction still running (`pg_snapshot_xmin`). Every row below the horizon
 * is committed or rolled back, and a row written later gets a larger transaction id, so a reader
 * that moves its position only over rows it has read never skips one (see
 * migrations/0011_achievement_feed.sql). A transaction left open holds the horizon back, delaying
 * (never losing) what comes after it.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { FeedPosition } from './feed-position.ts';

/** What an `unlocked` or `mint` SSE event carries: the achievement and its badge's mint now. */
export interface FeedItemData {
  achievementId: string;
  unlockedAt: string | null;
  /** pending → submitted → confirmed | failed (null: no mint request yet). */
  mintStatus: string | null;
  txHash: string | null;
  tokenId: string | null;
  mintBlock: string | null;
  mintError: string | null;
}

export interface FeedItem {
  position: FeedPosition;
  /** `unlocked`: the member unlocked it; `mint`: its mint request's status or transaction changed. */
  kind: 'unlocked' | 'mint';
  user: string;
  data: FeedItemData;
}

export interface FeedPage {
  items: FeedItem[];
  /** Every row below this transaction id has been read (when the page is not full). */
  horizon: bigint;
  /** The next transaction id to be assigned: a position at or above it comes from elsewhere. */
  nextXid: bigint;
}

const COLUMNS = `u.unlocked_at, o.status as mint_status, o.tx_hash, o.token_id::text as token_id,
  o.block_number::text as mint_block, case when o.status = 'failed' then o.error end as mint_error`;

function feedSql(perUser: boolean): string {
  const user = (t: string) => (perUser ? `and ${t}.user_address = $4` : '');
  // The CTE is materialized so the snapshot is taken once. Each branch walks its (feed_xid,
  // feed_seq) index from the position; for one member, its primary key (unique index) instead.
  return `with s as materialized (
  select pg_snapshot_xmin(c.snap) as horizon, pg_snapshot_xmax(c.snap) as next_xid
    from (select pg_current_snapshot() as snap) c
)
select s.horizon::text as horizon, s.next_xid::text as next_xid, f.kind, f.xid::text as xid,
       f.seq::text as seq, f.user_address, f.achievement_id, f.unlocked_at, f.mint_status, f.tx_hash,
       f.token_id, f.mint_block, f.mint_error
  from s left join lateral (
    select * from (
      (select 'unlocked' as kind, u.feed_xid as xid, u.feed_seq as seq, u.user_address, u.achievement_id, ${COLUMNS}
         from ach_unlocks u
         left join ach_mint_outbox o on o.user_address = u.user_address and o.achievement_id = u.achievement_id
        where (u.feed_xid, u.feed_seq) > ($1::xid8, $2::bigint) and u.feed_xid < s.horizon ${user('u')}
        order by u.feed_xid, u.feed_seq limit $3)
      union all
      (select 'mint', o.feed_xid, o.feed_seq, o.user_address, o.achievement_id, ${COLUMNS}
         from ach_mint_outbox o
         left join ach_unlocks u on u.user_address = o.user_address and u.achievement_id = o.achievement_id
        where (o.feed_xid, o.feed_seq) > ($1::xid8, $2::bigint) and o.feed_xid < s.horizon ${user('o')}
        order by o.feed_xid, o.feed_seq limit $3)
    ) x order by x.xid, x.seq limit $3
  ) f on true
 order by f.xid, f.seq`;
}

const ALL_SQL = feedSql(false);
const MEMBER_SQL = feedSql(true);

interface Row {
  horizon: string;
  next_xid: string;
  kind: 'unlocked' | 'mint' | null;
  xid: string | null;
  seq: string | null;
  user_address: string;
  achievement_id: string;
  unlocked_at: Date | null;
  mint_status: string | null;
  tx_hash: string | null;
  token_id: string | null;
  mint_block: string | null;
  mint_error: string | null;
}

/**
 * Up to `limit` feed items after `after` (of one member, or of everyone), below the horizon. A
 * full page may have more after its last item; otherwise everything below `horizon` was read.
 */
export async function readMemberFeed(
  q: Queryable,
  options: { after: FeedPosition; limit: number; user?: string | undefined },
): Promise<FeedPage> {
  const params: unknown[] = [options.after.xid.toString(), options.after.seq.toString(), options.limit];
  if (options.user !== undefined) params.push(options.user);
  const { rows } = await q.query<Row>(options.user === undefined ? ALL_SQL : MEMBER_SQL, params, {
    name: options.user === undefined ? 'ach_feed_all' : 'ach_feed_member',
  });
  const first = rows[0]!;
  return {
    horizon: BigInt(first.horizon),
    nextXid: BigInt(first.next_xid),
    items: rows
      .filter((r) => r.kind !== null)
      .map((r) => ({
        position: { xid: BigInt(r.xid!), seq: BigInt(r.seq!) },
        kind: r.kind!,
        user: r.user_address,
        data: {
          achievementId: r.achievement_id,
          unlockedAt: r.unlocked_at?.toISOString() ?? null,
          mintStatus: r.mint_status,
          txHash: r.tx_hash,
          tokenId: r.token_id,
          mintBlock: r.mint_block,
          mintError: r.mint_error,
        },
      })),
  };
}

/** The current horizon (see {@link readMemberFeed}): where a reader that wants only new rows starts. */
export async function readFeedHorizon(q: Queryable): Promise<bigint> {
  const { rows } = await q.query<{ horizon: string }>(
    'select pg_snapshot_xmin(pg_current_snapshot())::text as horizon',
    [],
    { name: 'ach_feed_horizon' },
  );
  return BigInt(rows[0]!.horizon);
}
