import { afterAll, beforeAll, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../test/services.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { checkpointBlocks } from './chain-blocks.ts';

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  const target = await testDatabaseTarget();
  drop = target.drop;
  db = await createDb({
    ...target,
    poolMax: 2,
    slowQueryMs: 60_000,
    logger: createSilentLogger(),
    metrics: createMetrics(),
  });
  await migrate(db, createSilentLogger());
});

afterAll(async () => {
  await db?.close();
  await drop?.();
});

test("behavior: indexed is the listener's applied block, confirmed its finalized block (0 before it got there)", async () => {
  const blocks = checkpointBlocks(db);
  expect([await blocks.latestIndexed(), await blocks.latestConfirmed()]).toEqual([0n, 0n]);

  await db.query(`insert into chain_checkpoints (contract, block_number) values ('0xaa', 120)`);
  expect([await blocks.latestIndexed(), await blocks.latestConfirmed()]).toEqual([120n, 0n]);

  // The listener's own depth, whatever it is: 2 behind here, none on the embedded dev chain.
  await db.query(`update chain_checkpoints set finalized_block = 118 where contract = '0xaa'`);
  expect([await blocks.latestIndexed(), await blocks.latestConfirmed()]).toEqual([120n, 118n]);
  await db.query(`update chain_checkpoints set finalized_block = 120 where contract = '0xaa'`);
  expect(await blocks.latestConfirmed()).toBe(120n);
});
