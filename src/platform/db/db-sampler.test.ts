import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, TEST_DRIVER, testDatabaseTarget } from '../../../test/services.ts';
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

  /** Runs `fn` while one session waits for a row lock another holds; the waiter then goes on. */
  const whileBlocked = async (table: string, fn: () => Promise<void>, url = databaseUrl) => {
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    await setup.query(`create table ${table} (id int primary key)`);
    await setup.query(`insert into ${table} values (1)`);
    await setup.end();
    const holder = new pg.Client({ connectionString: url });
    const waiter = new pg.Client({ connectionString: url });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('begin');
      await holder.query(`update ${table} set id = 1 where id = 1`);
      const blocked = waiter.query(`update ${table} set id = 1 where id = 1`);
      try {
        await fn();
      } finally {
        await holder.query('rollback');
        await blocked;
      }
    } finally {
      await holder.end();
      await waiter.end();
    }
  };

  test.runIf(TEST_DRIVER === 'pg')('behavior: a blocked statement shows up as lock wait', async () => {
    await whileBlocked('lockme', async () => {
      await new Promise((r) => setTimeout(r, 1200));
      await createDbSampler({
        db,
        metrics,
        logger: createSilentLogger(),
        intervalMs: 1000,
        schemas: ['public'],
      }).sample();
      expect(await value('cb_db_lock_wait_seconds')).toBeGreaterThanOrEqual(1);
    });
  });

  test.runIf(TEST_DRIVER === 'pg')(
    "behavior: a lock wait in another database of the same server is not this database's",
    async () => {
      const other = await createTestDatabase();
      try {
        const own = createMetrics();
        const sampler = createDbSampler({
          db,
          metrics: own,
          logger: createSilentLogger(),
          intervalMs: 1000,
          schemas: ['public'],
        });
        await whileBlocked(
          'lockme_elsewhere',
          async () => {
            await new Promise((r) => setTimeout(r, 1200));
            await sampler.sampleLockWait();
          },
          other.url,
        );
        expect(Number((await own.dbLockWait.get()).values[0]?.value)).toBe(0);
      } finally {
        await other.drop();
      }
    },
  );

  test.runIf(TEST_DRIVER === 'pg')(
    'behavior: a wait stays in the gauge for the hold window after it ended, so a scrape after it sees it',
    async () => {
      const own = createMetrics();
      let now = 1_000_000;
      const sampler = createDbSampler({
        db,
        metrics: own,
        logger: createSilentLogger(),
        intervalMs: 15_000,
        lockWaitHoldMs: 30_000,
        schemas: ['public'],
        now: () => now,
      });
      const gauge = async () => Number((await own.dbLockWait.get()).values[0]?.value);
      await whileBlocked('lockme_hold', async () => {
        await new Promise((r) => setTimeout(r, 1200));
        await sampler.sampleLockWait();
      });
      const seen = await gauge();
      expect(seen).toBeGreaterThanOrEqual(1);
      // The wait is over (the holder rolled back): the current longest wait is 0, the gauge holds.
      now += 29_000;
      await sampler.sampleLockWait();
      expect(await gauge()).toBe(seen);
      now += 1_000; // the sample that saw it is 30 s old
      await sampler.sampleLockWait();
      expect(await gauge()).toBe(0);
    },
  );

  test.runIf(TEST_DRIVER === 'pg')(
    'behavior: start samples lock waits every second, not at the 15 s of table sizes',
    async () => {
      const own = createMetrics();
      const stop = createDbSampler({
        db,
        metrics: own,
        logger: createSilentLogger(),
        intervalMs: 15_000,
        schemas: ['public'],
      }).start();
      try {
        const gauge = async () => Number((await own.dbLockWait.get()).values[0]?.value);
        await expect.poll(gauge, { timeout: 5000 }).toBe(0); // the first sample, before any wait
        await whileBlocked('lockme_timer', async () => {
          // A 1.2 s wait is seen by a sample at most 1 s later, long before the next 15 s.
          await expect.poll(gauge, { timeout: 4000, interval: 100 }).toBeGreaterThanOrEqual(1);
        });
      } finally {
        stop();
      }
    },
  );
});
