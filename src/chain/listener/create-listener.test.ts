import { custom, type Hex, hexToBigInt } from 'viem';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { saveAchievements } from '../../achievements/index.ts';
import { metricSample } from '../../platform/cache/test-common.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { createListener } from './create-listener.ts';
import { listenerProgress, ownersAt, tokensOfAt } from './ownership.ts';
import { createTestbed, memberAddresses, mintBadges, revokeBadge, type Testbed } from './test-support.ts';

let bed: Testbed;
const FIRST_COMMIT = achievementTokenId('first-commit');
const VOTER = achievementTokenId('voter');
const [alice, bob, carol] = memberAddresses(3, 7) as [Hex, Hex, Hex];

beforeAll(async () => {
  bed = await createTestbed();
  await saveAchievements(
    bed.db,
    [
      {
        id: 'first-commit',
        name: 'First commit',
        category: 'code',
        rule: { type: 'count', filter: { types: ['commit'] }, target: 1 },
      },
    ],
    { actor: 'test', mode: 'upsert' },
  );
});
afterAll(async () => {
  await bed?.close();
});

let snapshot: Hex | undefined;
beforeEach(async () => {
  // Every test starts from the chain right after the deployment, and an empty database.
  if (snapshot) await bed.chain.revert(snapshot);
  snapshot = await bed.chain.snapshot();
  await bed.resetDb();
});

const head = async () =>
  hexToBigInt((await bed.chain.transport({}).request({ method: 'eth_blockNumber' })) as Hex);

const count = async (sql: string, params: unknown[] = []) =>
  Number((await bed.db.query<{ n: string }>(`select count(*) as n from ${sql}`, params)).rows[0]!.n);

