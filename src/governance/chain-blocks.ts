/**
 * Which blocks governance may use. The listener (src/chain) applies badge events block by block
 * and records its progress in `chain_checkpoints`; a block it has not applied yet has no reliable
 * ownership data, and one less than the confirmation depth deep may still be reorganised.
 */
import type { Queryable } from '../platform/db/create-db.ts';

export interface BlockSource {
  /** Highest block whose badge events are applied; voting power is refused above it. */
  latestIndexed(): Promise<bigint>;
  /** Highest block treated as final: proposal snapshots and proposal thresholds use it. */
  latestConfirmed(): Promise<bigint>;
}

/**
 * Reads the listener's checkpoint: indexed = the highest `chain_checkpoints.block_number`
 * (0 before the listener ran), confirmed = indexed − `confirmations` (not below 0).
 */
export function checkpointBlocks(db: Queryable, confirmations: number): BlockSource {
  const latestIndexed = async () => {
    const { rows } = await db.query<{ block: string | null }>(
      'select max(block_number)::text as block from chain_checkpoints',
    );
    return BigInt(rows[0]?.block ?? '0');
  };
  return {
    latestIndexed,
    async latestConfirmed() {
      const indexed = await latestIndexed();
      const confirmed = indexed - BigInt(confirmations);
      return confirmed > 0n ? confirmed : 0n;
    },
  };
}
