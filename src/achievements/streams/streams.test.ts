/**
 * The Server-Sent Events routes over real HTTP (inject does not stream), on PGlite and, with
 * CB_TEST_DRIVER=pg, on PostgreSQL — where the worker and the "minter" write through a pool of their
 * own, as another process would.
 */
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PG_ADMIN_URL, TEST_DRIVER } from '../../../test/services.ts';
import type { AppContext } from '../../api/app-context.ts';
import { buildApp, listen } from '../../api/index.ts';
import { type CapturedLogs, createTestApi, type TestApi } from '../../api/test-context.ts';
import type { Config } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { saveAchievements } from '../catalogue/save-achievements.ts';
import { createEventProcessor, type EventProcessor } from '../engine/event-processor.ts';
import { achievementRoutes } from '../routes.ts';
import type { StreamSettings } from './create-stream-hub.ts';
import { openSseClient } from './test-support.ts';

let t: TestApi;
/** The worker's and the minter's database: a pool of their own on PostgreSQL. */
let workerDb: Db;
let processor: EventProcessor;
let server: { app: FastifyInstance; url: string; ctx: AppContext; logs: CapturedLogs };
let writer: string;
let reader: string;

const FAST: Partial<StreamSettings> = {
  pollIntervalMs: 50,
  heartbeatMs: 100,
  unknownEventWaitMs: 800,
};

async function startServer(settings: Partial<StreamSettings>, config: Partial<Config> = {}) {
  const { ctx, logs } = t.context({ config });
  const app = await buildApp(ctx, {
    routes: [
      achievementRoutes({
        db: t.db,
        metrics: ctx.metrics,
        logger: createSilentLogger(),
        catalogue: () => processor.catalogue(),
        labelOf: () => 'other',
        streams: settings,
      }),
    ],
  });
  const url = await listen(app, { host: '127.0.0.1', port: 0 });
  return { app, url, ctx, logs };
}

beforeAll(async () => {
  t = await createTestApi();
  if (TEST_DRIVER === 'pg') {
    workerDb = await createDb({
      databaseUrl: await dbUrl(),
      dataDir: 'memory://',
      poolMax: 3,
      slowQueryMs: 1000,
      logger: createSilentLogger(),
      metrics: createMetrics(),
    });
  } else {
    // PGlite is one in-process session: the "other process" is the same database.
    workerDb = t.db;
  }
  processor = createEventProcessor({ db: workerDb, metrics: createMetrics(), logger: createSilentLogger() });
  await saveAchievements(
    t.db,
    [
      {
        id: 'first-commit',
        name: 'First commit',
        category: 'code',
        rule: { type: 'count', filter: { types: ['commit'] }, target: 1 },
      },
      {
        id: 'three-commits',
        name: 'Three commits',
        category: 'code',
        rule: { type: 'count', filter: { types: ['commit'] }, target: 3 },
      },
      {
        id: 'first-review',
        name: 'First review',
        category: 'code',
        rule: { type: 'count', filter: { types: ['review'] }, target: 1 },
      },
    ],
    { actor: 'test', mode: 'create' },
  );
  server = await startServer(FAST);
  writer = (await t.apiKeys.create({ name: 'writer', scopes: ['events:write'] })).key;
  reader = (await t.apiKeys.create({ name: 'reader', scopes: ['events:read'] })).key;
});

afterAll(async () => {
  await server?.app.close();
  if (workerDb && workerDb !== t.db) await workerDb.close();
  await t?.close();
});

let n = 0;
/** A fresh member per test: streams and unlocks never mix between tests. */
const member = () => `0x${(++n).toString(16).padStart(4, '0')}${'ab'.repeat(18)}`;

async function postEvent(id: string, user: string, type = 'commit') {
  const res = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, type, source: 'app', user, occurredAt: new Date().toISOString(), data: {} }),
  });
  expect(res.status).toBe(202);
}

const eventStream = (id: string, url = server.url) =>
  openSseClient(`${url}/v1/events/${id}/stream?source=app`, { authorization: `Bearer ${reader}` });

const memberStream = (user: string, lastEventId?: string, url = server.url) =>
  openSseClient(
    `${url}/v1/users/${user}/achievements/stream`,
    lastEventId ? { 'last-event-id': lastEventId } : {},
  );

