/** `GET /v1/ops/capacity`: the capacity report for operators (ops:read), the same JSON as `cb capacity --json`. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/build-app.ts';
import { createTestApi, type TestApi } from '../../api/test-context.ts';
import { readCapacityReport } from './capacity-report.ts';
import { capacityRoutes } from './capacity-routes.ts';
import { type CapacityMeasurement, recordCapacitySample } from './capacity-samples.ts';

let t: TestApi;
const keys = { none: '', read: '' };
const NOW = new Date('2026-11-27T12:00:00Z');
const DAY = 86_400_000;

const sample = (i: number): CapacityMeasurement => ({
  databaseBytes: 2_000_000_000 + i * 50_000_000,
  tables: { ach_events: 1_000_000_000 + i * 50_000_000 },
  dbDisk: { path: '/data', sizeBytes: 100e9, usedBytes: 60e9, availBytes: 35e9 },
  dbDiskNote: null,
  disks: [{ mount: '/', sizeBytes: 100e9, usedBytes: 60e9, availBytes: 35e9 }],
  cpuCores: 2,
  usageObservedSeconds: 86_400,
  hostCpuPeak: 0.5,
  hostCpuMean: 0.1,
  processCpuPeak: 0.2,
  memoryPeak: 0.4,
  memoryTotalBytes: 4e9,
  network: {
    rxPeakBytesPerSecond: 10e6 + i * 1e6,
    rxMeanBytesPerSecond: 2e6,
    txPeakBytesPerSecond: 5e6,
    txMeanBytesPerSecond: 1e6,
    linkBytesPerSecond: null,
  },
});

beforeAll(async () => {
  t = await createTestApi();
  keys.none = (await t.apiKeys.create({ name: 'capacity-events', scopes: ['events:write'] })).key;
  keys.read = (await t.apiKeys.create({ name: 'capacity-read', scopes: ['ops:read'] })).key;
  for (let i = 0; i < 6; i++) {
    const takenAt = new Date(NOW.getTime() - (5 - i) * DAY);
    await recordCapacitySample(t.db, sample(i), {
      instance: 'cb-1',
      day: takenAt.toISOString().slice(0, 10),
      takenAt,
    });
  }
});
afterAll(async () => {
  await t?.close();
});

describe('GET /v1/ops/capacity', () => {
  test('error: scopes — no key 401, a key without ops:read 403, ops:read 200', async () => {
    const app = await buildApp(t.context().ctx, { routes: [capacityRoutes({ db: t.db, now: () => NOW })] });
    try {
      const get = (key?: string) =>
        app.inject({
          method: 'GET',
          url: '/v1/ops/capacity',
          headers: key ? { authorization: `Bearer ${key}` } : {},
        });
      expect((await get()).statusCode).toBe(401);
      const refused = await get(keys.none);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: expect.any(String) } });
      expect(refused.body).not.toContain('ach_events');
      const ok = await get(keys.read);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['cache-control']).toBe('no-store');
    } finally {
      await app.close();
    }
  });

  test('default: the report over ?days, the same JSON the command prints; a window outside 3–400 days is refused', async () => {
    const app = await buildApp(t.context().ctx, { routes: [capacityRoutes({ db: t.db, now: () => NOW })] });
    try {
      const get = (query: string) =>
        app.inject({
          method: 'GET',
          url: `/v1/ops/capacity${query}`,
          headers: { authorization: `Bearer ${keys.read}` },
        });
      const body = (await get('')).json();
      expect(body).toEqual(
        JSON.parse(JSON.stringify(await readCapacityReport(t.db, { days: 30, now: NOW }))),
      );
      expect(body).toMatchObject({
        windowDays: 30,
        samples: 6,
        database: { growth: { samples: 6 } },
        disk: { path: '/data', fullOn: '2028-10-27' },
        cpu: { peakRatio: 0.5, holds: true },
        network: { samples: 6, peakBytesPerSecond: 20e6, linkBytesPerSecond: null },
      });
      expect(body.database.growth.perDay).toBeCloseTo(50_000_000, 0);
      expect(body.disk.daysUntilFull).toBeCloseTo(700, 6);

      const short = (await get('?days=3')).json();
      expect(short).toMatchObject({ windowDays: 3, samples: 3, database: { growth: { samples: 3 } } });
      for (const bad of ['?days=2', '?days=401', '?days=week']) expect((await get(bad)).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});
