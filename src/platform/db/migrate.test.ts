import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresAvailable, testDatabaseTarget } from '../../../test/services.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createDb } from './create-db.ts';
import { loadMigrations, migrate } from './migrate.ts';

const logger = createSilentLogger();

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-mig-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

describe('migrate', () => {
  test('default: applies the shipped migrations once; a second run applies nothing', async () => {
    const target = await testDatabaseTarget();
    const db = await createDb({ ...target, poolMax: 2, slowQueryMs: 1000, logger, metrics: createMetrics() });
    try {
      const first = await migrate(db, logger);
      expect(first.applied).toEqual(loadMigrations().map((m) => m.id));
      const second = await migrate(db, logger);
      expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
    } finally {
      await db.close();
      await target.drop();
    }
  });

  test('error: a failing migration is rolled back whole and not recorded', async () => {
    const target = await testDatabaseTarget();
    const db = await createDb({ ...target, poolMax: 2, slowQueryMs: 1000, logger, metrics: createMetrics() });
    const dir = migrationsDir({
      '0001_ok.sql': 'create table ok1 (x int);',
      '0002_bad.sql': 'create table bad1 (x int); insert into nope values (1);',
    });
    try {
      await expect(migrate(db, logger, loadMigrations(dir))).rejects.toMatchObject({
        code: 'CB_MIGRATION_FAILED',
      });
      const tables = await db.query<{ n: number }>(
        `select count(*)::int as n from pg_tables where tablename in ('ok1','bad1')`,
      );
      expect(tables.rows[0]!.n).toBe(1);
      const ids = await db.query<{ id: string }>('select id from cb_migrations order by id');
      expect(ids.rows.map((r) => r.id)).toEqual(['0001_ok']);
    } finally {
      await db.close();
      await target.drop();
    }
  });

  test('error: a migration changed after it was applied is refused', async () => {
    const target = await testDatabaseTarget();
    const db = await createDb({ ...target, poolMax: 2, slowQueryMs: 1000, logger, metrics: createMetrics() });
    const dir = migrationsDir({ '0001_a.sql': 'create table a1 (x int);' });
    try {
      await migrate(db, logger, loadMigrations(dir));
      writeFileSync(join(dir, '0001_a.sql'), 'create table a1 (x bigint);');
      await expect(migrate(db, logger, loadMigrations(dir))).rejects.toMatchObject({
        code: 'CB_MIGRATION_CHANGED',
      });
    } finally {
      await db.close();
      await target.drop();
    }
  });
});

describe('migrate on PostgreSQL with several instances', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    if (!(await postgresAvailable())) return;
    ({ url, drop } = await createTestDatabase());
  });
  afterAll(async () => drop?.());

  test('behavior: four instances migrating at once apply each migration exactly once', async (ctx) => {
    if (!url) ctx.skip();
    const dir = migrationsDir({
      '0001_t.sql': 'create table once_t (x int);',
      // Not idempotent on purpose: a second application would fail or double the rows.
      '0002_rows.sql': 'insert into once_t select generate_series(1, 10); select pg_sleep(0.2);',
    });
    const dbs = await Promise.all(
      Array.from({ length: 4 }, () =>
        createDb({
          databaseUrl: url,
          dataDir: 'memory://',
          poolMax: 2,
          slowQueryMs: 5000,
          logger,
          metrics: createMetrics(),
        }),
      ),
    );
    try {
      const results = await Promise.all(dbs.map((db) => migrate(db, logger, loadMigrations(dir))));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(['0001_t', '0002_rows']);
      const { rows } = await dbs[0]!.query<{ n: number }>('select count(*)::int as n from once_t');
      expect(rows[0]!.n).toBe(10);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