/** What the minter writes as a mint moves on (its statements' effect, from its own connection). */
const setMint = (user: string, achievementId: string, set: string) =>
  workerDb.query(
    `update ach_mint_outbox set ${set}, updated_at = now() where user_address = $1 and achievement_id = $2`,
    [user, achievementId],
  );

const TX = `0x${'cd'.repeat(32)}`;

describe('GET /v1/events/:id/stream', () => {
  test('default: the status now (received), then processed, then the stream ends', async () => {
    const user = member();
    await postEvent('ev-default', user);
    const s = await eventStream('ev-default');
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.headers.get('cache-control')).toBe('no-store');
    expect(s.headers.get('x-accel-buffering')).toBe('no');
    expect(s.headers.get('traceparent')).toMatch(/^00-/);
    const first = await s.next();
    expect(first).toMatchObject({
      event: 'status',
      data: { id: 'ev-default', source: 'app', status: 'received' },
    });
    // The same body as the status route.
    const polled = await fetch(`${server.url}/v1/events/ev-default?source=app`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(first.data).toEqual(await polled.json());
    await processor.drain();
    const second = await s.next();
    expect(second).toMatchObject({
      event: 'status',
      data: { id: 'ev-default', status: 'processed', user, type: 'commit', error: null },
    });
    expect((second.data as { processedAt: string | null }).processedAt).not.toBeNull();
    await s.ended;
    expect(s.events).toHaveLength(2);
  });

  test('behavior: subscribe, then post — the stream waits for the event, and pings meanwhile', async () => {
    const s = await eventStream('ev-later');
    await new Promise((r) => setTimeout(r, 250));
    expect(s.events).toEqual([]);
    expect(s.comments).toContain('ping');
    await postEvent('ev-later', member());
    expect(await s.next()).toMatchObject({ event: 'status', data: { status: 'received' } });
    await processor.drain();
    expect(await s.next()).toMatchObject({ event: 'status', data: { status: 'processed' } });
    await s.ended;
  });

  test('behavior: an event that failed is pushed with its error, and ends the stream', async () => {
    await postEvent('ev-fails', member());
    const s = await eventStream('ev-fails');
    expect(await s.next()).toMatchObject({ data: { status: 'received' } });
    // What the worker writes when an event's evaluation throws (process-batch.ts).
    await workerDb.query(
      `update ach_events set status = 'failed', processed_at = now(), error = $2::jsonb where source = 'app' and external_id = $1`,
      ['ev-fails', JSON.stringify({ name: 'RangeError', message: 'not a decimal: x' })],
    );
    expect(await s.next()).toMatchObject({
      event: 'status',
      data: { status: 'failed', error: { name: 'RangeError', message: 'not a decimal: x' } },
    });
    await s.ended;
  });

  test('behavior: a processed event gives one status and the end', async () => {
    await postEvent('ev-done', member());
    await processor.drain();
    const s = await eventStream('ev-done');
    await s.ended;
    expect(s.events.map((e) => (e.data as { status: string }).status)).toEqual(['processed']);
  });

  test('behavior: an event never received: `timeout` after the wait, then the end', async () => {
    const t0 = Date.now();
    const s = await eventStream('ev-never');
    expect(await s.next()).toEqual({
      event: 'timeout',
      id: undefined,
      data: { id: 'ev-never', source: 'app', waitedMs: 800 },
    });
    await s.ended;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });

  test('error: the route needs events:read like the status route', async () => {
    const s = await openSseClient(`${server.url}/v1/events/x/stream?source=app`);
    expect(s.status).toBe(401);
    const missingSource = await openSseClient(`${server.url}/v1/events/x/stream`, {
      authorization: `Bearer ${reader}`,
    });
    expect(missingSource.status).toBe(400);
  });
});

