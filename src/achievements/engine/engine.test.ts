import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { TEST_DRIVER, testDatabaseTarget } from '../../../test/services.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { saveAchievements } from '../catalogue/save-achievements.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { createEventProcessor } from './event-processor.ts';
import { processBatch } from './process-batch.ts';
import { runRetroactive } from './retroactive.ts';

const logger = createSilentLogger();
let db: Db;
let target: Awaited<ReturnType<typeof testDatabaseTarget>>;
const metrics = createMetrics();
const labelOf = (_k: 'type' | 'source', v: string | undefined) => v ?? 'other';

const user = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
let seq = 0;
const event = (
  u: string,
  type: string,
  data: Record<string, unknown> = {},
  occurredAt = '2026-01-10T12:00:00Z',
) => ({
  id: `e${++seq}`,
  type,
  source: 'app',
  user: u,
  occurredAt,
  data,
});

const CATALOGUE = [
  {
    id: 'three-commits',
    name: 'Three commits',
    category: 'code',
    rule: { type: 'count', filter: { types: ['commit'] }, target: 3 },
  },
  {
    id: 'big-spender',
    name: 'Big spender',
    category: 'trade',
    rule: { type: 'sum', filter: { types: ['trade'] }, field: 'amount', target: 100 },
  },
  {
    id: 'all-rounder',
    name: 'All-rounder',
    category: 'meta',
    rule: { type: 'composite', mode: 'all', achievements: ['three-commits', 'big-spender'] },
  },
];

async function freshDb(): Promise<void> {
  await db?.close();
  await target?.drop();
  target = await testDatabaseTarget();
  db = await createDb({ ...target, poolMax: 6, slowQueryMs: 5000, logger, metrics });
  await migrate(db, logger);
  await saveAchievements(db, CATALOGUE, { actor: 'test', mode: 'upsert' });
}

const count = async (sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params)).rows[0]!.n;

beforeAll(freshDb);
afterAll(async () => {
  await db?.close();
  await target?.drop();
});

describe('event processing', () => {
  beforeEach(freshDb);

  test('default: progress, unlock, composite cascade and one mint request each', async () => {
    const u = user(1);
    await ingestEvents({ db, metrics, labelOf }, [
      event(u, 'commit'),
      event(u, 'commit'),
      event(u, 'trade', { amount: 60 }),
    ]);
    const processor = createEventProcessor({ db, metrics, logger });
    expect(await processor.drain()).toBe(3);
    expect(await count('ach_unlocks')).toBe(0);
    const progress = await db.query<{ achievement_id: string; current: string; target: string }>(
      'select achievement_id, current::text, target::text from ach_progress order by achievement_id',
    );
    expect(progress.rows).toEqual([
      { achievement_id: 'big-spender', current: '60', target: '100' },
      { achievement_id: 'three-commits', current: '2', target: '3' },
    ]);

    await ingestEvents({ db, metrics, labelOf }, [event(u, 'commit'), event(u, 'trade', { amount: 40 })]);
    await processor.drain();
    const unlocks = await db.query<{ achievement_id: string }>(
      'select achievement_id from ach_unlocks order by achievement_id',
    );
    expect(unlocks.rows.map((r) => r.achievement_id)).toEqual([
      'all-rounder',
      'big-spender',
      'three-commits',
    ]);
    expect(await count('ach_mint_outbox')).toBe(3);
    expect(await count(`ach_events where status = 'processed'`)).toBe(5);
  });

  test('behavior: duplicates are stored once and change nothing', async () => {
    const u = user(2);
    const e = event(u, 'commit');
    const first = await ingestEvents({ db, metrics, labelOf }, [e, e]);
    expect(first.map((r) => r.status)).toEqual(['accepted', 'duplicate']);
    const again = await ingestEvents({ db, metrics, labelOf }, [e]);
    expect(again[0]!.status).toBe('duplicate');
    await createEventProcessor({ db, metrics, logger }).drain();
    const { rows } = await db.query<{ current: string }>(
      'select current::text from ach_progress where user_address = $1',
      [u],
    );
    expect(rows).toEqual([{ current: '1' }]);
  });

  test('behavior: a crash in the middle of a batch loses nothing and doubles nothing', async () => {
    const u = user(3);
    await ingestEvents({ db, metrics, labelOf }, [
      event(u, 'commit'),
      event(u, 'commit'),
      event(u, 'commit'),
    ]);
    await expect(
      processBatch({
        db,
        metrics,
        logger,
        catalogue: (q) => createEventProcessor({ db, metrics, logger }).catalogue(q),
        beforeCommit: () => {
          throw new Error('simulated crash before commit');
        },
      }),
    ).rejects.toThrow('simulated crash');
    // The unlock it had evaluated was not written: counted as a failed unlock (UnlockSuccessRateLow).
    const unlocksMetric = async (result: string) =>
      (await metrics.registry.getSingleMetric('cb_achievement_unlocks_total')?.get())?.values
        .filter((v) => v.labels.result === result)
        .reduce((sum, v) => sum + v.value, 0) ?? 0;
    expect(await unlocksMetric('failed')).toBe(1);
    const okBefore = await unlocksMetric('ok');
    expect(await count(`ach_events where status = 'received'`)).toBe(3);
    expect(await count('ach_progress')).toBe(0);
    expect(await count('ach_unlocks')).toBe(0);

    await createEventProcessor({ db, metrics, logger }).drain();
    expect(await count('ach_unlocks')).toBe(1);
    expect(await unlocksMetric('ok')).toBe(okBefore + 1);
    expect(await count('ach_mint_outbox')).toBe(1);
    const { rows } = await db.query<{ current: string }>(
      'select current::text from ach_progress where user_address = $1',
      [u],
    );
    expect(rows[0]!.current).toBe('3');
  });

  test.runIf(TEST_DRIVER === 'pg')(
    'behavior: workers racing in several processes unlock exactly once, in order per member',
    async () => {
      const users = Array.from({ length: 40 }, (_, i) => user(100 + i));
      const events = users.flatMap((u) => [
        event(u, 'commit'),
        event(u, 'commit'),
        event(u, 'commit'),
        event(u, 'commit'),
        event(u, 'trade', { amount: 100 }),
      ]);
      await ingestEvents({ db, metrics, labelOf }, events);
      const others = await Promise.all(
        [1, 2].map(() => createDb({ ...target, poolMax: 4, slowQueryMs: 5000, logger, metrics })),
      );
      try {
        const processors = [db, ...others].map((d) =>
          createEventProcessor({ db: d, metrics, logger, batchSize: 7 }),
        );
        const drained = await Promise.all(processors.flatMap((p) => [p.drain(), p.drain()]));
        expect(drained.reduce((a, b) => a + b, 0)).toBe(events.length);
      } finally {
        await Promise.all(others.map((d) => d.close()));
      }
      expect(await count('ach_unlocks')).toBe(users.length * 3);
      expect(await count('ach_mint_outbox')).toBe(users.length * 3);
      const { rows } = await db.query<{ current: string; n: number }>(
        `select current::text, count(*)::int as n from ach_progress where achievement_id = 'three-commits' group by current`,
      );
      // Unlocked at the third commit: the fourth one is never applied.
      expect(rows).toEqual([{ current: '3', n: users.length }]);
    },
  );
});

