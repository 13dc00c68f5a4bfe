/** GET /v1/ops/logs[/errors]: the log files searched from the console. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { logFileName } from '../platform/logs/log-files.ts';
import { createWebTestApp, type WebTestApp } from './test-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'cb-log-routes-'));
const archiveDir = join(dir, 'archive');
const coldDir = join(dir, 'cold');
let t: TestApi;
let web: WebTestApp;
let bare: WebTestApp;
const keys = { none: '', read: '' };

const now = Date.now();
const line = (secondsAgo: number, fields: Record<string, unknown>) =>
  JSON.stringify({
    timestamp: new Date(now - secondsAgo * 1000).toISOString(),
    level: 'INFO',
    service: 'api',
    instance: 'web-1',
    traceId: 'a'.repeat(32),
    message: 'request completed',
    context: {},
    metrics: {},
    ...fields,
  });

beforeAll(async () => {
  writeFileSync(
    join(dir, logFileName('web-1', now)),
    `${[
      line(5000, { message: 'an hour and more ago' }),
      line(300, { context: { statusCode: 500, route: '/v1/events' }, metrics: { durationMs: 1800 } }),
      line(200, {
        level: 'ERROR',
        service: 'minter',
        traceId: 'b'.repeat(32),
        message: 'mint batch 7 failed',
      }),
      line(100, {
        level: 'ERROR',
        service: 'minter',
        traceId: 'c'.repeat(32),
        message: 'mint batch 8 failed',
        context: { error: { message: 'nonce too low' } },
      }),
    ].join('\n')}\n`,
  );
  mkdirSync(archiveDir);
  mkdirSync(coldDir);
  const days = (n: number) => n * 86_400;
  writeFileSync(
    join(archiveDir, `${logFileName('web-1', now - days(10) * 1000)}.gz`),
    gzipSync(`${line(days(10), { level: 'ERROR', service: 'minter', message: 'mint batch 3 failed' })}\n`),
  );
  writeFileSync(
    join(coldDir, `${logFileName('web-1', now - days(45) * 1000)}.gz`),
    gzipSync(`${line(days(45), { level: 'ERROR', message: 'cold' })}\n`),
  );
  t = await createTestApi();
  web = await createWebTestApp(t, {
    web: { logDir: dir, logRetentionDays: 7, logArchive: { dir: archiveDir, days: 30, coldDir } },
  });
  bare = await createWebTestApp(t);
  keys.none = (await t.apiKeys.create({ name: 'logs-events', scopes: ['events:write'] })).key;
  keys.read = (await t.apiKeys.create({ name: 'logs-ops-read', scopes: ['ops:read'] })).key;
});
afterAll(async () => {
  await web?.close();
  await bare?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (app: WebTestApp, url: string, key = keys.read) =>
  app.app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('log routes', () => {
  test('default: the newest lines matching every filter, for ops:read only', async () => {
    expect((await get(web, '/v1/ops/logs', '')).statusCode).toBe(401);
    expect((await get(web, '/v1/ops/logs', keys.none)).statusCode).toBe(403);
    const all = await get(web, '/v1/ops/logs');
    expect(all.statusCode).toBe(200);
    expect(all.headers['cache-control']).toBe('no-store');
    expect(all.json()).toMatchObject({ stats: { files: 1, lines: 4, matched: 3 }, partial: null });
    expect(all.json().items.map((e: { message: string }) => e.message)).toEqual([
      'request completed',
      'mint batch 7 failed',
      'mint batch 8 failed',
    ]);
    const slow = await get(
      web,
      '/v1/ops/logs?where=context.route%3D/v1/events&where=metrics.durationMs%3E1000',
    );
    expect(slow.json().items).toHaveLength(1);
    const byTrace = await get(web, `/v1/ops/logs?trace=${'b'.repeat(32)}&since=2h`);
    expect(byTrace.json().items.map((e: { message: string }) => e.message)).toEqual(['mint batch 7 failed']);
    // Every word somewhere in the line, context too (not a digit: the timestamps have those).
    const words = await get(web, '/v1/ops/logs?q=NONCE%20Low&level=error&service=minter,api');
    expect(words.json().items.map((e: { message: string }) => e.message)).toEqual(['mint batch 8 failed']);
    expect((await get(web, '/v1/ops/logs?since=2h&limit=1')).json().items).toHaveLength(1);
  });

  test('default: errors clustered by message shape, most frequent first', async () => {
    const res = await get(web, '/v1/ops/logs/errors');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      groups: 1,
      items: [{ count: 2, service: 'minter', message: 'mint batch ? failed', lastTraceId: 'c'.repeat(32) }],
    });
  });

  test('behavior: a window past the hot files reads the archive, counted in stats; days only the cold tier holds are said', async () => {
    const twelveDays = await get(web, '/v1/ops/logs?since=12d&level=error');
    expect(twelveDays.json()).toMatchObject({
      stats: { files: 2, archivedFiles: 1, matched: 3, coldNotSearched: null },
      partial: null,
    });
    expect(twelveDays.json().items[0].message).toBe('mint batch 3 failed');
    const errors = await get(web, '/v1/ops/logs/errors?since=60d');
    const before = new Date(now - 37 * 86_400_000).toISOString().slice(0, 10);
    expect(errors.json()).toMatchObject({
      groups: 1,
      items: [{ count: 3, message: 'mint batch ? failed' }],
      stats: { archivedFiles: 1, coldNotSearched: { before, files: 1 } },
    });
  });

  test('error: bad filters are a 400 naming the field; without CB_LOG_DIR a 404 that says how to turn it on', async () => {
    for (const url of [
      '/v1/ops/logs?since=yesterday',
      '/v1/ops/logs?where=durationMs%3Efast',
      '/v1/ops/logs?level=loud',
      '/v1/ops/logs?trace=xyz',
      '/v1/ops/logs?limit=0',
    ]) {
      const res = await get(web, url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('CB_VALIDATION');
    }
    const off = await get(bare, '/v1/ops/logs');
    expect(off.statusCode).toBe(404);
    expect(off.json().error).toMatchObject({ code: 'WEB_LOGS_NOT_CONFIGURED' });
    expect(off.json().error.message).toMatch(/set CB_LOG_DIR/);
  });
});
