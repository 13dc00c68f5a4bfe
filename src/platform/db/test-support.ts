/** Test helpers around the database. */
import type { Db, Queryable } from './create-db.ts';

/**
 * `db` for a reader that another writer interrupts: `write` runs — on `db` itself, so committed at
 * once on another connection — right after the first statement matching `after`, whether the reader
 * sent it on the Db or inside one of its transactions. `wrote()` says whether it happened. For
 * PostgreSQL: on PGlite (one session) a write from outside a running transaction waits forever.
 */
export function interleavedDb(
  db: Db,
  after: RegExp,
  write: () => Promise<unknown>,
): { db: Db; wrote: () => boolean } {
  let wrote = false;
  const spied = (q: Queryable): Queryable['query'] =>
    (async (text, params, options) => {
      const result = await q.query(text, params, options);
      if (!wrote && after.test(text)) {
        wrote = true;
        await write();
      }
      return result;
    }) as Queryable['query'];
  return {
    db: {
      ...db,
      query: spied(db),
      transaction: (fn) => db.transaction((tx) => fn({ ...tx, query: spied(tx) })),
    },
    wrote: () => wrote,
  };
}

/**
 * `db` with every statement sent through it — on the Db or inside one of its transactions — listed
 * in `sent`, in order; `answered(text)` runs as each one answers. For a test that aborts a job's
 * signal at a chosen statement (as its expiry would) and checks what the job sent after it.
 */
export function watchedDb(db: Db, answered: (text: string) => void = () => {}): { db: Db; sent: string[] } {
  const sent: string[] = [];
  const watched = (q: Queryable): Queryable['query'] =>
    (async (text, params, options) => {
      sent.push(text);
      const result = await q.query(text, params, options);
      answered(text);
      return result;
    }) as Queryable['query'];
  return {
    db: {
      ...db,
      query: watched(db),
      transaction: (fn) => db.transaction((tx) => fn({ ...tx, query: watched(tx) })),
    },
    sent,
  };
}