describe('retroactive evaluation', () => {
  beforeEach(freshDb);

  test('behavior: a new achievement unlocks for members whose history already qualifies', async () => {
    const a = user(7);
    const b = user(8);
    await ingestEvents({ db, metrics, labelOf }, [
      event(a, 'vote', {}, '2026-01-01T10:00:00Z'),
      event(a, 'vote', {}, '2026-01-02T10:00:00Z'),
      event(b, 'vote', {}, '2026-01-01T10:00:00Z'),
    ]);
    await createEventProcessor({ db, metrics, logger }).drain();
    const saved = await saveAchievements(
      db,
      [
        {
          id: 'two-votes',
          name: 'Two votes',
          category: 'governance',
          rule: { type: 'count', filter: { types: ['vote'] }, target: 2 },
        },
      ],
      { actor: 'test', mode: 'create' },
    );
    expect(saved[0]).toMatchObject({ outcome: 'created', needsRetroactive: true });
    const result = await runRetroactive({ db, metrics, logger }, 'two-votes');
    expect(result).toMatchObject({ unlocks: 1 });
    // Counted like a live unlock, under the achievement's category.
    expect(await metrics.registry.getSingleMetricAsString('cb_achievement_unlocks_total')).toContain(
      'cb_achievement_unlocks_total{category="governance",result="ok"} 1',
    );
    const unlocked = await db.query<{ user_address: string }>(
      `select user_address from ach_unlocks where achievement_id = 'two-votes'`,
    );
    expect(unlocked.rows).toEqual([{ user_address: a }]);
    const progress = await db.query<{ current: string }>(
      `select current::text from ach_progress where achievement_id = 'two-votes' and user_address = $1`,
      [b],
    );
    expect(progress.rows).toEqual([{ current: '1' }]);
    // Running it again changes nothing.
    expect(await runRetroactive({ db, metrics, logger }, 'two-votes')).toMatchObject({ unlocks: 0 });
    expect(await metrics.registry.getSingleMetricAsString('cb_retroactive_runs_total')).toContain(
      'result="ok"} 2',
    );
  });
});

describe('recompute', () => {
  beforeEach(freshDb);

  test('behavior: paging through the event log in small chunks sees every event (numeric order, not text)', async () => {
    const { recomputePartition } = await import('./recompute.ts');
    const { loadCatalogue } = await import('./catalogue.ts');
    const { partitionOf } = await import('../partition.ts');
    const u = user(42);
    // Sequence numbers past 9, 99: text order would put "10" before "9" and skip events between pages.
    await ingestEvents(
      { db, metrics, labelOf },
      Array.from({ length: 25 }, () => event(u, 'trade', { amount: 1 })),
    );
    await createEventProcessor({ db, metrics, logger }).drain();
    const fresh = await db.transaction(async (tx) =>
      recomputePartition(tx, await loadCatalogue(tx), partitionOf(u), { users: [u], chunkSize: 4 }),
    );
    expect(fresh.members.get(u)?.progress.get('big-spender')?.progress.current).toBe(25);
  });
});
