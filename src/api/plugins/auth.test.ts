import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../build-app.ts';
import { createTestApi, type TestApi } from '../test-context.ts';

let t: TestApi;
let app: FastifyInstance;
let bodiesRead = 0;

beforeAll(async () => {
  t = await createTestApi();
  const { ctx } = t.context();
  app = await buildApp(ctx, {
    routes: [
      async (a) => {
        a.addContentTypeParser('application/x-counted', { parseAs: 'string' }, (_req, body, done) => {
          bodiesRead++;
          done(null, body);
        });
        a.post('/v1/events', { config: { scope: 'events:write' } }, async (request) => ({
          by: request.apiKey?.name,
        }));
        a.post('/v1/achievements', { config: { scope: 'achievements:write' } }, async () => ({ ok: true }));
        a.get('/v1/undeclared', async (request) => ({ by: request.apiKey?.name }));
        a.get('/v1/open', { config: { scope: 'public' } }, async (request) => ({
          apiKey: request.apiKey ?? null,
        }));
      },
    ],
  });
});

afterAll(async () => {
  await app?.close();
  await t?.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('auth', () => {
  test('default: a key with the scope is let through, by Bearer or X-API-Key', async () => {
    const { key, name } = await t.apiKeys.create({ name: 'writer', scopes: ['events:write'] });
    for (const headers of [bearer(key), { 'x-api-key': key }, { authorization: `bearer  ${key}` }]) {
      const res = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: {} });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ by: name });
    }
  });

  test('error: no key is 401 CB_UNAUTHORIZED with WWW-Authenticate', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/events', payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: { code: 'CB_UNAUTHORIZED', message: 'a valid API key is required' },
    });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="cb"');
  });

  test('error: malformed, unknown and other-scheme credentials are 401', async () => {
    const { key } = await t.apiKeys.create({ name: 'wrong-secret', scopes: ['events:write'] });
    const wrong = `${key.slice(0, -4)}0000` === key ? `${key.slice(0, -4)}1111` : `${key.slice(0, -4)}0000`;
    for (const headers of [
      bearer('cbk_nope'),
      bearer(wrong),
      { 'x-api-key': `cbk_AAAAAAAAAAAA_${'B'.repeat(32)}` },
      { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: {} });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('CB_UNAUTHORIZED');
    }
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: bearer(wrong), payload: {} });
    expect(res.json().error.message).toBe('the API key is malformed, unknown or revoked');
  });

  test('error: a valid key without the scope is 403 CB_FORBIDDEN naming the scope', async () => {
    const { key } = await t.apiKeys.create({ name: 'reader', scopes: ['events:write'] });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/achievements',
      headers: bearer(key),
      payload: {},
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: {
        code: 'CB_FORBIDDEN',
        message: 'this API key lacks the scope "achievements:write"',
        details: { requiredScope: 'achievements:write' },
      },
    });
  });

  test('behavior: admin and <resource>:admin imply the scope', async () => {
    const admin = await t.apiKeys.create({ name: 'ops', scopes: ['admin'] });
    const achievementsAdmin = await t.apiKeys.create({ name: 'ach-admin', scopes: ['achievements:admin'] });
    const post = (url: string, key: string) =>
      app.inject({ method: 'POST', url, headers: bearer(key), payload: {} }).then((r) => r.statusCode);
    expect(await post('/v1/events', admin.key)).toBe(200);
    expect(await post('/v1/achievements', admin.key)).toBe(200);
    expect(await post('/v1/achievements', achievementsAdmin.key)).toBe(200);
    expect(await post('/v1/events', achievementsAdmin.key)).toBe(403);
  });

  test('behavior: a revoked key is 401 at once', async () => {
    const { key, id } = await t.apiKeys.create({ name: 'soon-revoked', scopes: ['events:write'] });
    expect(
      (await app.inject({ method: 'POST', url: '/v1/events', headers: bearer(key), payload: {} })).statusCode,
    ).toBe(200);
    await t.apiKeys.revoke(id);
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: bearer(key), payload: {} });
    expect(res.statusCode).toBe(401);
  });

  test('behavior: a route that declares no scope needs a valid key (closed by default)', async () => {
    const { key } = await t.apiKeys.create({ name: 'any-scope', scopes: ['incidents:write'] });
    expect((await app.inject({ url: '/v1/undeclared' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/v1/undeclared', headers: bearer(key) });
    expect(res.json()).toEqual({ by: 'any-scope' });
  });

  test('behavior: public routes ignore keys, even invalid ones', async () => {
    const res = await app.inject({ url: '/v1/open', headers: bearer('cbk_garbage') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ apiKey: null });
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await app.inject({ url })).statusCode).toBe(200);
    }
  });

  test('behavior: a refused request’s body is never read', async () => {
    const before = bodiesRead;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-counted' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(401);
    expect(bodiesRead).toBe(before);
    // A valid key without the scope too (so the audit trail records a 403 without its body).
    const other = await t.apiKeys.create({ name: 'counted-other', scopes: ['incidents:write'] });
    const forbidden = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-counted', ...bearer(other.key) },
      payload: 'hello',
    });
    expect(forbidden.statusCode).toBe(403);
    expect(bodiesRead).toBe(before);
    const { key } = await t.apiKeys.create({ name: 'counted', scopes: ['events:write'] });
    await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/x-counted', ...bearer(key) },
      payload: 'hello',
    });
    expect(bodiesRead).toBe(before + 1);
  });

  test('default: GET /v1/whoami returns the key’s id, name and scopes', async () => {
    const created = await t.apiKeys.create({
      name: 'integrator-a',
      scopes: ['events:write', 'incidents:write'],
    });
    const res = await app.inject({ url: '/v1/whoami', headers: { 'x-api-key': created.key } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: created.id,
      name: 'integrator-a',
      scopes: ['events:write', 'incidents:write'],
    });
    expect((await app.inject({ url: '/v1/whoami' })).statusCode).toBe(401);
  });

  test('error: a malformed config.scope fails at start-up, naming the route', async () => {
    const { ctx } = t.context();
    await expect(
      buildApp(ctx, {
        routes: [
          async (a) => {
            a.get('/v1/typo', { config: { scope: 'Events-Write' as never } }, async () => ({}));
          },
        ],
      }),
    ).rejects.toThrow(/GET \/v1\/typo: config.scope "Events-Write"/);
  });
});
