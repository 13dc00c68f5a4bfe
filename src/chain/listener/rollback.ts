/**
 * Undoing what was applied above a block (a reorg's fork point), set-based, inside the caller's
 * transaction: ownership rows that start above it go, rows closed above it re-open, tokens minted
 * above it go, tokens revoked above it get their holder back, and the events and block hashes
 * above it are deleted. The checkpoint is the caller's to move.
 */
import type { Queryable } from '../../platform/db/create-db.ts';

/** Rolls the badge tables back to the state after block `fork`; returns the holders concerned. */
export async function rollbackAbove(tx: Queryable, fork: bigint): Promise<Set<string>> {
  const b = fork.toString();
  const { rows } = await tx.query<{ owner: string }>(
    'select distinct owner from badge_ownership where from_block > $1 or to_block > $1',
    [b],
  );
  await tx.query('delete from badge_ownership where from_block > $1', [b]);
  await tx.query('update badge_ownership set to_block = null where to_block > $1', [b]);
  await tx.query('delete from badge_tokens where minted_block > $1', [b]);
  await tx.query(
    `update badge_tokens t
        set owner = (select o.owner from badge_ownership o
                      where o.token_id = t.token_id and o.to_block is null
                      order by o.from_block desc limit 1),
            revoked_block = null, updated_at = now()
      where t.revoked_block > $1`,
    [b],
  );
  await tx.query('delete from chain_events where block_number > $1', [b]);
  await tx.query('delete from chain_blocks where number > $1', [b]);
  return new Set(rows.map((r) => r.owner));
}
