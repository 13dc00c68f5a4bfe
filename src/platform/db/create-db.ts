/**
 * The database: a `pg` pool when DATABASE_URL is set, otherwise in-process PGlite under the data
 * directory (guarded by a lock file). Raw statements and transactions go straight to the pg pool
 * (named ones prepared per connection), or through Kysely's PGlite dialect; every statement —
 * Kysely's, raw, or pg-boss's — is timed into `cb_db_query_duration_seconds` and, when slow,
 * counted and logged.
 *
 * Values parse the same on both drivers: int8 and numeric as strings (exact), timestamptz as Date,
 * json/jsonb as objects.
 */
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, type LogEvent, PostgresDialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export interface PoolStats {
  active: number;
  idle: number;
  waiting: number;
  max: number;
  /**
   * How long the oldest request still waiting for a connection has waited, in ms (0: none waits).
   * An instance over its capacity queues here (see the API's load shedding).
   */
  oldestWaitMs: number;
}

export interface QueryResultRows<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Runs the statement as a named prepared statement on PostgreSQL: parsed and planned once per
   * connection instead of on every call (the plan is most of a small statement's server CPU). For
   * hot, fixed SQL texts only: one name always means one text, and each connection keeps every
   * name it has seen. PGlite ignores it.
   */
  name?: string | undefined;
}

/** Something that runs parameterised SQL: the database, or one transaction of it. */
export interface Queryable {
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResultRows<R>>;
}

/** One transaction's connection: statements, and COPY. */
export interface Transaction extends Queryable {
  /**
   * Bulk insert: `COPY table (columns) FROM STDIN` of `rows`, in COPY's text format (see
   * copy-text.ts); returns the rows stored. All or nothing: a failing row (a unique violation, say)
   * fails the statement, and with it the transaction unless under a savepoint.
   */
  copyIn(table: string, columns: readonly string[], rows: string): Promise<number>;
}

export interface Db extends Queryable {
  readonly driver: 'pg' | 'pglite';
  readonly kysely: Kysely<Database>;
  /** One parameterised statement (or, without params, a script of several). */
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResultRows<R>>;
  /**
   * Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws. Statements inside must use `tx`, never the Db itself (on PGlite that would wait forever).
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** `SELECT 1` within `timeoutMs`; throws UnavailableError naming the database otherwise. */
  ping(timeoutMs: number): Promise<void>;
  poolStats(): PoolStats;
  /**
   * Embedded database only: a consistent copy of its data directory, as a gzipped tar (PGlite's
   * `dumpDataDir`), taken between transactions. Undefined on PostgreSQL (pg_dump's job).
   */
  readonly dumpDataDir?: (() => Promise<Blob>) | undefined;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** PostgreSQL URL; when undefined the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; `memory://` for a throw-away in-memory database. */
  dataDir: string;
  /**
   * In-memory PGlite only: start from this data directory (a `dumpDataDir` tarball) instead of
   * running initdb, which takes ~3 s in WASM (the test suites load a freshly initialised one:
   * test/services.ts).
   */
  initialData?: Blob | undefined;
  poolMax: number;
  slowQueryMs: number;
  /** Also told of every slow statement (its shape, operation label and duration): slow-queries.ts. */
  onSlowQuery?: ((statement: string, operation: string, ms: number) => void) | undefined;
  logger: Logger;
  metrics: Metrics;
}

const INT8 = 20;
const NUMERIC = 1700;

// Same parsing as PGlite's options below: int8 stays a string on pg (its default), numeric too.
pg.types.setTypeParser(INT8, (v: string) => v);

/** `select`, `insert` (COPY FROM too), `update`, `delete` or `other` — the operation label. */
export function operationOf(sqlText: string): string {
  if (/^\s*copy\b[^;]*\bfrom\s+(stdin|'\/dev\/blob')\s*$/i.test(sqlText)) return 'insert';
  const m = /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete)\b/i.exec(sqlText);
  return m ? m[1]!.toLowerCase() : 'other';
}

