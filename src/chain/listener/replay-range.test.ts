import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { createListener } from './create-listener.ts';
import { replayRange } from './replay-range.ts';
import { createTestbed, memberAddresses, mintBadges, revokeBadge, type Testbed } from './test-support.ts';

let bed: Testbed;
let firstMintBlock: bigint;
let lastBlock: bigint;
const members = memberAddresses(12, 3);

/** Everything the listener and replay write, in a comparable form. */
async function state() {
  const q = async (sql: string) => (await bed.db.query(sql)).rows;
  return {
    tokens: await q(
      'select token_id, achievement_key, owner, minted_block, minted_tx, revoked_block from badge_tokens order by token_id',
    ),
    ownership: await q(
      'select token_id, owner, from_block, to_block, tx_hash, log_index, block_hash from badge_ownership order by token_id, from_block',
    ),
    events: await q(
      'select block_number, block_hash, tx_hash, log_index, event, args, block_timestamp from chain_events order by block_number, log_index',
    ),
    intake: await q(
      "select external_id, type, user_address, data, occurred_at from ach_events where source = 'chain' order by external_id",
    ),
    checkpoint: await q('select contract, block_number, block_hash, finalized_block from chain_checkpoints'),
  };
}

beforeAll(async () => {
  bed = await createTestbed();
  const receipts = await mintBadges(
    bed.writer,
    bed.chain.minter,
    Array.from({ length: 60 }, (_, i) => ({
      to: members[i % members.length]!,
      achievementId: achievementTokenId(`a${i % 5}`),
    })),
    { batchSize: 7 },
  );
  firstMintBlock = receipts[0]!.blockNumber;
  await revokeBadge(bed.writer, bed.chain.admin, 3n);
  const last = await revokeBadge(bed.writer, bed.chain.admin, 41n);
  lastBlock = last.blockNumber;
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.resetDb();
});

describe('replayRange', () => {
  test('default: replaying a range twice leaves the same state as the listener did', async () => {
    const { ctx } = bed.context({ options: { chunkBlocks: 3 } });
    await createListener(ctx).syncOnce();
    const before = await state();
    expect(before.tokens).toHaveLength(60);
    expect(before.intake).toHaveLength(62);

    const progress: bigint[] = [];
    const first = await replayRange(ctx, {
      fromBlock: bed.startBlock,
      onProgress: (p) => progress.push(p.doneBlock),
    });
    expect(first).toMatchObject({
      fromBlock: bed.startBlock,
      toBlock: lastBlock,
      eventsRead: 62,
      eventsUndone: 0,
      posted: { accepted: 0, duplicates: 62, rejected: 0 },
    });
    expect(progress.at(-1)).toBe(lastBlock);
    expect(await state()).toEqual(before);
    await replayRange(ctx, { fromBlock: bed.startBlock, toBlock: lastBlock });
    expect(await state()).toEqual(before);
    // A sub-range too.
    const part = await replayRange(ctx, { fromBlock: firstMintBlock + 2n, toBlock: firstMintBlock + 4n });
    expect(part.eventsRead).toBe(21);
    expect(await state()).toEqual(before);
  });

  test('behavior: repairs what was lost or tampered with in the range, and undoes what the chain does not have', async () => {
    const { ctx } = bed.context();
    await createListener(ctx).syncOnce();
    const before = await state();

    await bed.db.query('delete from badge_ownership where token_id = 3'); // a revoked token's history
    await bed.db.query(
      "update badge_tokens set owner = '0x000000000000000000000000000000000000dead' where token_id = 10",
    );
    await bed.db.query('delete from chain_events where log_index = 2 and block_number = $1', [
      firstMintBlock.toString(),
    ]);
    await bed.db.query("delete from ach_events where source = 'chain' and data->>'tokenId' = '20'");
    // A mint the chain never had, recorded in the range.
    await bed.db.query(
      `insert into chain_events (block_number, block_hash, tx_hash, log_index, event, args)
         values ($1, '0xfake', '0xfaketx', 999, 'BadgeMinted', '{"tokenId": "999", "to": "0x00000000000000000000000000000000000000aa", "achievementId": "1"}');
       insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values (999, 1, '0x00000000000000000000000000000000000000aa', $1, '0xfaketx');
       insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values (999, '0x00000000000000000000000000000000000000aa', $1, '0xfaketx', 999);`.replaceAll(
        '$1',
        firstMintBlock.toString(),
      ),
    );

    const report = await replayRange(ctx, { fromBlock: bed.startBlock });
    expect(report.eventsUndone).toBe(1);
    expect(report.posted.accepted).toBe(1);
    expect(await state()).toEqual(before);
  });

  test('error: only final blocks the listener applied can be replayed', async () => {
    const { ctx } = bed.context({ options: { confirmations: 3 } });
    await expect(replayRange(ctx, { fromBlock: 0n })).rejects.toMatchObject({
      code: 'CHAIN_REPLAY_RANGE_INVALID',
    });
    await createListener(ctx).syncOnce();
    const finalized = lastBlock - 3n;
    await expect(replayRange(ctx, { fromBlock: 0n, toBlock: lastBlock })).rejects.toMatchObject({
      code: 'CHAIN_REPLAY_RANGE_INVALID',
      message: expect.stringContaining(`at most ${finalized}`),
    });
    await expect(replayRange(ctx, { fromBlock: 9n, toBlock: 8n })).rejects.toMatchObject({
      code: 'CHAIN_REPLAY_RANGE_INVALID',
    });
    const ok = await replayRange(ctx, { fromBlock: 0n });
    expect(ok.toBlock).toBe(finalized);
  });
});
