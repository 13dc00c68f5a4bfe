import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { applyEvents } from './apply-events.ts';
import type { BadgeEvent } from './decode-badge-logs.ts';

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

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

function mint(token: number, block: number, logIndex: number, time?: number): BadgeEvent {
  return {
    event: 'BadgeMinted',
    tokenId: BigInt(token),
    holder: `0x${(token % 3).toString(16).padStart(40, 'a')}`,
    achievementKey: 18_000_000_000_000_000_000n + BigInt(token % 2),
    blockNumber: BigInt(block),
    blockHash: hash(block),
    txHash: hash(1000 + block),
    logIndex,
    blockTimestamp: time === undefined ? undefined : BigInt(time),
  };
}

function revoke(of: BadgeEvent, block: number, logIndex: number): BadgeEvent {
  return { ...of, event: 'BadgeRevoked', blockNumber: BigInt(block), blockHash: hash(block), logIndex };
}

/** Every row the apply writes, in a stable order and form. */
async function snapshot() {
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    events: await q(
      `select block_number, block_hash, tx_hash, log_index, event, args, block_timestamp
         from chain_events order by block_number, log_index`,
    ),
    tokens: await q(
      'select token_id, achievement_key, owner, minted_block, minted_tx, revoked_block from badge_tokens order by token_id',
    ),
    ownership: await q(
      'select token_id, owner, from_block, to_block, tx_hash, log_index, block_hash from badge_ownership order by token_id',
    ),
  };
}

async function reset() {
  await db.query('truncate chain_events, badge_tokens, badge_ownership');
}

describe('applyEvents', () => {
  const first = [mint(1, 10, 0, 1_700_000_000), mint(2, 10, 1, 1_700_000_000), mint(3, 11, 0)];
  const second = [mint(4, 12, 0, 1_700_000_024), revoke(first[0]!, 12, 1)];

  test('behavior: fresh ranges are COPYed in and leave exactly the rows the upserts leave', async () => {
    await reset();
    for (const batch of [first, second]) await db.transaction((tx) => applyEvents(tx, batch));
    const upserted = await snapshot();

    await reset();
    for (const batch of [first, second])
      await db.transaction((tx) => applyEvents(tx, batch, { fresh: true }));
    const copied = await snapshot();

    expect(copied).toEqual(upserted);
    expect(copied.events).toHaveLength(5);
    expect(copied.events[0]).toMatchObject({
      args: { tokenId: '1', to: first[0]!.holder, achievementId: '18000000000000000001' },
    });
    expect((copied.events[0]!.block_timestamp as Date).toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(copied.events[2]!.block_timestamp).toBeNull();
    expect(copied.events[4]).toMatchObject({ event: 'BadgeRevoked', args: { owner: first[0]!.holder } });
    expect(copied.tokens[0]).toMatchObject({ token_id: '1', owner: null, revoked_block: '12' });
    expect(copied.ownership[0]).toMatchObject({ token_id: '1', from_block: '10', to_block: '12' });
  });

  test('behavior: a "fresh" range whose rows are there already takes the upserts, in the same transaction', async () => {
    await reset();
    await db.transaction((tx) => applyEvents(tx, [...first, ...second]));
    const once = await snapshot();
    // Re-applied as fresh (e.g. a commit the database lost, the checkpoint with it): COPY hits a
    // unique violation, the savepoint is rolled back, the upserts run, and the transaction commits.
    await db.transaction(async (tx) => {
      await applyEvents(tx, first, { fresh: true });
      await applyEvents(tx, second, { fresh: true });
      await tx.query('select 1');
    });
    expect(await snapshot()).toEqual(once);
  });
});