/** The statement with literals replaced by `?`, whitespace folded, at most 500 characters. */
export function normalizeStatement(sqlText: string): string {
  return sqlText
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b\d+(\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

export async function createDb(options: CreateDbOptions): Promise<Db> {
  const { logger, metrics, slowQueryMs } = options;

  const observe = (sqlText: string, ms: number) => {
    const operation = operationOf(sqlText);
    metrics.dbQueryDuration.observe({ operation }, ms / 1000);
    if (ms >= slowQueryMs) {
      metrics.dbSlowQueries.inc();
      const statement = normalizeStatement(sqlText);
      options.onSlowQuery?.(statement, operation, ms);
      logger.warn('slow query', {
        context: { statement },
        metrics: { durationMs: Math.round(ms), thresholdMs: slowQueryMs },
      });
    }
  };
  /** Runs `fn` (the statement `sqlText`) and observes its duration, failed or not. */
  const timed = async <T>(sqlText: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      observe(sqlText, performance.now() - t0);
    }
  };
  const log = (event: LogEvent) => {
    observe(event.query.sql, event.queryDurationMillis);
  };

  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolMax,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'cb',
    });
    pool.on('error', (err) => logger.warn('idle database connection failed', { err }));
    const oldestWaitMs = timeAcquisitions(pool);
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    /**
     * A statement straight on pg (no Kysely in between), timed like Kysely's. A script without
     * params answers with the last result that has rows.
     */
    const run = async <R>(
      on: pg.Pool | pg.PoolClient,
      text: string,
      params: readonly unknown[],
      name: string | undefined,
    ): Promise<QueryResultRows<R>> =>
      timed(text, async () =>
        lastResult<R>(
          (await on.query({ text, values: [...params], ...(name ? { name } : {}) })) as
            | pg.QueryResult
            | pg.QueryResult[],
        ),
      );
    const copy = (client: pg.PoolClient, table: string, columns: readonly string[], rows: string) => {
      const text = copyStatement(table, columns, 'stdin');
      return timed(text, async () => {
        const stream = client.query(copyFrom(text));
        stream.end(rows);
        await finished(stream);
        return stream.rowCount;
      });
    };
    const db: Db = {
      driver: 'pg',
      kysely,
      query: (text, params = [], options) => run(pool, text, params, options?.name),
      transaction: async (fn) => {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          await run(client, 'begin', [], undefined);
          const result = await fn({
            query: (text, params = [], options) => run(client, text, params, options?.name),
            copyIn: (table, columns, rows) => copy(client, table, columns, rows),
          });
          await run(client, 'commit', [], undefined);
          return result;
        } catch (err) {
          try {
            await run(client, 'rollback', [], undefined);
          } catch (rollbackFailed) {
            // The connection is unusable (it went away mid-transaction): drop it from the pool.
            broken = rollbackFailed as Error;
          }
          throw err;
        } finally {
          client.release(broken);
        }
      },
      ping: (timeoutMs) => ping(kysely, timeoutMs),
      poolStats: () => ({
        active: pool.totalCount - pool.idleCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        max: options.poolMax,
        oldestWaitMs: oldestWaitMs(),
      }),
      close: () => kysely.destroy(),
    };
    return db;
  }

  const inMemory = options.dataDir === 'memory://';
  if (options.initialData && !inMemory)
    throw new Error('createDb: initialData is for an in-memory database (dataDir memory://) only');
  const dir = resolve(options.dataDir);
  const unlock = inMemory ? () => {} : lockDataDir(dir);
  let pglite: PGlite;
  try {
    pglite = new PGlite({
      ...(inMemory ? {} : { dataDir: join(dir, 'pg') }),
      ...(options.initialData ? { loadDataDir: options.initialData } : {}),
      parsers: { [INT8]: (v: string) => v, [NUMERIC]: (v: string) => v },
    });
    await pglite.waitReady;
  } catch (err) {
    unlock();
    throw new UnavailableError('CB_DB_UNAVAILABLE', `cannot open the embedded database in ${dir}`, {
      cause: err,
    });
  }
  const dialect = new PGliteDialect(pglite);
  const kysely = new Kysely<Database>({ dialect, log });
  const mutex = dialect.driver.mutex;
  return {
    driver: 'pglite',
    kysely,
    query: (text, params = []) => runRaw(kysely, text, params),
    transaction: (fn) =>
      transaction(kysely, fn, (table, columns, rows) => {
        // Inside the Kysely transaction, which holds the dialect's mutex: PGlite is one session,
        // so this runs within the transaction's BEGIN like every other statement of it.
        const text = copyStatement(table, columns, "'/dev/blob'");
        return timed(
          text,
          async () => (await pglite.query(text, [], { blob: new Blob([rows]) })).affectedRows ?? 0,
        );
      }),
    ping: (timeoutMs) => ping(kysely, timeoutMs),
    poolStats: () => ({
      active: mutex.locked ? 1 : 0,
      idle: mutex.locked ? 0 : 1,
      waiting: mutex.waiting,
      max: 1,
      oldestWaitMs: mutex.oldestWaitMs(),
    }),
    // Under the dialect's mutex, so no transaction is open while the files are read.
    dumpDataDir: () => mutex.run(() => pglite.dumpDataDir('gzip')),
    close: async () => {
      try {
        await kysely.destroy();
      } finally {
        unlock();
      }
    },
  };
}

