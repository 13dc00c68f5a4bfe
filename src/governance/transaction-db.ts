/**
 * A `Db` whose statements and transactions run inside an open transaction: lets code that takes
 * a `Db` and opens its own transaction (`saveAchievements`) join ours, so a proposal's changes
 * commit or roll back together.
 */
import type { Db, Transaction } from '../platform/db/create-db.ts';

export function transactionAsDb(db: Db, tx: Transaction): Db {
  return {
    ...db,
    query: (text, params) => tx.query(text, params),
    transaction: (fn) => fn(tx),
  };
}

const ROLLBACK = Symbol('rollback');

/** Runs `fn` in a transaction that is always rolled back (a dry run); returns what `fn` returned. */
export async function dryRun<T>(db: Db, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  let out: { value: T } | undefined;
  try {
    await db.transaction(async (tx) => {
      out = { value: await fn(tx) };
      throw ROLLBACK;
    });
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
  return out!.value;
}
