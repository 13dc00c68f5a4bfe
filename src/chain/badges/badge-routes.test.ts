import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEventProcessor, saveAchievements } from '../../achievements/index.ts';
import { buildApp } from '../../api/build-app.ts';
import { createTestApi, type TestApi } from '../../api/test-context.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { badgeRoutes } from './badge-routes.ts';

let t: TestApi;
let app: Awaited<ReturnType<typeof buildApp>>;
const holder = '0x00000000000000000000000000000000000000a1';
const BADGE = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

beforeAll(async () => {
  t = await createTestApi();
  await saveAchievements(
    t.db,
    [
      {
        id: 'commits-gold',
        name: 'Commit machine',
        description: 'Pushed 1000 commits.',
        category: 'code',
        series: 'commits',
        tier: 'gold',
        weight: 5,
        rule: { type: 'count', filter: { types: ['commit'] }, target: 1000 },
      },
      {
        id: 'voter',
        name: 'Voter <3',
        category: 'governance',
        rule: { type: 'count', filter: { types: ['vote'] }, target: 1 },
      },
    ],
    { actor: 'test', mode: 'upsert' },
  );
  await t.db.query('truncate badge_tokens');
  await t.db.query(
    `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx, revoked_block) values
       (1, $1, $4, 17, '0x01', null), (2, $2, $4, 18, '0x02', null), (3, $3, $4, 19, '0x03', null), (4, $2, null, 20, '0x04', 21)`,
    [achievementTokenId('commits-gold').toString(), achievementTokenId('voter').toString(), '12345', holder],
  );
  await t.db.query('truncate badge_ownership, chain_checkpoints, chain_identity');
  await t.db.query(
    `insert into badge_ownership (token_id, owner, from_block, to_block, tx_hash, log_index, block_hash) values
       (1, $1, 17, null, '0x01', 0, '0xb17'), (2, $1, 18, null, '0x02', 0, '0xb18'),
       (3, $1, 19, null, '0x03', 0, '0xb19'), (4, $1, 20, 21, '0x04', 0, '0xb20')`,
    [holder],
  );
  await t.db.query(
    `insert into chain_identity (chain_id, badge_address, genesis_hash, dev) values (31337, $1, '0xgen', true)`,
    [BADGE],
  );
  await t.db.query(
    `insert into chain_checkpoints (contract, block_number, block_hash, finalized_block) values ($1, 25, '0xb25', 19)`,
    [BADGE.toLowerCase()],
  );
  const processor = createEventProcessor({
    db: t.db,
    metrics: createMetrics(),
    logger: createSilentLogger(),
  });
  const { ctx } = t.context();
  app = await buildApp(ctx, { routes: [badgeRoutes({ db: t.db, catalogue: () => processor.catalogue() })] });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('GET /v1/badges/:tokenId/metadata', () => {
  test('default: ERC-721 metadata from the achievement definition, without an API key', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/badges/1/metadata' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const body = res.json();
    expect(body).toEqual({
      name: 'Commit machine (gold)',
      description: 'Pushed 1000 commits.',
      image: expect.stringMatching(/^data:image\/svg\+xml;base64,/),
      attributes: [
        { trait_type: 'category', value: 'code' },
        { trait_type: 'tier', value: 'gold' },
        { trait_type: 'series', value: 'commits' },
        { trait_type: 'weight', value: 5, display_type: 'number' },
        { trait_type: 'unlocked block', value: 17, display_type: 'number' },
      ],
      soulbound: true,
      tokenId: '1',
      achievementId: 'commits-gold',
    });
    const svg = Buffer.from(body.image.split(',')[1], 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Commit machine (gold)');
  });

  test('behavior: text is escaped in the image; an achievement without a description gets one', async () => {
    const body = (await app.inject({ method: 'GET', url: '/v1/badges/2/metadata' })).json();
    expect(body.description).toBe('Awarded for the achievement "Voter <3".');
    expect(body.attributes).toEqual([
      { trait_type: 'category', value: 'governance' },
      { trait_type: 'weight', value: 1, display_type: 'number' },
      { trait_type: 'unlocked block', value: 18, display_type: 'number' },
    ]);
    const svg = Buffer.from(body.image.split(',')[1], 'base64').toString('utf8');
    expect(svg).toContain('Voter &#60;3');
    expect(svg).not.toContain('Voter <3');
  });

  test('behavior: a badge of an achievement the catalogue does not know is named by its on-chain id', async () => {
    const body = (await app.inject({ method: 'GET', url: '/v1/badges/3/metadata' })).json();
    expect(body).toMatchObject({ name: 'Achievement badge #3', achievementId: '12345', soulbound: true });
    expect(body.attributes).toEqual([{ trait_type: 'unlocked block', value: 19, display_type: 'number' }]);
  });

  test('error: 404 for an unknown or revoked token, 400 for a malformed id', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/v1/badges/99/metadata' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: { code: 'CHAIN_BADGE_NOT_FOUND', message: 'no badge 99', details: { tokenId: '99' } },
    });
    const revoked = await app.inject({ method: 'GET', url: '/v1/badges/4/metadata' });
    expect(revoked.statusCode).toBe(404);
    expect(revoked.json().error).toMatchObject({
      code: 'CHAIN_BADGE_NOT_FOUND',
      message: 'badge 4 was revoked',
    });
    for (const bad of ['0', 'abc', '-1', '1e3', `${2n ** 256n}`]) {
      const res = await app.inject({ method: 'GET', url: `/v1/badges/${bad}/metadata` });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error.code).toBe('CHAIN_BAD_TOKEN_ID');
    }
  });
});

