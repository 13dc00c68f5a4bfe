import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../api/index.ts';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { importCatalogue } from './catalogue/import-catalogue.ts';
import { createEventProcessor } from './engine/event-processor.ts';
import { achievementRoutes } from './routes.ts';

let t: TestApi;
let app: FastifyInstance;
let admin: string;
let writer: string;
let reader: string;
let metricsText: () => Promise<string>;
const retro: string[] = [];
const alice = '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed';

beforeAll(async () => {
  t = await createTestApi();
  const { ctx } = t.context();
  const processor = createEventProcessor({ db: t.db, metrics: ctx.metrics, logger: createSilentLogger() });
  app = await buildApp(ctx, {
    routes: [
      achievementRoutes({
        db: t.db,
        metrics: ctx.metrics,
        logger: ctx.logger,
        catalogue: () => processor.catalogue(),
        labelOf: (kind, v) =>
          kind === 'source' && v === 'app' ? 'app' : kind === 'type' && v === 'commit' ? 'commit' : 'other',
        onEventsAccepted: () => void processor.drain(),
        onAchievementsSaved: async (saved) => {
          retro.push(...saved.filter((s) => s.needsRetroactive).map((s) => s.id));
        },
      }),
    ],
  });
  admin = (await t.apiKeys.create({ name: 'admin', scopes: ['achievements:admin'] })).key;
  writer = (await t.apiKeys.create({ name: 'writer', scopes: ['events:write'] })).key;
  reader = (await t.apiKeys.create({ name: 'reader', scopes: ['events:read'] })).key;
  metricsText = () => ctx.metrics.registry.metrics();
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const post = (url: string, key: string, body: unknown) =>
  app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

const COMMITS = {
  id: 'commits-3',
  name: 'Three commits',
  category: 'code',
  rule: { type: 'count', filter: { types: ['commit'] }, target: 3 },
};

describe('achievement definitions over HTTP', () => {
  test('default: create (201), read with stats, a change makes a new version', async () => {
    const created = await post('/v1/achievements', admin, COMMITS);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'commits-3',
      version: 1,
      outcome: 'created',
      needsRetroactive: true,
    });
    const read = await app.inject({ url: '/v1/achievements/commits-3' });
    expect(read.json()).toMatchObject({ id: 'commits-3', version: 1, stats: { unlockCount: 0 } });
    const same = await app.inject({
      method: 'PUT',
      url: '/v1/achievements/commits-3',
      headers: { authorization: `Bearer ${admin}` },
      payload: COMMITS,
    });
    expect(same.json()).toMatchObject({ version: 1, outcome: 'unchanged' });
    const changed = await app.inject({
      method: 'PUT',
      url: '/v1/achievements/commits-3',
      headers: { authorization: `Bearer ${admin}` },
      payload: { ...COMMITS, rule: { ...COMMITS.rule, target: 2 } },
    });
    expect(changed.json()).toMatchObject({ version: 2, outcome: 'updated', needsRetroactive: true });
    const versions = await app.inject({
      url: '/v1/achievements/commits-3/versions',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(versions.json().items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(retro).toEqual(['commits-3', 'commits-3']);
  });

  test('error: 422 with the path of each bad field; unknown composite member; 409; 403', async () => {
    const bad = await post('/v1/achievements', admin, {
      id: 'Bad Id',
      name: '',
      category: 'x',
      colour: 'red',
      rule: {
        type: 'count',
        filter: { types: ['a'], conditions: [{ field: 'x', op: 'near', value: 1 }] },
        target: 0,
        extra: 1,
      },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('ACH_DEFINITION_INVALID');
    const paths = bad.json().error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'id',
        'name',
        'colour',
        'rule.extra',
        'rule.target',
        'rule.filter.conditions.0.op',
      ]),
    );
    const composite = await post('/v1/achievements', admin, {
      id: 'combo',
      name: 'Combo',
      category: 'meta',
      rule: { type: 'composite', mode: 'all', achievements: ['commits-3', 'nope'] },
    });
    expect(composite.statusCode).toBe(422);
    expect(composite.json().error.details.issues).toEqual([
      { path: 'rule.achievements.1', message: 'unknown achievement "nope"' },
    ]);
    expect((await post('/v1/achievements', admin, COMMITS)).statusCode).toBe(409);
    expect((await post('/v1/achievements', writer, COMMITS)).statusCode).toBe(403);
  });
});

describe('event intake over HTTP', () => {
  test('default: a batch with one bad item: the good ones are accepted, the bad one rejected with its reason', async () => {
    const r = await post('/v1/events', writer, {
      events: [
        {
          id: 'c1',
          type: 'commit',
          source: 'app',
          user: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
          occurredAt: '2026-01-01T00:00:00Z',
          data: { repo: 'x' },
        },
        {
          id: 'c2',
          type: 'commit',
          source: 'app',
          user: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD',
          occurredAt: '2026-01-01T00:00:00Z',
        },
        { id: 'c3', type: 'commit', source: 'app', user: alice, occurredAt: 'yesterday' },
        { id: 'c4', type: 'commit', source: 'app', user: alice, occurredAt: '2026-01-02T00:00:00+08:00' },
        { id: 'c1', type: 'commit', source: 'app', user: alice, occurredAt: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 2 });
    expect(body.results.map((x: { status: string }) => x.status)).toEqual([
      'accepted',
      'rejected',
      'rejected',
      'accepted',
      'duplicate',
    ]);
    expect(body.results[1].reason).toMatch(/^user: .*checksum/);
    expect(body.results[2].reason).toMatch(/^occurredAt:/);
    expect(await metricsText()).toContain(
      'cb_events_received_total{type="commit",source="app",result="accepted"} 2',
    );
  });

  test('behavior: one event alone; its status moves to processed; a duplicate later is still a duplicate', async () => {
    const one = await post('/v1/events', writer, {
      id: 'single',
      type: 'commit',
      source: 'app',
      user: alice,
      occurredAt: '2026-01-03T00:00:00Z',
    });
    expect(one.json().results).toEqual([{ index: 0, id: 'single', source: 'app', status: 'accepted' }]);
    let status: { status: string } = { status: '' };
    for (let i = 0; i < 100 && status.status !== 'processed'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      status = (
        await app.inject({
          url: '/v1/events/single?source=app',
          headers: { authorization: `Bearer ${reader}` },
        })
      ).json();
    }
    expect(status).toMatchObject({ status: 'processed', user: alice, type: 'commit' });
    const again = await post('/v1/events', writer, {
      id: 'single',
      type: 'commit',
      source: 'app',
      user: alice,
      occurredAt: '2026-01-03T00:00:00Z',
    });
    expect(again.json().duplicates).toBe(1);
    const missing = await app.inject({
      url: '/v1/events/nope?source=app',
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ACH_EVENT_NOT_FOUND');
  });

  test('error: malformed JSON 400, more than 1000 events 413, no key 401', async () => {
    const badJson = await post('/v1/events', writer, '{"events": [');
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toBe('CB_BAD_JSON');
    const tooMany = await post('/v1/events', writer, {
      events: Array.from({ length: 1001 }, (_, i) => ({ id: `x${i}` })),
    });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error.code).toBe('ACH_BATCH_TOO_LARGE');
    expect((await app.inject({ method: 'POST', url: '/v1/events', payload: {} })).statusCode).toBe(401);
  });
});

describe('member reads over HTTP', () => {
  test('default: achievements with progress, explain, bad address', async () => {
    await createEventProcessor({
      db: t.db,
      metrics: (await import('../platform/metrics.ts')).createMetrics(),
      logger: createSilentLogger(),
    }).drain();
    const list = await app.inject({
      url: `/v1/users/${alice.toUpperCase().replace('0X', '0x')}/achievements?fields=achievementId,status,current,target`,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([
      { achievementId: 'commits-3', status: 'unlocked', current: 2, target: 2 },
    ]);
    const explain = await app.inject({ url: `/v1/users/${alice}/achievements/commits-3/explain` });
    expect(explain.json()).toMatchObject({ unlocked: true, missing: [] });
    const bad = await app.inject({ url: '/v1/users/0x123/achievements' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ACH_BAD_ADDRESS');
  });
});

describe('catalogue import', () => {
  test('behavior: importing the same file twice changes nothing; errors carry the item path', async () => {
    const yaml = `achievements:
  - id: votes-1
    name: First vote
    category: governance
    rule: { type: count, filter: { types: [vote] }, target: 1 }
  - id: streak-7
    name: A week in a row
    category: engagement
    rule: { type: streak, filter: { types: [login] }, period: day, timeZone: Asia/Tokyo, target: 7 }
`;
    const first = await importCatalogue(t.db, yaml, 'test');
    expect(first.map((s) => s.outcome)).toEqual(['created', 'created']);
    const second = await importCatalogue(t.db, yaml, 'test');
    expect(second.map((s) => s.outcome)).toEqual(['unchanged', 'unchanged']);
    await expect(
      importCatalogue(t.db, yaml.replace('Asia/Tokyo', 'Mars/Olympus'), 'test'),
    ).rejects.toMatchObject({
      code: 'ACH_DEFINITION_INVALID',
      details: { issues: [expect.objectContaining({ path: 'achievements.1.rule.timeZone' })] },
    });
    await expect(importCatalogue(t.db, 'just: text', 'test')).rejects.toMatchObject({
      code: 'ACH_CATALOGUE_FILE_INVALID',
    });
  });
});
