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