describe('GET /v1/users/:address/achievements/stream', () => {
  test('default: an unlock made by the worker and its mint moving on arrive live, with ids', async () => {
    const user = member();
    const s = await memberStream(user);
    expect(s.status).toBe(200);
    const ready = await s.next();
    expect(ready).toMatchObject({ event: 'ready', data: { user } });
    expect(ready.id).toMatch(/^\d+-\d+$/);

    await postEvent('m-1', user);
    await processor.drain();
    const unlocked = await s.next();
    expect(unlocked).toMatchObject({
      event: 'unlocked',
      data: { achievementId: 'first-commit', mintStatus: 'pending', txHash: null, tokenId: null },
    });
    const { rows } = await t.db.query<{ unlocked_at: Date }>(
      'select unlocked_at from ach_unlocks where user_address = $1',
      [user],
    );
    expect((unlocked.data as { unlockedAt: string }).unlockedAt).toBe(rows[0]!.unlocked_at.toISOString());

    await setMint(user, 'first-commit', `status = 'submitted', tx_hash = '${TX}', nonce = 1`);
    expect(await s.next()).toMatchObject({
      event: 'mint',
      data: { achievementId: 'first-commit', mintStatus: 'submitted', txHash: TX },
    });
    // A change that is not the status or the transaction is not an event.
    await setMint(user, 'first-commit', 'attempts = attempts + 1');
    await setMint(user, 'first-commit', `status = 'confirmed', token_id = 7, block_number = 42`);
    const confirmed = await s.next();
    expect(confirmed).toMatchObject({
      event: 'mint',
      data: { mintStatus: 'confirmed', tokenId: '7', mintBlock: '42', txHash: TX, mintError: null },
    });
    await setMint(user, 'first-commit', `status = 'failed', error = 'execution reverted'`);
    expect(await s.next()).toMatchObject({
      event: 'mint',
      data: { mintStatus: 'failed', mintError: 'execution reverted' },
    });

    // Ids only grow; another member's unlock never shows here.
    await postEvent('m-other', member(), 'review');
    await processor.drain();
    await new Promise((r) => setTimeout(r, 300));
    const ids = s.events.map((e) => e.id!.split('-').map(BigInt) as [bigint, bigint]);
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1]!, ids[i]!];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
    expect(s.events.map((e) => e.event)).toEqual(['ready', 'unlocked', 'mint', 'mint', 'mint']);
    s.close();
  });

  test('behavior: Last-Event-ID resumes after a reconnect — nothing lost, nothing repeated', async () => {
    const user = member();
    const first = await memberStream(user);
    await first.next(); // ready
    await postEvent('r-1', user);
    await processor.drain();
    const unlocked = await first.next();
    expect(unlocked).toMatchObject({ event: 'unlocked', data: { achievementId: 'first-commit' } });
    first.close();
    await first.ended;

    // While disconnected: the mint moves on twice, a second achievement unlocks.
    await setMint(user, 'first-commit', `status = 'submitted', tx_hash = '${TX}'`);
    await postEvent('r-2', user, 'review');
    await processor.drain();
    await setMint(user, 'first-commit', `status = 'confirmed', token_id = 9, block_number = 50`);

    const resumed = await memberStream(user, unlocked.id);
    // The replay comes before `ready`, unless a transaction elsewhere on the server (ids are
    // cluster-wide) held the visibility horizon back: then part of it comes just after. In order
    // and once either way.
    const opening = [await resumed.next(), await resumed.next(), await resumed.next()];
    const caughtUp = opening.filter((e) => e.event !== 'ready');
    expect(caughtUp.map((e) => [e.event, (e.data as { achievementId: string }).achievementId])).toEqual([
      ['unlocked', 'first-review'],
      // The mint that changed twice meanwhile comes once, as it is now.
      ['mint', 'first-commit'],
    ]);
    expect(caughtUp[1]!.data).toMatchObject({ mintStatus: 'confirmed', tokenId: '9' });
    const ready = opening.find((e) => e.event === 'ready')!;
    expect(ready).toBeDefined();

    // Live again: the next change comes once.
    await setMint(user, 'first-review', `status = 'submitted', tx_hash = '${TX}'`);
    expect(await resumed.next()).toMatchObject({ event: 'mint', data: { achievementId: 'first-review' } });
    resumed.close();

    // Resuming from the last id gives nothing already seen.
    const again = await memberStream(user, resumed.events.at(-1)!.id);
    expect((await again.next()).event).toBe('ready');
    await new Promise((r) => setTimeout(r, 200));
    expect(again.events).toHaveLength(1);
    again.close();
    // ?lastEventId= (for clients that cannot set the header) works the same: after the resumed
    // stream's opening events, only the live change came.
    const byQuery = await openSseClient(
      `${server.url}/v1/users/${user}/achievements/stream?lastEventId=${opening.at(-1)!.id}`,
    );
    const byQueryOpening = [await byQuery.next(), await byQuery.next()];
    expect(byQueryOpening.map((e) => e.event).sort()).toEqual(['mint', 'ready']);
    expect(byQueryOpening.find((e) => e.event === 'mint')).toMatchObject({
      data: { achievementId: 'first-review' },
    });
    byQuery.close();
  });

  test('behavior: resuming with the id of `ready` gives exactly the changes made since', async () => {
    const user = member();
    const s = await memberStream(user);
    const ready = await s.next();
    s.close();
    await postEvent('rr-1', user);
    await processor.drain();
    const resumed = await memberStream(user, ready.id);
    try {
      // The unlock comes in the replay before `ready`, or just after it when a transaction anywhere
      // on the server (transaction ids are cluster-wide: another suite's database) still held the
      // visibility horizon back when the stream opened. Either way it comes once.
      const first = await resumed.next();
      const second = await resumed.next();
      expect([first.event, second.event].sort()).toEqual(['ready', 'unlocked']);
      expect([first, second].find((e) => e.event === 'unlocked')).toMatchObject({
        data: { achievementId: 'first-commit' },
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(resumed.events).toHaveLength(2);
    } finally {
      resumed.close();
    }
  });

  test.skipIf(TEST_DRIVER !== 'pg')(
    'behavior: a transaction that commits after a later one is not skipped (PostgreSQL)',
    async () => {
      const user = member();
      const s = await memberStream(user);
      await s.next(); // ready
      // The first unlock's transaction stays open while a second one commits.
      const client = new pg.Client({ connectionString: await dbUrl() });
      await client.connect();
      try {
        await client.query('begin');
        await client.query(
          `insert into ach_unlocks (user_address, achievement_id, version) values ($1, 'first-review', 1)`,
          [user],
        );
        await postEvent('late-2', user);
        await processor.drain();
        await new Promise((r) => setTimeout(r, 400));
        // Held back behind the open transaction rather than sent ahead of it.
        expect(s.events.map((e) => e.event)).toEqual(['ready']);
        await client.query('commit');
      } finally {
        await client.end();
      }
      const a = await s.next();
      const b = await s.next();
      expect([a, b].map((e) => (e.data as { achievementId: string }).achievementId)).toEqual([
        'first-review',
        'first-commit',
      ]);
      s.close();
    },
  );

  test('behavior: a Last-Event-ID no transaction of this database reached gets `reset`', async () => {
    const user = member();
    const s = await memberStream(user, '999999999999-1');
    expect(await s.next()).toMatchObject({ event: 'reset' });
    expect((await s.next()).event).toBe('ready');
    await postEvent('reset-1', user);
    await processor.drain();
    expect(await s.next()).toMatchObject({ event: 'unlocked' });
    s.close();
  });

  test('error: a malformed Last-Event-ID or address is 400', async () => {
    const bad = await memberStream(member(), 'abc');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'CB_VALIDATION' } });
    const address = await memberStream('0x123');
    expect(address.status).toBe(400);
    expect(address.body).toMatchObject({ error: { code: 'ACH_BAD_ADDRESS' } });
  });
});

