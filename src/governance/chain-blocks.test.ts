import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { checkpointBlocks } from './chain-blocks.ts';

/** A migrated database on the suite's target. */
let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(() => t?.close());

test("behavior: indexed is the listener's applied block, confirmed its finalized block (0 before it got there)", async () => {
  const blocks = checkpointBlocks(t.db);
  expect([await blocks.latestIndexed(), await blocks.latestConfirmed()]).toEqual([0n, 0n]);

  await t.db.query(`insert into chain_checkpoints (contract, block_number) values ('0xaa', 120)`);
  expect([await blocks.latestIndexed(), await blocks.latestConfirmed()]).toEqual([120n, 0n]);

  // The listener's own depth, whatever it is: 2 behind here, none on the embedded dev chain.
  await t.db.query(`update chain_checkpoints set finalized_block = 118 where contract = '0xaa'`);
  expect([await blocks.latestIndexed(), await blocks.latestConfirmed()]).toEqual([120n, 118n]);
  await t.db.query(`update chain_checkpoints set finalized_block = 120 where contract = '0xaa'`);
  expect(await blocks.latestConfirmed()).toBe(120n);
});