async function metricValue(
  ctx: { common: { metrics: { registry: { getSingleMetric(n: string): unknown } } } },
  name: string,
  labels: Record<string, string> = {},
) {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = ctx.common.metrics.registry.getSingleMetric(base) as {
    get(): Promise<{
      values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
    }>;
  };
  const { values } = await metric.get();
  return values
    .filter((v) => (v.metricName ?? base) === name)
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('createListener', () => {
  test('default: backfills a few hundred mints across chunk boundaries, in parallel chunks', async () => {
    const members = memberAddresses(40);
    const mints = Array.from({ length: 330 }, (_, i) => ({
      to: members[i % members.length]!,
      achievementId: i % 3 === 0 ? FIRST_COMMIT : VOTER,
    }));
    // 11 transactions of 30: 11 blocks, split over chunks of 2 blocks.
    const receipts = await mintBadges(bed.writer, bed.chain.minter, mints, { batchSize: 30 });
    await bed.chain.mine(3);
    const { ctx, common } = bed.context({ options: { chunkBlocks: 2, concurrency: 3 } });
    const changed: { addresses: string[]; from: bigint }[] = [];
    const listener = createListener({
      ...ctx,
      onOwnershipChanged: (addresses, from) => void changed.push({ addresses, from }),
    });

    const result = await listener.syncOnce();
    const h = await head();
    expect(result).toMatchObject({ headBlock: h, processedBlock: h, finalizedBlock: h, events: 330 });
    expect(result.ranges).toBeGreaterThanOrEqual(6);
    expect(await count('badge_tokens where owner is not null')).toBe(330);
    expect(await count('badge_ownership where to_block is null')).toBe(330);
    expect(await count('chain_events')).toBe(330);
    expect(await count("ach_events where source = 'chain' and type = 'badge.minted'")).toBe(330);

    // Ownership at each block: the member held exactly the badges minted up to that block.
    const m0 = members[0]!.toLowerCase();
    for (const [i, r] of receipts.entries()) {
      const held = await tokensOfAt(bed.db, m0, r.blockNumber);
      const expected = mints.slice(0, (i + 1) * 30).filter((m) => m.to === members[0]).length;
      expect(held).toHaveLength(expected);
      expect(held.every((t) => t.owner === m0 && t.sinceBlock <= r.blockNumber)).toBe(true);
    }
    expect(await tokensOfAt(bed.db, m0, receipts[0]!.blockNumber - 1n)).toEqual([]);
    expect(await ownersAt(bed.db, receipts[4]!.blockNumber)).toHaveLength(150);
    const first = (await ownersAt(bed.db, h))[0]!;
    expect(first).toMatchObject({ tokenId: 1n, owner: m0, achievementKey: FIRST_COMMIT });

    expect(await listenerProgress(bed.db, bed.writer.address)).toEqual({
      processedBlock: h,
      finalizedBlock: h,
    });
    expect(await metricValue(ctx, 'cb_chain_processed_block')).toBe(Number(h));
    expect(await metricValue(ctx, 'cb_chain_head_block')).toBe(Number(h));
    expect(await metricValue(ctx, 'cb_chain_lag_blocks')).toBe(0);
    expect(await metricValue(ctx, 'cb_chain_events_total', { event: 'BadgeMinted', result: 'ok' })).toBe(330);
    expect(await metricValue(ctx, 'cb_chain_event_delay_blocks_count')).toBe(330);
    expect(common.metrics).toBeDefined();
    expect(new Set(changed.flatMap((c) => c.addresses))).toEqual(
      new Set(members.map((m) => m.toLowerCase())),
    );

    // A second round finds nothing new and changes nothing.
    const again = await listener.syncOnce();
    expect(again).toMatchObject({ events: 0, ranges: 0, processedBlock: h });
    expect(await count('badge_ownership')).toBe(330);
  });

  test('behavior: a range refused as too large is split, and the chunk size shrinks', async () => {
    await mintBadges(
      bed.writer,
      bed.chain.minter,
      memberAddresses(60).map((to) => ({ to, achievementId: VOTER })),
      {
        batchSize: 10,
      },
    );
    const inner = bed.chain.transport({});
    const spans: number[] = [];
    const transport = custom({
      async request(args: { method: string; params?: unknown }) {
        if (args.method === 'eth_getLogs') {
          const [f] = args.params as [{ fromBlock: Hex; toBlock: Hex }];
          const span = Number(hexToBigInt(f.toBlock) - hexToBigInt(f.fromBlock)) + 1;
          spans.push(span);
          if (span > 3) throw new Error('query returned more than 10000 results');
        }
        return inner.request(args as never);
      },
    });
    const { ctx } = bed.context({ transport, options: { chunkBlocks: 50, concurrency: 2 } });
    const listener = createListener(ctx);
    const result = await listener.syncOnce();
    expect(result.events).toBe(60);
    expect(await count('badge_tokens')).toBe(60);
    expect(listener.status().chunkBlocks).toBeLessThanOrEqual(3);
    expect(spans.some((s) => s > 3)).toBe(true);
  });

  test('behavior: follows new heads live and stops cleanly', async () => {
    const { ctx, logs } = bed.context({ options: { pollIntervalMs: 20, confirmations: 1 } });
    const listener = createListener(ctx);
    listener.start();
    try {
      await mintBadges(bed.writer, bed.chain.minter, [{ to: alice, achievementId: FIRST_COMMIT }]);
      await mintBadges(bed.writer, bed.chain.minter, [{ to: bob, achievementId: VOTER }]);
      const h = await head();
      await expect.poll(() => listener.status().processedBlock, { timeout: 5000, interval: 20 }).toBe(h);
      expect(await count('badge_tokens')).toBe(2);
      // The last block is not final (1 confirmation): its event is applied but not posted yet.
      expect(await count("ach_events where source = 'chain'")).toBe(1);
      expect(await count('chain_blocks where number = $1', [h.toString()])).toBe(1);
      await bed.chain.mine();
      await expect
        .poll(() => count("ach_events where source = 'chain'"), { timeout: 5000, interval: 20 })
        .toBe(2);
    } finally {
      await listener.stop();
    }
    expect(listener.status().running).toBe(false);
    expect(
      logs.entries().some((l) => l.service === 'chain-listener' && l.message === 'chain listener stopped'),
    ).toBe(true);
    // Stopped, it reports no processed block or lag rather than the last ones.
    expect(await metricSample(ctx.common, 'cb_chain_processed_block')).toBeUndefined();
    expect(await metricSample(ctx.common, 'cb_chain_lag_blocks')).toBeUndefined();
  });

  test('behavior: a reorg is rolled back to the fork point and the new branch applied', async () => {
    await mintBadges(bed.writer, bed.chain.minter, [{ to: bob, achievementId: VOTER }]); // token 1
    const fork = await head();
    const { ctx, logs } = bed.context({ options: { confirmations: 3 } });
    const changed: { addresses: string[]; from: bigint }[] = [];
    const listener = createListener({
      ...ctx,
      onOwnershipChanged: (addresses, from) => void changed.push({ addresses, from }),
    });
    await listener.syncOnce();

    const branch = await bed.chain.snapshot();
    await mintBadges(bed.writer, bed.chain.minter, [{ to: alice, achievementId: FIRST_COMMIT }]); // token 2 at fork+1
    await mintBadges(bed.writer, bed.chain.minter, [{ to: alice, achievementId: VOTER }]); // token 3 at fork+2
    await listener.syncOnce();
    expect(await tokensOfAt(bed.db, alice, fork + 2n)).toHaveLength(2);
    expect(await count('chain_blocks where number > $1', [fork.toString()])).toBe(2);

    // The other branch: carol gets token 2 at fork+1, then two empty blocks.
    await bed.chain.revert(branch);
    await mintBadges(bed.writer, bed.chain.minter, [{ to: carol, achievementId: FIRST_COMMIT }]);
    await bed.chain.mine(2);
    changed.length = 0;
    const result = await listener.syncOnce();
    expect(result.reorg).toEqual({ forkBlock: fork, depth: 2 });
    expect(result.processedBlock).toBe(fork + 3n);

    for (const block of [fork + 1n, fork + 2n, fork + 3n]) {
      expect(await tokensOfAt(bed.db, alice, block)).toEqual([]);
      expect((await tokensOfAt(bed.db, carol, block)).map((t) => t.tokenId)).toEqual([2n]);
      expect((await ownersAt(bed.db, block)).map((t) => [t.tokenId, t.owner])).toEqual([
        [1n, bob.toLowerCase()],
        [2n, carol.toLowerCase()],
      ]);
    }
    expect(await tokensOfAt(bed.db, carol, fork)).toEqual([]);
    expect(await count('badge_tokens')).toBe(2);
    expect(await count('chain_events')).toBe(2);
    const rows = await bed.db.query<{ number: string; hash: string }>(
      'select number, hash from chain_blocks where number > $1 order by number',
      [fork.toString()],
    );
    const canonical = await Promise.all(
      rows.rows.map(
        (r) =>
          bed.chain.transport({}).request({
            method: 'eth_getBlockByNumber',
            params: [`0x${BigInt(r.number).toString(16)}`, false],
          }) as Promise<{ hash: string }>,
      ),
    );
    expect(rows.rows.map((r) => r.hash)).toEqual(canonical.map((b) => b.hash));
    expect(changed[0]).toEqual({ addresses: [alice.toLowerCase()], from: fork + 1n });

    expect(await metricValue(ctx, 'cb_chain_reorgs_total')).toBe(1);
    expect(await metricValue(ctx, 'cb_chain_reorg_depth_blocks_sum')).toBe(2);
    expect(
      logs.entries().some((l) => l.level === 'WARN' && String(l.message).startsWith('chain reorganisation')),
    ).toBe(true);
    // Nothing of either branch was final: the intake saw neither alice's nor (yet) carol's mint.
    expect(await count("ach_events where source = 'chain' and user_address <> $1", [bob.toLowerCase()])).toBe(
      0,
    );
    await bed.chain.mine(3);
    await listener.syncOnce();
    expect(
      (
        await bed.db.query<{ user_address: string }>(
          "select user_address from ach_events where source = 'chain' order by seq",
        )
      ).rows.map((r) => r.user_address),
    ).toEqual([bob.toLowerCase(), carol.toLowerCase()]);
  });

  test('behavior: a reorg that keeps the height is found by the checkpoint hash', async () => {
    const { ctx } = bed.context({ options: { confirmations: 2 } });
    const listener = createListener(ctx);
    const branch = await bed.chain.snapshot();
    await mintBadges(bed.writer, bed.chain.minter, [{ to: alice, achievementId: VOTER }]);
    await listener.syncOnce();
    await bed.chain.revert(branch);
    await mintBadges(bed.writer, bed.chain.minter, [{ to: bob, achievementId: VOTER }]); // same height
    const result = await listener.syncOnce();
    expect(result.reorg?.depth).toBe(1);
    expect((await ownersAt(bed.db, await head())).map((t) => t.owner)).toEqual([bob.toLowerCase()]);
  });

  test('behavior: a final event re-mined after a deeper reorg keeps its intake id (no double count)', async () => {
    const { ctx, logs } = bed.context({ options: { confirmations: 0 } });
    const listener = createListener(ctx);
    const branch = await bed.chain.snapshot();
    const { createWalletClient, encodeFunctionData } = await import('viem');
    const { privateKeyToAccount } = await import('viem/accounts');
    const { achievementBadgeAbi } = await import('../abi/AchievementBadge.ts');
    const wallet = createWalletClient({
      account: privateKeyToAccount(bed.chain.minter.privateKey),
      chain: bed.chain.chain,
      transport: bed.chain.transport,
    });
    const request = await wallet.prepareTransactionRequest({
      to: bed.writer.address,
      data: encodeFunctionData({
        abi: achievementBadgeAbi,
        functionName: 'mint',
        args: [alice, FIRST_COMMIT],
      }),
      gas: 300_000n,
    });
    const raw = await wallet.signTransaction(request);
    const send = () =>
      bed.chain.transport({}).request({ method: 'eth_sendRawTransaction', params: [raw] }) as Promise<Hex>;
    const hash = await send();
    await listener.syncOnce();
    expect(await count("ach_events where source = 'chain' and external_id = $1", [`31337:${hash}:2`])).toBe(
      1,
    );

    await bed.chain.revert(branch);
    await bed.chain.mine(); // the other branch: an empty block first
    expect(await send()).toBe(hash); // then the same signed transaction again
    const result = await listener.syncOnce();
    expect(result.reorg?.depth).toBe(1);
    expect(await count("ach_events where source = 'chain'")).toBe(1);
    const [token] = await tokensOfAt(bed.db, alice, await head());
    expect(token?.sinceBlock).toBe(await head());
    expect(
      logs
        .entries()
        .some((l) => l.level === 'ERROR' && String(l.message).includes('deeper than the confirmation depth')),
    ).toBe(true);
  });

  test('behavior: a revoke closes the ownership row at its block', async () => {
    const [mint] = await mintBadges(bed.writer, bed.chain.minter, [
      { to: alice, achievementId: FIRST_COMMIT },
    ]);
    const revoke = await revokeBadge(bed.writer, bed.chain.admin, 1n);
    const { ctx } = bed.context();
    await createListener(ctx).syncOnce();
    expect(await tokensOfAt(bed.db, alice, mint!.blockNumber)).toHaveLength(1);
    expect(await tokensOfAt(bed.db, alice, revoke.blockNumber - 1n)).toHaveLength(1);
    expect(await tokensOfAt(bed.db, alice, revoke.blockNumber)).toEqual([]);
    const { rows } = await bed.db.query<{ owner: string | null; revoked_block: string; to_block: string }>(
      `select t.owner, t.revoked_block, o.to_block from badge_tokens t join badge_ownership o using (token_id)`,
    );
    expect(rows).toEqual([
      { owner: null, revoked_block: revoke.blockNumber.toString(), to_block: revoke.blockNumber.toString() },
    ]);
    expect(
      await count("ach_events where type = 'badge.revoked' and user_address = $1", [alice.toLowerCase()]),
    ).toBe(1);
    expect(await metricValue(ctx, 'cb_chain_events_total', { event: 'BadgeRevoked', result: 'ok' })).toBe(1);
  });

  test('behavior: chain events reach the intake with source chain, stable ids and the slug; the outbox is confirmed', async () => {
    await bed.db.query(
      `insert into ach_mint_outbox (user_address, achievement_id, status, tx_hash) values ($1, 'first-commit', 'submitted', '0xold'), ($2, 'first-commit', 'confirmed', null)`,
      [alice.toLowerCase(), bob.toLowerCase()],
    );
    const [receipt] = await mintBadges(bed.writer, bed.chain.minter, [
      { to: alice, achievementId: FIRST_COMMIT },
      { to: bob, achievementId: FIRST_COMMIT },
      { to: carol, achievementId: 42n },
    ]);
    const { ctx } = bed.context();
    let woken = 0;
    await createListener({
      ...ctx,
      onEventsPosted: (n) => {
        woken += n;
      },
    }).syncOnce();
    const { rows } = await bed.db.query<{
      source: string;
      external_id: string;
      type: string;
      user_address: string;
      data: unknown;
      occurred_at: Date;
    }>(
      "select source, external_id, type, user_address, data, occurred_at from ach_events where source = 'chain' order by seq",
    );
    const tx = receipt!.transactionHash;
    const block = Number(receipt!.blockNumber);
    // Each mint logs Transfer, Locked, BadgeMinted: log indexes 2, 5, 8.
    expect(rows.map(({ occurred_at: _, ...r }) => r)).toEqual([
      {
        source: 'chain',
        external_id: `31337:${tx}:2`,
        type: 'badge.minted',
        user_address: alice.toLowerCase(),
        data: { tokenId: '1', achievementId: 'first-commit', block },
      },
      {
        source: 'chain',
        external_id: `31337:${tx}:5`,
        type: 'badge.minted',
        user_address: bob.toLowerCase(),
        data: { tokenId: '2', achievementId: 'first-commit', block },
      },
      {
        source: 'chain',
        external_id: `31337:${tx}:8`,
        type: 'badge.minted',
        user_address: carol.toLowerCase(),
        data: { tokenId: '3', achievementId: '42', block },
      },
    ]);
    expect(woken).toBe(3);
    const outbox = await bed.db.query<{
      user_address: string;
      status: string;
      token_id: string | null;
      tx_hash: string | null;
      block_number: string | null;
    }>('select user_address, status, token_id, tx_hash, block_number from ach_mint_outbox order by id');
    expect(outbox.rows).toEqual([
      {
        user_address: alice.toLowerCase(),
        status: 'confirmed',
        token_id: '1',
        tx_hash: tx,
        block_number: String(block),
      },
      // Already confirmed: never touched.
      {
        user_address: bob.toLowerCase(),
        status: 'confirmed',
        token_id: null,
        tx_hash: null,
        block_number: null,
      },
    ]);
  });

  test('behavior: rows already there above the checkpoint (a reconcile --fix that read further) are upserted', async () => {
    const [receipt] = await mintBadges(bed.writer, bed.chain.minter, [
      { to: alice, achievementId: VOTER },
      { to: bob, achievementId: VOTER },
    ]);
    const block = receipt!.blockNumber.toString();
    // Token 2 as another writer left it, stale: wrong owner, and its event row at the same position.
    await bed.db.query(
      `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values (2, 1, $1, $2, '0xold');
       insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values (2, $1, $2, '0xold', 5);
       insert into chain_events (block_number, block_hash, tx_hash, log_index, event, args)
         values ($2, '0xold', '0xold', 5, 'BadgeMinted', '{}')`
        .replace(/\$1/g, `'${carol.toLowerCase()}'`)
        .replace(/\$2/g, block),
    );
    const result = await createListener(bed.context().ctx).syncOnce();
    expect(result.events).toBe(2);
    const tokens = await bed.db.query<{ token_id: string; owner: string; minted_tx: string }>(
      'select token_id::text as token_id, owner, minted_tx from badge_tokens order by token_id',
    );
    expect(tokens.rows).toEqual([
      { token_id: '1', owner: alice.toLowerCase(), minted_tx: receipt!.transactionHash },
      { token_id: '2', owner: bob.toLowerCase(), minted_tx: receipt!.transactionHash },
    ]);
    expect((await ownersAt(bed.db, receipt!.blockNumber)).map((h) => h.owner)).toEqual([
      alice.toLowerCase(),
      bob.toLowerCase(),
    ]);
    expect(
      await count("chain_events where tx_hash = $1 and args->>'to' = $2", [
        receipt!.transactionHash,
        bob.toLowerCase(),
      ]),
    ).toBe(1);
    expect(await count('chain_events')).toBe(2);
    expect(await count("ach_events where source = 'chain'")).toBe(2);
  });

  test('error: a range the database refuses leaves no trace; the next round applies it', async () => {
    const [receipt] = await mintBadges(bed.writer, bed.chain.minter, [{ to: alice, achievementId: VOTER }]);
    await bed.db.query(
      `create function cb_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$;
       create trigger cb_test_refuse before insert on badge_ownership for each row execute function cb_test_refuse();`,
    );
    const { ctx } = bed.context();
    const listener = createListener(ctx);
    try {
      await expect(listener.syncOnce()).rejects.toThrow('disk full');
    } finally {
      await bed.db.query('drop trigger cb_test_refuse on badge_ownership; drop function cb_test_refuse();');
    }
    expect(await count('badge_tokens')).toBe(0);
    expect(await count('chain_events')).toBe(0);
    expect(await listenerProgress(bed.db, bed.writer.address)).toBeUndefined();
    expect(listener.status().lastError).toContain('disk full');
    expect(await metricValue(ctx, 'cb_chain_events_total', { event: 'BadgeMinted', result: 'failed' })).toBe(
      1,
    );
    await listener.syncOnce();
    expect(await count('badge_tokens')).toBe(1);
    expect(listener.status().lastError).toBeUndefined();
    expect(await listenerProgress(bed.db, bed.writer.address)).toEqual({
      processedBlock: receipt!.blockNumber,
      finalizedBlock: receipt!.blockNumber,
    });
  });

  test('error: a chunk failing in the middle of a backfill stops it there; earlier chunks stay, later ones roll back', async () => {
    const receipts = await mintBadges(
      bed.writer,
      bed.chain.minter,
      memberAddresses(40).map((to) => ({ to, achievementId: VOTER })),
      { batchSize: 5 },
    );
    await bed.db.query(
      `create function cb_test_refuse() returns trigger language plpgsql as $$
         begin if new.token_id = 23 then raise exception 'token 23 refused'; end if; return new; end $$;
       create trigger cb_test_refuse before insert on badge_ownership for each row execute function cb_test_refuse();`,
    );
    const { ctx } = bed.context({ options: { chunkBlocks: 2, concurrency: 4 } });
    const listener = createListener(ctx);
    try {
      await expect(listener.syncOnce()).rejects.toThrow('token 23 refused');
    } finally {
      await bed.db.query('drop trigger cb_test_refuse on badge_ownership; drop function cb_test_refuse();');
    }
    // Token 23 is in the 5th block of mints; the chunk holding it and everything after it is absent.
    const progress = await listenerProgress(bed.db, bed.writer.address);
    expect(progress!.processedBlock).toBeLessThan(receipts[4]!.blockNumber);
    const applied = await count('badge_tokens');
    expect(applied).toBe(receipts.filter((r) => r.blockNumber <= progress!.processedBlock).length * 5);
    expect(await count('badge_ownership')).toBe(applied);
    await listener.syncOnce();
    expect(await count('badge_tokens')).toBe(40);
    expect(await count("ach_events where source = 'chain'")).toBe(40);
  });

  test('error: an intake failure keeps the events unposted (finalized cursor stays) until a later round', async () => {
    const [receipt] = await mintBadges(bed.writer, bed.chain.minter, [{ to: alice, achievementId: VOTER }]);
    const { ctx } = bed.context();
    let fail = true;
    const posted: string[] = [];
    const listener = createListener({
      ...ctx,
      ingest: async (items) => {
        if (fail) throw new Error('intake down');
        posted.push(...items.map((i) => i.id));
        return { accepted: items.length, duplicates: 0, rejected: 0 };
      },
    });
    await expect(listener.syncOnce()).rejects.toThrow('intake down');
    // Ownership is applied (the chain is the truth for governance); the posting is what is owed.
    expect(await count('badge_tokens')).toBe(1);
    expect(await listenerProgress(bed.db, bed.writer.address)).toEqual({
      processedBlock: receipt!.blockNumber,
      finalizedBlock: bed.startBlock - 1n,
    });
    fail = false;
    const result = await listener.syncOnce();
    expect(result).toMatchObject({ events: 0, finalizedBlock: receipt!.blockNumber });
    expect(posted).toEqual([`31337:${receipt!.transactionHash}:2`]);
  });
});
