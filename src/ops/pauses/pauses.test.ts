import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/build-app.ts';
import { createTestApi, type TestApi } from '../../api/test-context.ts';
import { registerPause } from '../../cli/pause.ts';
import { cliSuite, runCliInProcess } from '../../cli/test-support.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { clearPause, listPauses, pauseOf, samplePauses, setPause } from './pauses.ts';
import { pauseRoutes } from './routes.ts';

const gauge = async (metrics: Metrics, name: string) =>
  (await metrics.registry.getSingleMetric('cb_ops_paused_since_timestamp_seconds')?.get())?.values.find(
    (v) => v.labels.switch === name,
  )?.value;

describe('emergency pauses over the API', () => {
  let t: TestApi;
  const keys = { read: '', write: '' };
  beforeAll(async () => {
    t = await createTestApi();
    keys.read = (await t.apiKeys.create({ name: 'pause-reader', scopes: ['ops:read'] })).key;
    keys.write = (await t.apiKeys.create({ name: 'pause-operator', scopes: ['ops:read', 'ops:write'] })).key;
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.query('delete from ops_pauses');
  });

  const app = async () => {
    const { ctx, logs } = t.context();
    const a = await buildApp(ctx, {
      routes: [pauseRoutes({ db: t.db, logger: ctx.logger, metrics: ctx.metrics })],
    });
    return { app: a, metrics: ctx.metrics, logs };
  };
  const call = (
    a: Awaited<ReturnType<typeof app>>['app'],
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    key: string,
    body?: unknown,
  ) =>
    a.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });

  test('default: nothing is paused; PUT pauses minting with its reason and author, DELETE resumes it', async () => {
    const { app: a, metrics, logs } = await app();
    try {
      expect((await call(a, 'GET', '/v1/ops/pauses', keys.read)).json()).toEqual({
        switches: [
          { name: 'minting', pause: null },
          { name: 'execution', pause: null },
        ],
      });
      const put = await call(a, 'PUT', '/v1/ops/pauses/minting', keys.write, {
        reason: 'minter key leaked (INC-7)',
      });
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({
        name: 'minting',
        reason: 'minter key leaked (INC-7)',
        pausedBy: 'apikey:pause-operator',
        already: false,
      });
      expect(await gauge(metrics, 'minting')).toBe(Date.parse(put.json().pausedAt) / 1000);
      expect(await gauge(metrics, 'execution')).toBe(0);
      expect(
        logs.lines().some((l) => l.level === 'WARN' && l.message === 'minting paused: an emergency stop'),
      ).toBe(true);
      // The writers read the same row.
      expect((await pauseOf(t.db, 'minting'))?.reason).toBe('minter key leaked (INC-7)');

      // Paused again: the time stays, the latest reason stands.
      const first = put.json().pausedAt;
      const again = await call(a, 'PUT', '/v1/ops/pauses/minting', keys.write, { reason: 'still rotating' });
      expect(again.json()).toMatchObject({ reason: 'still rotating', pausedAt: first, already: true });

      const del = await call(a, 'DELETE', '/v1/ops/pauses/minting', keys.write);
      expect(del.json()).toMatchObject({
        name: 'minting',
        resumed: true,
        pause: { reason: 'still rotating' },
      });
      expect(await gauge(metrics, 'minting')).toBe(0);
      expect((await call(a, 'DELETE', '/v1/ops/pauses/minting', keys.write)).json()).toMatchObject({
        resumed: false,
        pause: null,
      });
    } finally {
      await a.close();
    }
  });

  test('error: ops:read cannot pause; an unknown switch, a missing or empty reason are 400', async () => {
    const { app: a } = await app();
    try {
      const refused = await call(a, 'PUT', '/v1/ops/pauses/minting', keys.read, { reason: 'x' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.details.requiredScope).toBe('ops:write');
      expect((await call(a, 'DELETE', '/v1/ops/pauses/minting', keys.read)).statusCode).toBe(403);
      expect((await call(a, 'PUT', '/v1/ops/pauses/intake', keys.write, { reason: 'x' })).statusCode).toBe(
        400,
      );
      expect((await call(a, 'PUT', '/v1/ops/pauses/minting', keys.write, {})).statusCode).toBe(400);
      expect((await call(a, 'PUT', '/v1/ops/pauses/minting', keys.write, { reason: '' })).statusCode).toBe(
        400,
      );
      expect(await listPauses(t.db)).toEqual([]);
    } finally {
      await a.close();
    }
  });

  test('edge: a blank reason is refused by the store itself; sampling exports every switch', async () => {
    await expect(setPause(t.db, 'execution', { reason: '   ', pausedBy: 'x' })).rejects.toThrow(RangeError);
    await setPause(t.db, 'execution', { reason: 'bad proposal 12 queued', pausedBy: 'ops@host' });
    const { metrics } = await app();
    await samplePauses(t.db, metrics);
    expect(await gauge(metrics, 'execution')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(await gauge(metrics, 'minting')).toBe(0);
    expect(await clearPause(t.db, 'execution')).toMatchObject({ name: 'execution', pausedBy: 'ops@host' });
  });
});

describe('cb pause / cb resume', () => {
  const suite = cliSuite('cb-pause-');
  const cb = (...args: string[]) => runCliInProcess(registerPause, args);

  test('default: pause with a reason, list, resume; recorded in the audit trail', async () => {
    const paused = await cb('pause', 'execution', '--reason', 'proposal 12 drains the treasury');
    expect(paused.out).toContain('execution paused: no passed proposal is executed');
    expect(paused.out).toContain('Resume with: cb resume execution');
    const list = await cb('pause');
    expect(list.out).toMatch(/execution\s+PAUSED\s+\S+\s+\S+@\S+\s+proposal 12 drains the treasury/);
    expect(list.out).toMatch(/minting\s+running/);
    const json = JSON.parse((await cb('pause', '--json')).out) as { pauses: { name: string }[] };
    expect(json.pauses.map((p) => p.name)).toEqual(['execution']);
    const resumed = await cb('resume', 'execution');
    expect(resumed.out).toMatch(/^execution resumed \(paused since .* proposal 12 drains the treasury\)\./);
    expect((await cb('resume', 'execution')).out).toContain('execution was not paused.');
    const actions = await suite.withDb(
      async (db) =>
        (
          await db.query<{ action: string; target: string | null }>(
            'select action, target from audit_log order by seq',
          )
        ).rows,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: 'cb pause', target: 'execution' },
        { action: 'cb resume', target: 'execution' },
      ]),
    );
    // Listing is not an operation.
    expect(actions.filter((a) => a.action === 'cb pause')).toHaveLength(1);
  });

  test('error: no reason, an unknown switch, a reason without a switch', async () => {
    await expect(cb('pause', 'minting')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('--reason is required'),
    });
    await expect(cb('pause', 'intake', '--reason', 'x')).rejects.toMatchObject({
      exitCode: 2,
      message: 'no switch "intake": one of minting, execution',
    });
    await expect(cb('pause', '--reason', 'x')).rejects.toMatchObject({ exitCode: 2 });
    await expect(cb('resume', 'everything')).rejects.toMatchObject({ exitCode: 2 });
  });
});
