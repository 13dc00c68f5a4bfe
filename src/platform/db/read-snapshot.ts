/**
 * Reads that must agree with each other: several statements that see one snapshot of the database
 * (a repeatable-read, read-only transaction), where separate reads on the pool could each see a
 * different moment — a row a writer changed together with another shown changed next to one not
 * yet. On PGlite (one session) it is an ordinary transaction.
 */
import type { Db, Queryable } from './create-db.ts';

/**
 * Runs `fn` with a Queryable whose statements all read the same snapshot. Statements sent at once
 * (Promise.all) still run one after the other, on the transaction's connection.
 */
export function readSnapshot<T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read, read only');
    return fn(tx);
  });
}
