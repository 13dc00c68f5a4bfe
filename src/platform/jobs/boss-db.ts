/**
 * pg-boss reaches the database only through our `Db` (its `db: { executeSql }` option), so its
 * statements run on both drivers, share the pool (or PGlite's one session) and are timed into
 * `cb_db_query_duration_seconds` like every other statement.
 *
 * The adapter also counts statements in flight: pg-boss's internal cron worker completes its jobs
 * without awaiting the promise, so `stop()` waits until pg-boss is quiet before the caller may
 * close the database (a late statement on a closed pool would be an unhandled rejection).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CompiledQuery } from 'kysely';
import type { Db } from '../db/create-db.ts';

/** The database interface pg-boss accepts. */
export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface TrackedBossDb extends BossDb {
  readonly inFlight: number;
  /** True once no statement is in flight across an event-loop turn; false when `timeoutMs` ran out. */
  drain(timeoutMs: number): Promise<boolean>;
}

export function createBossDb(db: Db): TrackedBossDb {
  let inFlight = 0;
  let idle: (() => void)[] = [];
  return {
    get inFlight() {
      return inFlight;
    },
    async executeSql(text, values) {
      inFlight++;
      try {
        return await db.query<Record<string, unknown>>(text, values ?? []);
      } finally {
        inFlight--;
        if (inFlight === 0) {
          const waiters = idle;
          idle = [];
          for (const w of waiters) w();
        }
      }
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (inFlight > 0) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            idle.push(resolve);
            timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          });
          clearTimeout(timer);
          continue;
        }
        // A statement's result can start the next one within the same turn (microtasks only).
        await nextTurn();
        if (inFlight === 0) return true;
      }
      return inFlight === 0;
    },
  };
}

/** Runs `fn` in one transaction; pg-boss calls made with `{ db: tx }` join it. */
export async function inTransaction<T>(db: Db, fn: (tx: BossDb) => Promise<T>): Promise<T> {
  return db.kysely.transaction().execute(async (trx) =>
    fn({
      executeSql: async (text, values) => {
        const result = await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, values ?? []));
        return { rows: result.rows };
      },
    }),
  );
}
