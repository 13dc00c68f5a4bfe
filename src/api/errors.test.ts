import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BaseError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../platform/errors.ts';
import { buildApp } from './build-app.ts';
import { ERROR_CODES, mapError } from './errors.ts';
import { type CapturedLogs, createTestApi, type TestApi } from './test-context.ts';

let t: TestApi;
let app: FastifyInstance;
let logs: CapturedLogs;

const thrown: Record<string, () => unknown> = {
  validation: () =>
    new ValidationError('amount must be positive', [{ path: 'amount', message: 'must be > 0' }]),
  unauthorized: () => new UnauthorizedError(),
  forbidden: () => new ForbiddenError('not yours', 'ACH_NOT_OWNER'),
  'not-found': () => new NotFoundError('no achievement 7', 'ACH_NOT_FOUND', { id: 7 }),
  conflict: () => new ConflictError('ACH_EXISTS', 'achievement exists'),
  rule: () => new RuleViolationError('GOV_VOTING_CLOSED', 'voting has closed'),
  unavailable: () => new UnavailableError('CB_DB_UNAVAILABLE', 'database unreachable: connect 10.0.0.5:5432'),
  'unavailable-other': () => new UnavailableError('CHAIN_RPC_DOWN', 'rpc https://key@node down'),
  base: () => new BaseError('ACH_BROKEN_INVARIANT', 'progress of 0xabc went negative'),
  'base-listed': () => new BaseError('CB_APIKEY_NAME_TAKEN', 'name taken'),
  config: () => new ConfigError([{ setting: 'CB_PORT', message: 'bad' }]),
  unknown: () => new TypeError("Cannot read properties of undefined (reading 'secretThing')"),
  string: () => 'a thrown string',
};

beforeAll(async () => {
  t = await createTestApi();
  const context = t.context({ config: { bodyLimitBytes: 2048 } });
  logs = context.logs;
  app = await buildApp(context.ctx, {
    routes: [
      async (a) => {
        a.get<{ Params: { kind: string } }>(
          '/v1/throw/:kind',
          { config: { scope: 'public' } },
          async (request) => {
            throw thrown[request.params.kind]!();
          },
        );
        a.post(
          '/v1/items',
          {
            config: { scope: 'public' },
            schema: {
              body: {
                type: 'object',
                required: ['name', 'count'],
                properties: {
                  name: { type: 'string', minLength: 1 },
                  count: { type: 'integer', minimum: 1 },
                  tags: { type: 'array', items: { type: 'string' } },
                },
              },
              querystring: {
                type: 'object',
                properties: { dryRun: { type: 'boolean' } },
              },
            },
          },
          async (request) => request.body,
        );
      },
    ],
  });
});

afterAll(async () => {
  await app?.close();
  await t?.close();
});