describe('GET /v1/badges/:tokenId', () => {
  test('default: the record with its ownership history; final once at or below the finalized block', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/badges/1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      tokenId: '1',
      achievementId: 'commits-gold',
      achievementKey: achievementTokenId('commits-gold').toString(),
      holder,
      mintedBlock: '17',
      mintedTx: '0x01',
      revokedBlock: null,
      history: [{ owner: holder, fromBlock: '17', toBlock: null, txHash: '0x01', blockHash: '0xb17' }],
      final: true,
    });
  });

  test('behavior: a revoked badge keeps its history; not final while its revoke may still be reorganised', async () => {
    const body = (await app.inject({ method: 'GET', url: '/v1/badges/4' })).json();
    expect(body).toMatchObject({
      achievementId: 'voter',
      holder: null,
      mintedBlock: '20',
      revokedBlock: '21',
      history: [{ owner: holder, fromBlock: '20', toBlock: '21', txHash: '0x04', blockHash: '0xb20' }],
      final: false,
    });
  });

  test('error: 404 for an unknown token, 400 for a malformed id', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/v1/badges/99' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('CHAIN_BADGE_NOT_FOUND');
    const bad = await app.inject({ method: 'GET', url: '/v1/badges/abc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('CHAIN_BAD_TOKEN_ID');
  });
});

describe('GET /v1/users/:address/badges', () => {
  const held = async (query = '', who = holder) => {
    const res = await app.inject({ method: 'GET', url: `/v1/users/${who}/badges${query}` });
    return { status: res.statusCode, body: res.json() };
  };
  const tokens = (body: { items: { tokenId: string }[] }) => body.items.map((i) => i.tokenId);

  test("default: what the address holds at the listener's processed block, without an API key", async () => {
    const { status, body } = await held();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      address: holder,
      block: '25',
      processedBlock: '25',
      finalizedBlock: '19',
      final: false,
    });
    expect(body.items).toEqual([
      {
        tokenId: '1',
        achievementId: 'commits-gold',
        achievementKey: achievementTokenId('commits-gold').toString(),
        sinceBlock: '17',
      },
      {
        tokenId: '2',
        achievementId: 'voter',
        achievementKey: achievementTokenId('voter').toString(),
        sinceBlock: '18',
      },
      { tokenId: '3', achievementId: '12345', achievementKey: '12345', sinceBlock: '19' },
    ]);
  });

  test('behavior: at an earlier block, from the history: a later revoke does not count yet, a later mint not at all', async () => {
    expect(tokens((await held('?block=20')).body)).toEqual(['1', '2', '3', '4']);
    expect(tokens((await held('?block=21')).body)).toEqual(['1', '2', '3']);
    const early = (await held('?block=18')).body;
    expect(tokens(early)).toEqual(['1', '2']);
    expect(early).toMatchObject({ block: '18', final: true });
    expect(tokens((await held('?block=16')).body)).toEqual([]);
    // Any case: an all-caps address is the same member.
    expect(tokens((await held('', `0x${holder.slice(2).toUpperCase()}`)).body)).toEqual(['1', '2', '3']);
  });

  test('error: a block the listener has not reached is 409 (it says how far it got); bad input 400', async () => {
    const ahead = await held('?block=26');
    expect(ahead.status).toBe(409);
    expect(ahead.body.error).toEqual({
      code: 'CHAIN_BLOCK_NOT_INDEXED',
      message: 'block 26 is above the last block the chain listener processed (25)',
      details: { block: '26', processedBlock: '25' },
    });
    // Mixed case with a wrong EIP-55 checksum: a typo, not an address.
    const checksum = await held('', '0xAbcdefabcdefabcdefabcdefabcdefabcdefabcd');
    expect(checksum.status).toBe(400);
    expect(checksum.body.error.code).toBe('CHAIN_BAD_ADDRESS');
    expect((await held('', 'nope')).body.error.code).toBe('CHAIN_BAD_ADDRESS');
    expect((await held('?block=abc')).status).toBe(400);

    const saved = await t.db.query('delete from chain_checkpoints returning *');
    try {
      const none = await held();
      expect(none.status).toBe(409);
      expect(none.body.error).toMatchObject({
        message: 'the chain listener has not processed any block yet',
        details: { block: null, processedBlock: null },
      });
    } finally {
      await t.db.query(
        `insert into chain_checkpoints (contract, block_number, block_hash, finalized_block) values ($1, 25, '0xb25', 19)`,
        [(saved.rows[0] as { contract: string }).contract],
      );
    }
  });
});