/**
 * Keeps the start of every `pool.connect()` not yet answered — Kysely's, `pool.query`'s (which
 * connects through the instance's method), and transactions' — and returns a reader of the oldest
 * one's age. pg's pool serves waiters in order, so the oldest start is the head of its queue.
 */
function timeAcquisitions(pool: pg.Pool): () => number {
  const pending = new Set<{ since: number }>();
  const connect = pool.connect.bind(pool) as (
    callback?: (err: Error | undefined, client?: pg.PoolClient, release?: (err?: Error) => void) => void,
  ) => Promise<pg.PoolClient> | undefined;
  pool.connect = ((callback?: Parameters<typeof connect>[0]) => {
    const entry = { since: performance.now() };
    pending.add(entry);
    if (callback)
      return connect((err, client, release) => {
        pending.delete(entry);
        callback(err, client, release);
      });
    return connect()!.finally(() => pending.delete(entry));
  }) as typeof pool.connect;
  return () => {
    for (const first of pending) return performance.now() - first.since;
    return 0;
  };
}

async function runRaw<R>(
  kysely: Kysely<Database>,
  text: string,
  params: readonly unknown[],
): Promise<QueryResultRows<R>> {
  const result = await kysely.executeQuery<R>(CompiledQuery.raw(text, [...params]));
  return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? BigInt(result.rows.length)) };
}

/** A script answers with one result per statement: the last that returns rows (or the last). */
function lastResult<R>(results: pg.QueryResult | pg.QueryResult[]): QueryResultRows<R> {
  const list = Array.isArray(results) ? results : [results];
  const last = [...list].reverse().find((r) => r.fields.length > 0) ?? list[list.length - 1];
  return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? last?.rows.length ?? 0 };
}

/** A Kysely transaction (PGlite: Kysely's dialect owns its single connection). */
function transaction<T>(
  kysely: Kysely<Database>,
  fn: (tx: Transaction) => Promise<T>,
  copyIn: Transaction['copyIn'],
): Promise<T> {
  return kysely
    .transaction()
    .execute((trx) => fn({ query: (text, params = []) => runRaw(trx, text, params), copyIn }));
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** `copy table (columns) from <source>`; names are checked (they are ours, never user input). */
function copyStatement(table: string, columns: readonly string[], source: string): string {
  for (const name of [table, ...columns])
    if (!IDENTIFIER.test(name)) throw new Error(`copyIn: ${JSON.stringify(name)} is not a plain identifier`);
  return `copy ${table} (${columns.join(', ')}) from ${source}`;
}

async function ping(kysely: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      kysely.executeQuery(CompiledQuery.raw('select 1', [])),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new UnavailableError('CB_DB_UNAVAILABLE', `database unreachable: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}
