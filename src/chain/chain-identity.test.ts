import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../test/services.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { checkChainIdentity } from './chain-identity.ts';

const logger = createSilentLogger();
let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  const target = await testDatabaseTarget();
  drop = target.drop;
  db = await createDb({ ...target, poolMax: 4, slowQueryMs: 5000, logger, metrics: createMetrics() });
  await migrate(db, logger);
  await db.query(`insert into ach_achievements (id, current_version) values ('a', 1)`);
  await db.query(
    `insert into ach_mint_outbox (user_address, achievement_id, status, token_id, tx_hash) values ('0x01', 'a', 'confirmed', 7, '0xabc')`,
  );
  await db.query(
    `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values (7, 1, '0x01', 3, '0xabc')`,
  );
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

const dev = {
  chainId: 31337,
  badgeAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  genesisHash: '0xg1',
  dev: true,
};

describe('checkChainIdentity', () => {
  test('default: recorded once, then the same', async () => {
    expect(await checkChainIdentity(db, dev, logger)).toBe('recorded');
    expect(await checkChainIdentity(db, dev, logger)).toBe('same');
  });

  test('behavior: a new dev chain clears the chain state and sends the badges back to be minted', async () => {
    expect(await checkChainIdentity(db, { ...dev, genesisHash: '0xg2' }, logger)).toBe('reset');
    expect((await db.query('select * from badge_tokens')).rows).toEqual([]);
    const { rows } = await db.query<{ status: string; token_id: string | null }>(
      'select status, token_id from ach_mint_outbox',
    );
    expect(rows).toEqual([{ status: 'pending', token_id: null }]);
  });

  test('behavior: processes starting at once on a database with no identity record it once, without a conflict', async () => {
    const real = { ...dev, dev: false, chainId: 11155111, genesisHash: '0xsepolia' };
    // Several rounds: the race needs two transactions to read the empty table before either writes.
    for (let round = 0; round < 20; round++) {
      await db.query('delete from chain_identity');
      const results = await Promise.all([1, 2, 3, 4].map(() => checkChainIdentity(db, real, logger)));
      expect(results.sort()).toEqual(['recorded', 'same', 'same', 'same']);
    }
    expect((await db.query('select chain_id::text as id from chain_identity')).rows).toEqual([
      { id: '11155111' },
    ]);
    await db.query('delete from chain_identity');
    await checkChainIdentity(db, dev, logger);
  });

  test('error: a different real chain is refused', async () => {
    await expect(
      checkChainIdentity(db, { ...dev, dev: false, chainId: 1, genesisHash: '0xmainnet' }, logger),
    ).rejects.toMatchObject({
      code: 'CHAIN_IDENTITY_CHANGED',
    });
  });
});
