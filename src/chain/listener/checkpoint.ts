/**
 * The listener's checkpoint (one `chain_checkpoints` row per contract) holds two cursors:
 *
 * - `block_number` / `block_hash`: the last applied block (ownership, tokens, events). Moved by the
 *   transaction that applies a range, under the contract's *apply* lock.
 * - `finalized_block`: events up to here are final and were posted to the intake and matched to the
 *   outbox. Moved by the transaction that posts them, under the contract's *finalize* lock.
 *
 * Two locks let posting range k overlap with applying range k+1 (on PostgreSQL: two connections).
 * Writers that touch both (rollback, replay, reconcile --fix) take apply, then finalize. All locks
 * are transaction-scoped advisory locks; every writer re-reads the cursor it moves under its lock
 * and gives up (`CHAIN_CHECKPOINT_MOVED`) when another writer moved it.
 */
import type { Hex } from 'viem';
import type { Queryable } from '../../platform/db/create-db.ts';
import { CheckpointMovedError } from './errors.ts';

export interface Checkpoint {
  block: bigint;
  /** Hash of `block`; null only for the virtual checkpoint before the start block. */
  hash: Hex | null;
  /** Events up to here are posted to the intake and matched to the outbox. */
  finalized: bigint;
}

/** Reads the checkpoint of `contract` (lower-case address), or undefined before the first range. */
export async function readCheckpoint(q: Queryable, contract: string): Promise<Checkpoint | undefined> {
  const { rows } = await q.query<{
    block_number: string;
    block_hash: string | null;
    finalized_block: string | null;
  }>('select block_number, block_hash, finalized_block from chain_checkpoints where contract = $1', [
    contract,
  ]);
  const row = rows[0];
  if (!row) return undefined;
  const block = BigInt(row.block_number);
  return {
    block,
    hash: row.block_hash as Hex | null,
    finalized: row.finalized_block === null ? block : BigInt(row.finalized_block),
  };
}

export type CheckpointLock = 'apply' | 'finalize';

/** Takes the contract's `lock` for the rest of `tx`. */
export async function takeLock(tx: Queryable, contract: string, lock: CheckpointLock): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`cb:chain-listener:${lock}:${contract}`]);
}

/**
 * Takes the apply lock and checks the applied cursor is still `expected` (undefined: no row yet).
 * @throws CheckpointMovedError when another writer moved it.
 */
export async function lockApplied(
  tx: Queryable,
  contract: string,
  expected: Pick<Checkpoint, 'block' | 'hash'> | undefined,
): Promise<Checkpoint | undefined> {
  await takeLock(tx, contract, 'apply');
  const found = await readCheckpoint(tx, contract);
  const same =
    found === undefined || expected === undefined
      ? found === expected
      : found.block === expected.block && found.hash === expected.hash;
  if (!same) throw new CheckpointMovedError(expected?.block, found?.block);
  return found;
}

/** Takes both locks (apply, then finalize) and returns the checkpoint as it is. */
export async function lockAll(tx: Queryable, contract: string): Promise<Checkpoint | undefined> {
  await takeLock(tx, contract, 'apply');
  await takeLock(tx, contract, 'finalize');
  return readCheckpoint(tx, contract);
}

/** Moves the applied cursor (creating the row, finalized at `initialFinalized`, on first use). */
export async function writeApplied(
  tx: Queryable,
  contract: string,
  block: bigint,
  hash: Hex,
  initialFinalized: bigint,
): Promise<void> {
  await tx.query(
    `insert into chain_checkpoints (contract, block_number, block_hash, finalized_block, updated_at)
     values ($1, $2, $3, $4, now())
     on conflict (contract) do update
       set block_number = excluded.block_number, block_hash = excluded.block_hash, updated_at = now()`,
    [contract, block.toString(), hash, initialFinalized.toString()],
  );
}

/** Moves the finalized cursor. */
export async function writeFinalized(tx: Queryable, contract: string, finalized: bigint): Promise<void> {
  await tx.query(
    'update chain_checkpoints set finalized_block = $2, updated_at = now() where contract = $1',
    [contract, finalized.toString()],
  );
}

/** Moves both cursors (rollback). */
export async function writeCheckpoint(tx: Queryable, contract: string, cp: Checkpoint): Promise<void> {
  await tx.query(
    `insert into chain_checkpoints (contract, block_number, block_hash, finalized_block, updated_at)
     values ($1, $2, $3, $4, now())
     on conflict (contract) do update set block_number = excluded.block_number, block_hash = excluded.block_hash,
       finalized_block = excluded.finalized_block, updated_at = now()`,
    [contract, cp.block.toString(), cp.hash, cp.finalized.toString()],
  );
}