async function errorOf(kind: string) {
  const res = await app.inject({ url: `/v1/throw/${kind}` });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

describe('error model: BaseErrors', () => {
  test.each([
    ['validation', 400, 'CB_VALIDATION'],
    ['unauthorized', 401, 'CB_UNAUTHORIZED'],
    ['forbidden', 403, 'ACH_NOT_OWNER'],
    ['not-found', 404, 'ACH_NOT_FOUND'],
    ['conflict', 409, 'ACH_EXISTS'],
    ['rule', 422, 'GOV_VOTING_CLOSED'],
    ['unavailable', 503, 'CB_DB_UNAVAILABLE'],
    ['unavailable-other', 503, 'CHAIN_RPC_DOWN'],
    ['base', 500, 'ACH_BROKEN_INVARIANT'],
    ['base-listed', 409, 'CB_APIKEY_NAME_TAKEN'],
    ['config', 500, 'CB_CONFIG_INVALID'],
  ])('default: %s → %i %s', async (kind, status, code) => {
    const r = await errorOf(kind);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(Object.keys(r.body)).toEqual(['error']);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('behavior: 4xx carry the error message and details', async () => {
    expect((await errorOf('validation')).body).toEqual({
      error: {
        code: 'CB_VALIDATION',
        message: 'amount must be positive',
        details: { issues: [{ path: 'amount', message: 'must be > 0' }] },
      },
    });
    expect((await errorOf('not-found')).body.error.details).toEqual({ id: 7 });
    expect((await errorOf('unauthorized')).headers['www-authenticate']).toBe('Bearer realm="cb"');
  });

  test('behavior: 5xx never carry internals; the log has them at ERROR', async () => {
    const db = await errorOf('unavailable');
    expect(db.body).toEqual({
      error: { code: 'CB_DB_UNAVAILABLE', message: ERROR_CODES.CB_DB_UNAVAILABLE.meaning },
    });
    expect(JSON.stringify(db.body)).not.toContain('10.0.0.5');
    expect((await errorOf('unavailable-other')).body.error.message).toBe(
      'a dependency is unavailable; retry later',
    );
    const base = await errorOf('base');
    expect(base.body).toEqual({ error: { code: 'ACH_BROKEN_INVARIANT', message: 'internal error' } });
    const line = logs
      .lines()
      .find((l) => l.message === 'GET /v1/throw/:kind 500' && JSON.stringify(l).includes('0xabc'));
    expect(line?.level).toBe('ERROR');
  });

  test('error: an unknown error is 500 CB_INTERNAL with a generic message, the real one only in the log', async () => {
    const r = await errorOf('unknown');
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: { code: 'CB_INTERNAL', message: 'internal error' } });
    const line = logs.lines().find((l) => JSON.stringify(l).includes('secretThing'));
    expect(line).toMatchObject({ level: 'ERROR', service: 'api', context: { errorCode: 'CB_INTERNAL' } });
    expect((await errorOf('string')).body.error.code).toBe('CB_INTERNAL');
  });
});

describe("error model: Fastify's own errors", () => {
  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/v1/items', headers, payload });

  test('error: schema violations are 400 CB_VALIDATION listing every issue', async () => {
    const res = await post(JSON.stringify({ name: '', count: 0, tags: ['a', {}] }));
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('CB_VALIDATION');
    expect(error.details.issues).toEqual(
      expect.arrayContaining([
        { path: 'body.name', message: 'must NOT have fewer than 1 characters' },
        { path: 'body.count', message: 'must be >= 1' },
        { path: 'body.tags.1', message: 'must be string' },
      ]),
    );
    expect(error.message).toMatch(/^invalid request: body\./);
    const missing = (await post('{}')).json().error.details.issues;
    expect(missing).toEqual(
      expect.arrayContaining([
        { path: 'body.name', message: 'is required' },
        { path: 'body.count', message: 'is required' },
      ]),
    );
    const query = await app.inject({
      method: 'POST',
      url: '/v1/items?dryRun=maybe',
      payload: { name: 'a', count: 1 },
    });
    expect(query.json().error.details.issues).toEqual([
      { path: 'querystring.dryRun', message: 'must be boolean' },
    ]);
  });

  test('error: malformed or empty JSON is 400 CB_BAD_JSON', async () => {
    for (const body of ['{"name":', '']) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('CB_BAD_JSON');
    }
  });

  test('error: a body over the limit is 413 CB_BODY_TOO_LARGE', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(3000), count: 1 }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: { code: 'CB_BODY_TOO_LARGE', message: 'the body is larger than the limit of 2048 bytes' },
    });
  });

  test('error: an unsupported media type is 415 CB_UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await post('<item/>', { 'content-type': 'application/xml' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('CB_UNSUPPORTED_MEDIA_TYPE');
  });

  test('error: an unknown route is 404 CB_ROUTE_NOT_FOUND without the query string', async () => {
    const res = await app.inject({ url: '/v1/nothing/here?token=abc' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'CB_ROUTE_NOT_FOUND', message: 'no route for GET /v1/nothing/here' },
    });
    expect(res.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe('ERROR_CODES', () => {
  test('default: every code is domain-prefixed (CB_, ACH_…) upper snake case with a status and one line of meaning', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^(CB|ACH|GOV|CHAIN|OPS|WEB)_[A-Z0-9_]+$/);
      expect([400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 502, 503]).toContain(info.status);
      expect(info.meaning).not.toContain('\n');
      expect(info.meaning.length).toBeGreaterThan(10);
    }
  });

  test('behavior: a code in the table decides the status over the class', () => {
    expect(mapError(new BaseError('CB_RATE_LIMITED', 'slow down')).status).toBe(429);
    expect(mapError(new ValidationError('x', [], 'CB_APIKEY_SCOPE_INVALID')).status).toBe(400);
  });
});
