import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TEST_DRIVER, testDatabaseTarget } from '../../../test/services.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createDb, type Db } from './create-db.ts';
import { createDbSampler } from './db-sampler.ts';
import { migrate } from './migrate.ts';

let db: Db;
let drop: () => Promise<void>;
let databaseUrl: string | undefined;
const metrics = createMetrics();

beforeAll(async () => {
  const target = await testDatabaseTarget();
  drop = target.drop;
  databaseUrl = target.databaseUrl;
  db = await createDb({ ...target, poolMax: 3, slowQueryMs: 200, logger: createSilentLogger(), metrics });
  await migrate(db, createSilentLogger());
});

afterAll(async () => {
  await db?.close();
  await drop?.();
});

const value = async (name: string, labels = '') => {
  const text = await metrics.registry.getSingleMetricAsString(name);
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('db sampler', () => {
  test('default: table sizes, pool and server connections', async () => {
    await createDbSampler({
      db,
      metrics,
      logger: createSilentLogger(),
      intervalMs: 1000,
      schemas: ['public'],
    }).sample();
    expect(await value('cb_db_table_size_bytes', '{table="cb_api_keys"}')).toBeGreaterThan(0);
    expect(await value('cb_db_pool_max_connections')).toBe(TEST_DRIVER === 'pg' ? 3 : 1);
    expect(await value('cb_db_server_connections', '{kind="max"}')).toBeGreaterThan(0);
    expect(await value('cb_db_lock_wait_seconds')).toBe(0);
  });

  test.runIf(TEST_DRIVER === 'pg')('behavior: a blocked statement shows up as lock wait', async () => {
    await db.query('create table lockme (id int primary key)');
    await db.query('insert into lockme values (1)');
    const holder = new pg.Client({ connectionString: databaseUrl });
    const waiter = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('begin');
      await holder.query('update lockme set id = 1 where id = 1');
      const blocked = waiter.query('update lockme set id = 1 where id = 1');
      await new Promise((r) => setTimeout(r, 1200));
      await createDbSampler({
        db,
        metrics,
        logger: createSilentLogger(),
        intervalMs: 1000,
        schemas: ['public'],
      }).sample();
      expect(await value('cb_db_lock_wait_seconds')).toBeGreaterThanOrEqual(1);
      await holder.query('rollback');
      await blocked;
    } finally {
      await holder.end();
      await waiter.end();
    }
  });
});
