/**
 * Reads of the badge ownership history for governance: who held which badge at a block. A badge is
 * held at block B by the owner of its `badge_ownership` row with from_block ≤ B < to_block (to_block
 * null: still held). Blocks above the listener's checkpoint are not known yet (check with
 * {@link listenerProgress}); blocks above its finalized block may still change with a reorg.
 */
import type { Queryable } from '../../platform/db/create-db.ts';

/** One badge held at a block. */
export interface BadgeHolding {
  tokenId: bigint;
  /** Lower-case address. */
  owner: string;
  /** On-chain achievement id (uint64 of the slug). */
  achievementKey: bigint;
  /** Block the holder got it. */
  sinceBlock: bigint;
}

interface HoldingRow {
  token_id: string;
  owner: string;
  key: string;
  from_block: string;
}

const toHolding = (r: HoldingRow): BadgeHolding => ({
  tokenId: BigInt(r.token_id),
  owner: r.owner,
  achievementKey: BigInt(r.key),
  sinceBlock: BigInt(r.from_block),
});

/** Every badge held at `block`, by token id. */
export async function ownersAt(q: Queryable, block: bigint): Promise<BadgeHolding[]> {
  const { rows } = await q.query<HoldingRow>(
    `select o.token_id::text as token_id, o.owner, t.achievement_key::text as key, o.from_block
       from badge_ownership o join badge_tokens t on t.token_id = o.token_id
      where o.from_block <= $1 and (o.to_block is null or o.to_block > $1)
      order by o.token_id`,
    [block.toString()],
  );
  return rows.map(toHolding);
}

/** The badges `owner` (any case) held at `block`, by token id. */
export async function tokensOfAt(q: Queryable, owner: string, block: bigint): Promise<BadgeHolding[]> {
  const { rows } = await q.query<HoldingRow>(
    `select o.token_id::text as token_id, o.owner, t.achievement_key::text as key, o.from_block
       from badge_ownership o join badge_tokens t on t.token_id = o.token_id
      where o.owner = $1 and o.from_block <= $2 and (o.to_block is null or o.to_block > $2)
      order by o.token_id`,
    [owner.toLowerCase(), block.toString()],
  );
  return rows.map(toHolding);
}

export interface ListenerProgress {
  processedBlock: bigint;
  finalizedBlock: bigint;
}

type CheckpointRow = { block_number: string; finalized_block: string | null };

const toProgress = (row: CheckpointRow | undefined): ListenerProgress | undefined =>
  row && {
    processedBlock: BigInt(row.block_number),
    finalizedBlock: BigInt(row.finalized_block ?? row.block_number),
  };

/** How far the listener got for `badgeAddress`: applied and final blocks; undefined before it ran. */
export async function listenerProgress(
  q: Queryable,
  badgeAddress: string,
): Promise<ListenerProgress | undefined> {
  const { rows } = await q.query<CheckpointRow>(
    'select block_number, finalized_block from chain_checkpoints where contract = $1',
    [badgeAddress.toLowerCase()],
  );
  return toProgress(rows[0]);
}

/** {@link listenerProgress} of the badge contract this database follows (chain_identity). */
export async function followedProgress(q: Queryable): Promise<ListenerProgress | undefined> {
  const { rows } = await q.query<CheckpointRow>(
    `select c.block_number, c.finalized_block
       from chain_identity i join chain_checkpoints c on c.contract = lower(i.badge_address)`,
  );
  return toProgress(rows[0]);
}
