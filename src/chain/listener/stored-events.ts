/**
 * Badge events as stored in `chain_events`: read back (to post them once final, or to compare a
 * replayed range), and undone one by one (a stored event the chain no longer has).
 */
import type { Hex } from 'viem';
import type { Queryable } from '../../platform/db/create-db.ts';
import type { BadgeEvent, BadgeEventName } from './decode-badge-logs.ts';

interface EventRow {
  block_number: string;
  block_hash: string;
  tx_hash: string;
  log_index: number;
  event: string;
  args: { tokenId?: string; to?: string; owner?: string; achievementId?: string };
  ts: string | null;
}

/** Stored badge events of blocks (after, upTo], in chain order. */
export async function storedEvents(q: Queryable, after: bigint, upTo: bigint): Promise<BadgeEvent[]> {
  if (upTo <= after) return [];
  const { rows } = await q.query<EventRow>(
    `select block_number, block_hash, tx_hash, log_index, event, args,
            extract(epoch from block_timestamp)::bigint::text as ts
       from chain_events
      where block_number > $1 and block_number <= $2 and event in ('BadgeMinted', 'BadgeRevoked')
      order by block_number, log_index`,
    [after.toString(), upTo.toString()],
  );
  return rows.map((r) => ({
    event: r.event as BadgeEventName,
    tokenId: BigInt(r.args.tokenId ?? '0'),
    holder: (r.args.to ?? r.args.owner ?? '').toLowerCase(),
    achievementKey: BigInt(r.args.achievementId ?? '0'),
    blockNumber: BigInt(r.block_number),
    blockHash: r.block_hash as Hex,
    txHash: r.tx_hash as Hex,
    logIndex: r.log_index,
    blockTimestamp: r.ts === null ? undefined : BigInt(r.ts),
  }));
}

/**
 * Undoes stored events the chain does not have (newest first): a mint's token and ownership row
 * go, a revoke's ownership row re-opens and its token gets the holder back. Returns the holders.
 */
export async function undoEvents(tx: Queryable, stale: readonly BadgeEvent[]): Promise<Set<string>> {
  const holders = new Set<string>();
  for (const e of [...stale].reverse()) {
    const token = e.tokenId.toString();
    const block = e.blockNumber.toString();
    holders.add(e.holder);
    if (e.event === 'BadgeMinted') {
      await tx.query('delete from badge_ownership where token_id = $1 and from_block = $2', [token, block]);
      await tx.query('delete from badge_tokens where token_id = $1 and minted_block = $2', [token, block]);
    } else {
      await tx.query('update badge_ownership set to_block = null where token_id = $1 and to_block = $2', [
        token,
        block,
      ]);
      await tx.query(
        `update badge_tokens set owner = $3, revoked_block = null, updated_at = now()
          where token_id = $1 and revoked_block = $2`,
        [token, block, e.holder],
      );
    }
    await tx.query('delete from chain_events where block_number = $1 and log_index = $2', [
      block,
      e.logIndex,
    ]);
  }
  return holders;
}
