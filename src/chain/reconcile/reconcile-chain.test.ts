import { custom, type Transport, toFunctionSelector } from 'viem';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { createListener } from '../listener/index.ts';
import {
  createTestbed,
  memberAddresses,
  mintBadges,
  revokeBadge,
  type Testbed,
} from '../listener/test-support.ts';
import { type ReconcileProgress, reconcileChain } from './reconcile-chain.ts';

let bed: Testbed;
const members = memberAddresses(6, 11).map((a) => a.toLowerCase() as `0x${string}`);

async function badgeState() {
  const q = async (sql: string) => (await bed.db.query(sql)).rows;
  return {
    tokens: await q(
      'select token_id, achievement_key, owner, minted_block, minted_tx, revoked_block from badge_tokens order by token_id',
    ),
    ownership: await q(
      'select token_id, owner, from_block, to_block, tx_hash, log_index from badge_ownership order by token_id, from_block',
    ),
    events: await q(
      'select block_number, log_index, event, args from chain_events order by block_number, log_index',
    ),
  };
}

beforeAll(async () => {
  bed = await createTestbed();
  await mintBadges(
    bed.writer,
    bed.chain.minter,
    Array.from({ length: 30 }, (_, i) => ({
      to: members[i % members.length]!,
      achievementId: achievementTokenId(`a${i % 4}`),
    })),
    { batchSize: 8 },
  );
  await revokeBadge(bed.writer, bed.chain.admin, 5n);
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(async () => {
  await bed.resetDb();
  // Token 1 went to members[0] for a0, token 2 to members[1] for a1.
  await bed.db.query(
    `insert into ach_mint_outbox (user_address, achievement_id, status) values ($1, 'a0', 'submitted'), ($2, 'a1', 'submitted')`,
    [members[0], members[1]],
  );
});

describe('reconcileChain', () => {
  test('behavior: token reads go out in groups sent together (one JSON-RPC batch each over HTTP): every ownerOf, then every achievementOf', async () => {
    // eth_call selectors in waves: the calls started before any of them answered.
    const waves: string[][] = [];
    let current: string[] | undefined;
    const recording: Transport = (params) => {
      const inner = bed.context().ctx.transport({ ...params, retryCount: 0 });
      return custom(
        {
          async request(args: { method: string; params?: unknown }) {
            if (args.method !== 'eth_call') return inner.request(args as never);
            if (!current) {
              current = [];
              waves.push(current);
            }
            current.push((args.params as [{ data: string }])[0].data.slice(0, 10));
            try {
              return await inner.request(args as never);
            } finally {
              current = undefined;
            }
          },
        },
        { retryCount: 0 },
      )(params);
    };
    const { ctx } = bed.context({ transport: recording });
    await createListener(ctx).syncOnce();
    const report = await reconcileChain(ctx);
    expect(report.differences).toEqual([]);
    const ownerOf = toFunctionSelector('ownerOf(uint256)');
    const achievementOf = toFunctionSelector('achievementOf(uint256)');
    const grouped = waves.filter((w) => w.length > 1);
    // 30 tokens, one revoked (no achievementOf for it).
    expect(grouped.map((w) => [new Set(w).size, w[0], w.length])).toEqual([
      [1, ownerOf, 30],
      [1, achievementOf, 29],
    ]);
  });

  test('default: nothing to report once the listener applied everything; progress counts every token read', async () => {
    const { ctx } = bed.context();
    await createListener(ctx).syncOnce();
    const progress: ReconcileProgress[] = [];
    const report = await reconcileChain(ctx, { onProgress: (p) => progress.push(p) });
    // Groups of 100 token ids: the 30 here are one group, reported once it was read.
    expect(progress).toEqual([{ phase: 'tokens', tokensRead: 30, tokens: 30 }]);
    expect(report).toMatchObject({
      nextTokenId: 31n,
      chainSupply: 29n,
      dbSupply: 29,
      checkedTokens: 30,
      differences: [],
    });
  });

  test.each([
    { tokenFilterMax: undefined, history: 'their ids as topic filter' },
    { tokenFilterMax: 2, history: 'one pass over every badge event' },
  ])(
    'behavior: finds a changed owner, a deleted token, a fake one, a resurrected one and a wrong mint record; --fix repairs them (history read with $history)',
    async ({ tokenFilterMax }) => {
      const { ctx } = bed.context();
      await createListener(ctx).syncOnce();
      const before = await badgeState();
      await bed.db.query(
        "update badge_tokens set owner = '0x000000000000000000000000000000000000dead' where token_id = 7",
      );
      await bed.db.query('delete from badge_tokens where token_id = 12');
      await bed.db.query('delete from badge_ownership where token_id = 12');
      await bed.db.query(
        `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values (999, 1, '0x000000000000000000000000000000000000beef', 3, '0xfake');
       insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values (999, '0x000000000000000000000000000000000000beef', 3, '0xfake', 0)`,
      );
      await bed.db.query(`update badge_tokens set owner = $1, revoked_block = null where token_id = 5`, [
        members[4],
      ]);
      await bed.db.query(`update ach_mint_outbox set token_id = 3 where achievement_id = 'a1'`);

      const report = await reconcileChain(ctx);
      expect(report.fixed).toBe(false);
      const found = report.differences.map((d) => `${d.kind}:${'tokenId' in d ? d.tokenId : ''}`).sort();
      expect(found).toEqual(['missing:12', 'outbox:3', 'unexpected:5', 'unexpected:999', 'wrong_owner:7']);
      expect(report.differences).toContainEqual({
        kind: 'wrong_owner',
        tokenId: '7',
        db: { owner: '0x000000000000000000000000000000000000dead' },
        chain: { owner: members[0] },
      });
      expect(report.differences).toContainEqual(
        expect.objectContaining({ kind: 'unexpected', tokenId: '999', reason: 'never minted' }),
      );
      expect(report.differences).toContainEqual(
        expect.objectContaining({ kind: 'unexpected', tokenId: '5', reason: 'revoked on chain' }),
      );

      const progress: ReconcileProgress[] = [];
      const fixed = await reconcileChain(ctx, {
        fix: true,
        tokenFilterMax,
        onProgress: (p) => progress.push(p),
      });
      expect(fixed.fixed).toBe(true);
      // Tokens 5 (minted, revoked), 7 and 12 read back from the chain; 999 was never minted.
      const history = progress.filter((p) => p.phase === 'history');
      expect(history.at(-1)).toEqual(
        expect.objectContaining({ doneBlock: fixed.block, toBlock: fixed.block, events: 4 }),
      );
      expect(fixed.unfixed).toEqual([]);
      expect(fixed.changes).toEqual([
        expect.stringMatching(/^token 5: rebuilt from 2 chain event/),
        expect.stringMatching(/^token 7: rebuilt from 1 chain event/),
        expect.stringMatching(/^token 12: rebuilt from 1 chain event/),
        'token 999: deleted (was 0x000000000000000000000000000000000000beef; the chain never minted it)',
        expect.stringMatching(/^mint request \d+ \(0x[0-9a-f]+, a1\): confirmed → confirmed with token 2$/),
      ]);
      expect(await badgeState()).toEqual(before);
      const outbox = await bed.db.query<{ achievement_id: string; status: string; token_id: string }>(
        'select achievement_id, status, token_id from ach_mint_outbox order by id',
      );
      expect(outbox.rows).toEqual([
        { achievement_id: 'a0', status: 'confirmed', token_id: '1' },
        { achievement_id: 'a1', status: 'confirmed', token_id: '2' },
      ]);

      const after = await reconcileChain(ctx);
      expect(after.differences).toEqual([]);
    },
  );

  test('behavior: a request confirmed for a badge the chain does not have is reported, not changed', async () => {
    const { ctx } = bed.context();
    await createListener(ctx).syncOnce();
    await bed.db.query(
      `insert into ach_mint_outbox (user_address, achievement_id, status, token_id) values ($1, 'never', 'confirmed', 4)`,
      [members[3]],
    );
    const report = await reconcileChain(ctx, { fix: true });
    expect(report.fixed).toBe(false);
    expect(report.unfixed).toEqual([
      expect.objectContaining({
        kind: 'outbox',
        achievementId: 'never',
        detail: expect.stringContaining("minter's decision"),
      }),
    ]);
  });

  test('behavior: before the listener ran, every badge on chain is missing; --fix builds them from the chain', async () => {
    const { ctx } = bed.context();
    const report = await reconcileChain(ctx, { fix: true });
    expect(report.differences.filter((d) => d.kind === 'missing')).toHaveLength(30);
    expect(report.fixed).toBe(true);
    const again = await reconcileChain(ctx);
    expect(again.differences).toEqual([]);
    // The listener, started afterwards, applies the same events idempotently.
    await createListener(ctx).syncOnce();
    expect((await reconcileChain(ctx)).differences).toEqual([]);
  });
});