test('behavior: both streams are in /openapi.json as text/event-stream, with their scope', async () => {
  const doc = (await server.app.inject({ url: '/openapi.json' })).json();
  const events = doc.paths['/v1/events/{id}/stream'].get;
  expect(events['x-cb-scope']).toBe('events:read');
  expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);
  const members = doc.paths['/v1/users/{address}/achievements/stream'].get;
  expect(members.security).toBeUndefined();
  expect(Object.keys(members.responses['200'].content)).toEqual(['text/event-stream']);
  expect(members.parameters.map((p: { name: string }) => p.name)).toEqual(
    expect.arrayContaining(['address', 'lastEventId']),
  );
});

describe('limits, metrics and shutdown', () => {
  test('behavior: over the cap → 503 ACH_STREAMS_EXHAUSTED with Retry-After; cb_sse_streams counts them', async () => {
    const capped = await startServer({ ...FAST, maxStreams: 2 });
    try {
      const a = await memberStream(member(), undefined, capped.url);
      const b = await eventStream('cap-unknown', capped.url);
      expect([a.status, b.status]).toEqual([200, 200]);
      const metrics = await capped.ctx.metrics.registry.metrics();
      expect(metrics).toMatch(/^cb_sse_streams\{stream="member"\} 1$/m);
      expect(metrics).toMatch(/^cb_sse_streams\{stream="event"\} 1$/m);
      const refused = await memberStream(member(), undefined, capped.url);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.body).toMatchObject({ error: { code: 'ACH_STREAMS_EXHAUSTED' } });
      // Streams are not requests in flight.
      expect(metrics).toMatch(/^cb_http_requests_in_flight 0$/m);
      a.close();
      await a.ended;
      await expect
        .poll(async () => (await memberStream(member(), undefined, capped.url)).status, { timeout: 5000 })
        .toBe(200);
    } finally {
      await capped.app.close();
    }
  });

  test('behavior: streams do not count against CB_HTTP_MAX_IN_FLIGHT', async () => {
    const narrow = await startServer(FAST, { httpMaxInFlight: 1 });
    try {
      const streams = [
        await memberStream(member(), undefined, narrow.url),
        await memberStream(member(), undefined, narrow.url),
      ];
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      const plain = await fetch(`${narrow.url}/v1/events/x?source=app`, {
        headers: { authorization: `Bearer ${reader}` },
      });
      expect(plain.status).toBe(404);
      for (const s of streams) s.close();
    } finally {
      await narrow.app.close();
    }
  });

  test('behavior: a stream ends after its lifetime (the client reconnects with Last-Event-ID)', async () => {
    const short = await startServer({ ...FAST, maxLifetimeMs: 1000 });
    try {
      const t0 = Date.now();
      const s = await memberStream(member(), undefined, short.url);
      await s.next();
      await s.ended;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(850);
      await expect
        .poll(async () => short.ctx.metrics.registry.metrics())
        .toMatch(/^cb_sse_streams\{stream="member"\} 0$/m);
    } finally {
      await short.app.close();
    }
  });

  test('behavior: shutdown completes with streams open, and ends them', async () => {
    const doomed = await startServer(FAST);
    const shutdown = createShutdown({ graceMs: 3000, logger: createSilentLogger() });
    shutdown.add('http', () => doomed.app.close());
    const member1 = await memberStream(member(), undefined, doomed.url);
    await member1.next();
    const event1 = await eventStream('shutdown-unknown', doomed.url);
    const t0 = Date.now();
    const result = await shutdown.run('test');
    expect(result).toEqual({ timedOut: false, unfinished: [] });
    expect(Date.now() - t0).toBeLessThan(2000);
    await member1.ended;
    await event1.ended;
    expect(member1.isEnded && event1.isEnded).toBe(true);
  });

  test('behavior: a stream is timed to its head, not counted in flight, and a client closing it is no 499', async () => {
    const s = await memberStream(member());
    await s.next();
    await new Promise((r) => setTimeout(r, 1000));
    s.close();
    await s.ended;
    const route = '/v1/users/:address/achievements/stream';
    await expect
      .poll(async () => server.ctx.metrics.registry.metrics())
      .toMatch(/^cb_sse_streams\{stream="member"\} 0$/m);
    const metrics = await server.ctx.metrics.registry.metrics();
    expect(metrics).not.toMatch(new RegExp(`route="${route.replace(/[/:]/g, '.')}",status_code="499"`));
    const sum = metrics.match(
      new RegExp(
        `^cb_http_request_duration_seconds_sum\\{method="GET",route="${route}",status_code="200"\\} (\\S+)$`,
        'm',
      ),
    );
    expect(sum).not.toBeNull();
    // That stream alone lasted 1 s; the heads of all of them went out in far less.
    expect(Number(sum![1])).toBeLessThan(1);
    expect(metrics).toMatch(/^cb_http_requests_in_flight 0$/m);
    // Logged as the stream's end (INFO, 200), not as a request the client aborted.
    const line = server.logs
      .lines()
      .find((l) => (l.context as { route?: string } | undefined)?.route === route && l.level === 'WARN');
    expect(line).toBeUndefined();
    expect(
      server.logs
        .lines()
        .filter((l) => (l.context as { route?: string } | undefined)?.route === route)
        .every((l) => l.level === 'INFO' && (l.context as { statusCode: number }).statusCode !== 499),
    ).toBe(true);
  });
});

async function dbUrl(): Promise<string> {
  const { rows } = await t.db.query<{ name: string }>('select current_database() as name');
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${rows[0]!.name}`;
  return url.toString();
}
