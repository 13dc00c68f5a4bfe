/**
 * Runs `fn` while holding a transaction-scoped advisory lock named `name` (hashed to a key): one
 * holder at a time across every process on the database; released when `fn` settles. For short
 * critical sections that are not themselves database work (the transaction stays open meanwhile,
 * and on the embedded database it holds the one connection).
 */
import type { Db } from './create-db.ts';

export function withAdvisoryLock<T>(db: Db, name: string, fn: () => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [name]);
    return fn();
  });
}
