/**
 * A Kysely dialect over PGlite. PGlite is one database session, so the dialect hands out that one
 * connection to one user at a time (a FIFO mutex): a transaction holds it from BEGIN to COMMIT and
 * nothing else can interleave statements into it. Everything that touches the embedded database —
 * Kysely, raw queries, pg-boss — goes through this dialect's connection.
 *
 * Consequence: code inside a transaction must not wait on a statement outside it (it would wait
 * for itself). PostgreSQL with a pool of 1 behaves the same, so such code is a bug on both.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { Mutex } from './mutex.ts';

export const MULTI_STATEMENT = /;\s*\S/;

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const params = compiled.parameters as unknown[];
    if (params.length === 0 && MULTI_STATEMENT.test(compiled.sql)) {
      const results = await this.pglite.exec(compiled.sql);
      const last = [...results].reverse().find((r) => r.fields.length > 0) ?? results[results.length - 1];
      return withRowCount((last?.rows ?? []) as R[], last?.affectedRows);
    }
    const result = await this.pglite.query<R>(compiled.sql, params);
    return withRowCount(result.rows, result.affectedRows);
  }

  // biome-ignore lint/correctness/useYield: streaming is not supported by PGlite's API; Kysely only calls this for .stream()
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming');
  }
}

export class PGliteDriver implements Driver {
  readonly mutex = new Mutex();
  readonly #connection: PGliteConnection;
  readonly #releases = new Map<DatabaseConnection, () => void>();

  constructor(private readonly pglite: PGlite) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.acquire();
    this.#releases.set(this.#connection, release);
    return this.#connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const release = this.#releases.get(connection);
    this.#releases.delete(connection);
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'begin', parameters: [] } as unknown as CompiledQuery);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'commit', parameters: [] } as unknown as CompiledQuery);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'rollback', parameters: [] } as unknown as CompiledQuery);
  }

  async destroy(): Promise<void> {
    await this.mutex.run(() => this.pglite.close());
  }
}

export class PGliteDialect implements Dialect {
  readonly driver: PGliteDriver;
  constructor(pglite: PGlite) {
    this.driver = new PGliteDriver(pglite);
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver() {
    return this.driver;
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Parameters<Dialect['createIntrospector']>[0]) {
    return new PostgresIntrospector(db);
  }
}

/**
 * The row count as pg reports it: rows affected by insert/update/delete, rows returned by a select
 * (PGlite says 0 affected for a select).
 */
function withRowCount<R>(rows: R[], affected: number | undefined): QueryResult<R> {
  const count = Math.max(affected ?? 0, rows.length);
  return affected === undefined && rows.length === 0 ? { rows } : { rows, numAffectedRows: BigInt(count) };
}
