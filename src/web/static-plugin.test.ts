import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { CONSOLE_CSP } from './static-plugin.ts';
import { createWebTestApp, type WebTestApp } from './test-support.ts';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

let t: TestApi;
let web: WebTestApp;
let missing: WebTestApp;
let dist: string;

beforeAll(async () => {
  t = await createTestApi();
  dist = join(mkdtempSync(join(tmpdir(), 'cb-static-')), 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  mkdirSync(join(dist, '.vite'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'app-abc123.js'), APP_JS);
  writeFileSync(join(dist, 'assets', 'app-abc123.js.br'), brotliCompressSync(APP_JS));
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.vite', 'manifest.json'), '{}');
  web = await createWebTestApp(t, { web: { distDir: dist } });
  missing = await createWebTestApp(t, { web: { distDir: join(dist, 'nowhere') } });
});
afterAll(async () => {
  await web?.close();
  await missing?.close();
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = {}, app = web.app) =>
  app.inject({ method: 'GET', url, headers });

describe('the console at /', () => {
  test('default: index.html at / and at every console path, never cached without revalidation, with a CSP', async () => {
    for (const url of ['/', '/proposals/7', '/ops/incidents/abc?x=1', '/index.html', '/no-such-page']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.body).toBe(INDEX);
    }
    const etag = (await get('/')).headers.etag as string;
    expect((await get('/', { 'if-none-match': etag })).statusCode).toBe(304);
  });

  test('behavior: a console path answers index.html even when its last segment has a dot', async () => {
    // Queue names (`chain.reconcile`) and achievement ids may hold dots: reloading such a page or
    // opening it from a link must give the console, as clicking through inside it does.
    for (const url of [
      '/ops/queues/chain.reconcile',
      '/ops/queues/mint.badge',
      '/ops/queues/mint.badge/?x=1',
      '/ops/catalogue/streak.7',
      '/ops/catalogue/badge.png',
      '/proposals/7.1',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.body, url).toBe(INDEX);
    }
  });

  test('behavior: hashed assets are immutable for a year, and sent pre-compressed when the browser takes br', async () => {
    const plain = await get('/assets/app-abc123.js', { 'accept-encoding': 'identity' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.body).toBe(APP_JS);
    const br = await get('/assets/app-abc123.js', { 'accept-encoding': 'br, gzip' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.rawPayload.length).toBeLessThan(APP_JS.length / 10);
    const favicon = await get('/favicon.svg');
    expect(favicon.headers['cache-control']).toBe('public, max-age=3600');
  });

  test('error: missing files, dotfiles and API paths keep the JSON 404; other methods too', async () => {
    for (const url of [
      '/assets/missing-abc123.js',
      '/assets/missing-abc123.css',
      // Under the build's assets directory nothing is a console page, extension or not.
      '/assets/missing',
      '/assets/nested/missing.js',
      '/favicon.ico',
      '/robots.txt',
      '/.vite/manifest.json',
      '/v1/nothing',
      '/v1',
      '/metrics/x',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('CB_ROUTE_NOT_FOUND');
      // A 404 is never cached as if it were an immutable asset.
      expect(res.headers['cache-control'], url).toBeUndefined();
    }
    const post = await web.app.inject({ method: 'POST', url: '/proposals' });
    expect(post.statusCode).toBe(404);
    expect((await get('/metrics')).statusCode).toBe(200);
    expect((await get('/healthz')).json()).toMatchObject({ status: 'ok' });
  });

  test('error: without a build, / answers 503 with a page saying how to build', async () => {
    const res = await get('/', {}, missing.app);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['x-cb-error-code']).toBe('WEB_CONSOLE_NOT_BUILT');
    expect(res.body).toContain('npm run build:web');
    expect((await get('/proposals', {}, missing.app)).statusCode).toBe(503);
    expect((await get('/v1/web/config', {}, missing.app)).statusCode).toBe(200);
  });
});
