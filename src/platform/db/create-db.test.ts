import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { emptyPgliteData, TEST_DRIVER, testDatabaseTarget } from '../../../test/services.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { copyRows } from './copy-text.ts';
import { createDb, type Db, normalizeStatement, operationOf } from './create-db.ts';
import { migrate } from './migrate.ts';

let db: Db;
let drop: () => Promise<void>;
const metrics = createMetrics();

beforeAll(async () => {
  const target = await testDatabaseTarget();
  drop = target.drop;
  db = await createDb({ ...target, poolMax: 4, slowQueryMs: 200, logger: createSilentLogger(), metrics });
  await migrate(db, createSilentLogger());
});

afterAll(async () => {
  await db?.close();
  await drop?.();
});

describe('createDb', () => {
  test('default: int8 and numeric parse as strings, timestamptz as Date, jsonb as object', async () => {
    const { rows } = await db.query<{ big: string; num: string; at: Date; doc: { a: number } }>(
      `select 9007199254740993::int8 as big, 1.50::numeric as num, now() as at, '{"a":1}'::jsonb as doc`,
    );
    expect(rows[0]).toMatchObject({ big: '9007199254740993', num: '1.50', doc: { a: 1 } });
    expect(rows[0]!.at).toBeInstanceOf(Date);
  });

  test('behavior: a script without params runs every statement and returns the last rows', async () => {
    const { rows } = await db.query(
      'create temp table t1 (x int); insert into t1 values (1),(2); select count(*)::int as n from t1',
    );
    expect(rows).toEqual([{ n: 2 }]);
  });

  test('behavior: concurrent transactions never interleave', async () => {
    await db.query('create table tx_race (id int primary key, n int not null)');
    await db.query('insert into tx_race values (1, 0)');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.kysely.transaction().execute(async (trx) => {
          const { rows } = await trx.executeQuery<{ n: number }>({
            sql: 'select n from tx_race where id = 1 for update',
            parameters: [],
          } as never);
          await trx.executeQuery({
            sql: 'update tx_race set n = $1 where id = 1',
            parameters: [rows[0]!.n + 1],
          } as never);
        }),
      ),
    );
    const { rows } = await db.query<{ n: number }>('select n from tx_race where id = 1');
    expect(rows[0]!.n).toBe(20);
  });

  test('behavior: statements are timed by operation', async () => {
    await db.query('select 1');
    const text = await metrics.registry.getSingleMetricAsString('cb_db_query_duration_seconds');
    expect(text).toMatch(/cb_db_query_duration_seconds_count\{operation="select"\} [1-9]/);
  });

  test('behavior: a rolled-back transaction leaves nothing', async () => {
    await db.query('create table rb (x int)');
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await trx.executeQuery({ sql: 'insert into rb values (1)', parameters: [] } as never);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query('select * from rb')).rows).toEqual([]);
  });
});

describe('statement helpers', () => {
  test('operationOf', () => {
    expect(operationOf('copy t (a, b) from stdin')).toBe('insert');
    expect(operationOf("COPY t (a) FROM '/dev/blob'")).toBe('insert');
    expect(operationOf('copy t to stdout')).toBe('other');
    expect(operationOf('  SELECT 1')).toBe('select');
    expect(operationOf('with x as (select 1) insert into t select * from x')).toBe('insert');
    expect(operationOf('create table t (x int)')).toBe('other');
  });
  test('normalizeStatement hides literals', () => {
    expect(normalizeStatement("select * from t where a = 'secret' and b = 42")).toBe(
      'select * from t where a = ? and b = ?',
    );
  });
});

