/**
 * Which blocks governance may use. The listener (src/chain) applies badge events block by block
 * and records its progress in `chain_checkpoints`: the applied block, and the finalized block
 * (applied − its confirmation depth, once that range was posted). A block it has not applied yet
 * has no reliable ownership data; one above the finalized block may still be reorganised.
 *
 * Finality is the listener's, not recomputed here: the embedded dev chain's listener uses a depth
 * of 0 (nothing can reorg it), whatever CB_CHAIN_CONFIRMATIONS says, and a depth recomputed from
 * the setting would hold a new member's badge out of proposal snapshots until more blocks came —
 * on a chain that mines only on transactions, possibly never.
 */
import type { Queryable } from '../platform/db/create-db.ts';

export interface BlockSource {
  /** Highest block whose badge events are applied; voting power is refused above it. */
  latestIndexed(): Promise<bigint>;
  /** Highest block treated as final: proposal snapshots and proposal thresholds use it. */
  latestConfirmed(): Promise<bigint>;
}

/**
 * Reads the listener's checkpoint: indexed = the highest `chain_checkpoints.block_number`, confirmed =
 * the highest `finalized_block` (each 0 before the listener got there).
 */
export function checkpointBlocks(db: Queryable): BlockSource {
  const read = async (column: 'block_number' | 'finalized_block') => {
    const { rows } = await db.query<{ block: string | null }>(
      `select max(${column})::text as block from chain_checkpoints`,
    );
    return BigInt(rows[0]?.block ?? '0');
  };
  return {
    latestIndexed: () => read('block_number'),
    latestConfirmed: () => read('finalized_block'),
  };
}
