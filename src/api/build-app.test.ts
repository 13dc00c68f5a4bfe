import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RuleViolationError } from '../platform/errors.ts';
import { buildApp } from './build-app.ts';
import { createTestApi, type TestApi } from './test-context.ts';

let t: TestApi;

beforeAll(async () => {
  t = await createTestApi();
});
afterAll(async () => {
  await t?.close();
});

/** A domain-style route plugin: TypeBox schemas, typed body, a scope, a domain error. */
function counterRoutes(start: number): FastifyPluginAsyncTypebox {
  return async (app) => {
    let value = start;
    app.post(
      '/v1/counter',
      {
        config: { scope: 'counter:write' },
        schema: {
          body: Type.Object({ by: Type.Integer({ minimum: 1, maximum: 10 }) }),
          response: { 200: Type.Object({ value: Type.Integer() }) },
        },
      },
      async (request) => {
        if (value + request.body.by > 100)
          throw new RuleViolationError('COUNTER_FULL', 'the counter is full');
        value += request.body.by;
        return { value };
      },
    );
  };
}

describe('buildApp', () => {
  test('default: mounts route plugins with TypeBox schemas, typed bodies and the error model', async () => {
    const { ctx } = t.context();
    const app = await buildApp(ctx, { routes: [counterRoutes(95)] });
    try {
      const { key } = await t.apiKeys.create({ name: 'counter-writer', scopes: ['counter:write'] });
      const post = (by: unknown) =>
        app.inject({ method: 'POST', url: '/v1/counter', headers: { 'x-api-key': key }, payload: { by } });
      expect((await post(3)).json()).toEqual({ value: 98 });
      const invalid = await post(11);
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error.details.issues).toEqual([{ path: 'body.by', message: 'must be <= 10' }]);
      const full = await post(5);
      expect(full.statusCode).toBe(422);
      expect(full.json()).toEqual({ error: { code: 'COUNTER_FULL', message: 'the counter is full' } });
    } finally {
      await app.close();
    }
  });

  test('behavior: hooks a route plugin adds stay inside it (encapsulation)', async () => {
    const { ctx } = t.context();
    const app = await buildApp(ctx, {
      routes: [
        async (a) => {
          a.addHook('onSend', async (_request, reply, payload) => {
            reply.header('x-first', 'yes');
            return payload;
          });
          a.get('/v1/first', { config: { scope: 'public' } }, async () => ({ ok: 1 }));
        },
        async (a) => {
          a.get('/v1/second', { config: { scope: 'public' } }, async () => ({ ok: 2 }));
        },
      ],
    });
    try {
      expect((await app.inject({ url: '/v1/first' })).headers['x-first']).toBe('yes');
      const second = await app.inject({ url: '/v1/second' });
      expect(second.headers['x-first']).toBeUndefined();
      // …while the root plugins apply to both.
      expect(second.headers.traceparent).toBeDefined();
    } finally {
      await app.close();
    }
  });

  test('error: two readiness checks with one name fail at start-up', async () => {
    const { ctx } = t.context({
      readiness: [
        { name: 'database', check: async () => {} },
        { name: 'database', check: async () => {} },
      ],
    });
    await expect(buildApp(ctx)).rejects.toThrow('two readiness checks are named "database"');
  });
});