describe('slow queries', () => {
  test('behavior: a statement over the threshold is counted and logged at WARN, normalised', async () => {
    const { captureLogs } = await import('../../../test/log-capture.ts');
    const logs = captureLogs('debug', 'db');
    const m = createMetrics();
    const target = await testDatabaseTarget();
    const slowDb = await createDb({
      ...target,
      poolMax: 2,
      slowQueryMs: 30,
      logger: logs.logger,
      metrics: m,
    });
    try {
      await slowDb.query("select pg_sleep(0.05), 'hidden-literal' as x");
      await slowDb.query('select 1');
    } finally {
      await slowDb.close();
      await target.drop();
    }
    expect(await m.registry.getSingleMetricAsString('cb_db_slow_queries_total')).toContain(
      'cb_db_slow_queries_total 1',
    );
    const warn = logs.entries().find((e) => e.message === 'slow query');
    expect(warn).toMatchObject({
      level: 'WARN',
      service: 'db',
      context: { statement: 'select pg_sleep(?), ? as x' },
    });
    expect((warn!.metrics as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(30);
  });
});

describe('transaction', () => {
  test('behavior: commits on success and rolls back on error', async () => {
    await db.query('create table tx_t (x int)');
    await db.transaction(async (tx) => {
      await tx.query('insert into tx_t values ($1)', [1]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into tx_t values ($1)', [2]);
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    expect((await db.query<{ x: number }>('select x from tx_t')).rows).toEqual([{ x: 1 }]);
  });
});

describe('copyIn', () => {
  test('behavior: rows in COPY text go in as they are read back (escapes, NULL, jsonb), timed as inserts', async () => {
    await db.query('create table copy_t (id int primary key, note text, doc jsonb, at timestamptz)');
    const notes = ['plain', 'tab\there', 'line\nbreak and \\ backslash', null];
    const docs = [{ a: 1 }, { q: 'say "hi"\n' }, { list: [1, 'x'] }, null];
    const before = await insertsTimed();
    const stored = await db.transaction((tx) =>
      tx.copyIn(
        'copy_t',
        ['id', 'note', 'doc', 'at'],
        copyRows(
          [
            [1, 2, 3, 4],
            notes,
            docs.map((d) => (d === null ? null : JSON.stringify(d))),
            ['2026-01-02T03:04:05Z', null, null, null],
          ],
          4,
        ),
      ),
    );
    expect(stored).toBe(4);
    expect(await insertsTimed()).toBe(before + 1);
    const { rows } = await db.query<{ note: string | null; doc: unknown; at: Date | null }>(
      'select note, doc, at from copy_t order by id',
    );
    expect(rows.map((r) => r.note)).toEqual(notes);
    expect(rows.map((r) => r.doc)).toEqual(docs);
    expect(rows[0]!.at?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
  });

  test('behavior: a failing row fails the whole COPY; under a savepoint the transaction goes on', async () => {
    await db.query('create table copy_u (id int primary key)');
    await db.query('insert into copy_u values (2)');
    const stored = await db.transaction(async (tx) => {
      await tx.query('savepoint s');
      const err = await tx.copyIn('copy_u', ['id'], '1\n2\n3\n').catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('23505');
      await tx.query('rollback to savepoint s');
      return tx.copyIn('copy_u', ['id'], '1\n3\n');
    });
    expect(stored).toBe(2);
    expect(
      (await db.query<{ id: number }>('select id from copy_u order by id')).rows.map((r) => r.id),
    ).toEqual([1, 2, 3]);
  });

  test('args: names that are not plain identifiers are refused before anything runs', async () => {
    await expect(db.transaction((tx) => tx.copyIn('copy_t; drop table x', ['id'], ''))).rejects.toThrow(
      /not a plain identifier/,
    );
  });
});

/** How many insert statements cb_db_query_duration_seconds has timed. */
async function insertsTimed(): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString('cb_db_query_duration_seconds');
  return Number(/cb_db_query_duration_seconds_count\{operation="insert"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('named statements', () => {
  test('behavior: run prepared in and out of transactions, with the same results and timings', async () => {
    await db.query('create table named_t (x int primary key, y text)');
    const before = await insertsTimed();
    for (let i = 0; i < 8; i++)
      await db.query('insert into named_t (x, y) values ($1, $2)', [i, `v${i}`], { name: 'named_t_insert' });
    await db.transaction(async (tx) => {
      await tx.query('insert into named_t (x, y) values ($1, $2)', [100, 'tx'], { name: 'named_t_insert' });
      const { rows, rowCount } = await tx.query<{ y: string }>(
        'select y from named_t where x >= $1 order by x',
        [6],
        { name: 'named_t_from' },
      );
      expect(rows.map((r) => r.y)).toEqual(['v6', 'v7', 'tx']);
      expect(rowCount).toBe(3);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into named_t (x, y) values ($1, $2)', [200, 'gone'], {
          name: 'named_t_insert',
        });
        await tx.query('insert into named_t (x, y) values ($1, $2)', [0, 'duplicate'], {
          name: 'named_t_insert',
        });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const { rows } = await db.query<{ n: number }>(
      'select count(*)::int as n from named_t where x = $1',
      [200],
      {
        name: 'named_t_count',
      },
    );
    expect(rows).toEqual([{ n: 0 }]);
    expect((await insertsTimed()) - before).toBe(11);
  });

  test('behavior: a script inside a transaction runs every statement', async () => {
    const n = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ n: number }>(
        'create temp table script_t (x int); insert into script_t values (1),(2),(3); select count(*)::int as n from script_t',
      );
      return rows[0]?.n;
    });
    expect(n).toBe(3);
  });
});

describe.runIf(TEST_DRIVER === 'pglite')('initialData (embedded)', () => {
  /** A one-connection embedded database in `dataDir`, started from `initialData`. */
  const open = async (initialData: Blob, dataDir = 'memory://') =>
    createDb({ dataDir, initialData, poolMax: 1, slowQueryMs: 1000, logger: createSilentLogger(), metrics });

  test('behavior: an in-memory database starts from the given data directory, not from initdb', async () => {
    const source = await open(await emptyPgliteData());
    await source.query("create table marker (note text); insert into marker values ('from the source')");
    const data = await source.dumpDataDir!();
    await source.close();
    const copy = await open(data);
    try {
      expect((await copy.query<{ note: string }>('select note from marker')).rows).toEqual([
        { note: 'from the source' },
      ]);
    } finally {
      await copy.close();
    }
  });

  test('behavior: the test template is an empty database, with no migration applied', async () => {
    const fresh = await open(await emptyPgliteData());
    try {
      const { rows } = await fresh.query<{ n: number }>(
        `select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`,
      );
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await fresh.close();
    }
  });

  test('args: initialData with a data directory on disk is refused before anything is opened', async () => {
    await expect(open(new Blob([]), '/nonexistent/cb-data')).rejects.toThrow(
      'initialData is for an in-memory database (dataDir memory://) only',
    );
  });
});
