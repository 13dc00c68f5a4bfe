import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics, type Metrics } from '../../platform/metrics.ts';
import { ingestEvents } from './ingest-events.ts';
import { ingestTrustedEvents, type TrustedEventBatch } from './ingest-trusted.ts';

const logger = createSilentLogger();
let db: Db;
let target: Awaited<ReturnType<typeof testDatabaseTarget>>;
let metrics: Metrics;
const labelOf = (_k: 'type' | 'source', v: string | undefined) => v ?? 'other';
const user = (n: number) => `0x${n.toString(16).padStart(40, 'a')}`;

beforeAll(async () => {
  target = await testDatabaseTarget();
  db = await createDb({ ...target, poolMax: 2, slowQueryMs: 5000, logger, metrics: createMetrics() });
  await migrate(db, logger);
});
afterAll(async () => {
  await db?.close();
  await target?.drop();
});
beforeEach(async () => {
  metrics = createMetrics();
  await db.query('truncate ach_events');
});

const batch = (n: number, from = 0, source = 'chain'): TrustedEventBatch => {
  const at = Array.from({ length: n }, (_, i) => from + i);
  return {
    source,
    ids: at.map((i) => `31337:0x${i.toString(16).padStart(64, '0')}:${i % 7}`),
    types: at.map((i) => (i % 4 === 3 ? 'badge.revoked' : 'badge.minted')),
    users: at.map((i) => user(i % 5)),
    occurredAt: at.map((i) => 1_767_225_600 + i),
    data: {
      tokenId: at.map((i) => String(1000n + BigInt(i))),
      achievementId: at.map((i) => (i % 2 ? 'first-commit' : 'it\'s "quoted", {odd} \\ back\tslash\n, é ✓')),
      block: at.map((i) => 100 + i),
    },
  };
};

/** `b` with its last event once more at the end. */
const withLastRepeated = (b: TrustedEventBatch): TrustedEventBatch => {
  const last = <T>(column: readonly T[]): T[] => [...column, column[column.length - 1]!];
  return {
    ...b,
    ids: last(b.ids),
    types: last(b.types),
    users: last(b.users),
    occurredAt: last(b.occurredAt),
    data: Object.fromEntries(
      Object.entries(b.data).map(([k, v]) => [k, last<string | number>(v)]),
    ) as TrustedEventBatch['data'],
  };
};

const rows = async (source: string) =>
  (
    await db.query(
      `select external_id, type, user_address, occurred_at, data, partition, status, traceparent
         from ach_events where source = $1 order by seq`,
      [source],
    )
  ).rows;

const counter = async (result: string, type: string) => {
  const { values } = await metrics.eventsReceived.get();
  return values.find((v) => v.labels.result === result && v.labels.type === type)?.value ?? 0;
};

describe('ingestTrustedEvents', () => {
  test('default: stores the rows ingestEvents stores for the same events, in batch order', async () => {
    const b = batch(12);
    await db.transaction((tx) => ingestTrustedEvents(tx, { metrics, labelOf }, { ...b, source: 'trusted' }));
    const items = b.ids.map((id, i) => ({
      id,
      source: 'checked',
      type: b.types[i],
      user: b.users[i],
      occurredAt: new Date(b.occurredAt[i]! * 1000).toISOString(),
      data: {
        tokenId: b.data.tokenId![i],
        achievementId: b.data.achievementId![i],
        block: b.data.block![i],
      },
    }));
    const checked = await ingestEvents({ db, metrics, labelOf }, items, Date.now());
    expect(checked.every((r) => r.status === 'accepted')).toBe(true);
    const trusted = await rows('trusted');
    expect(trusted).toHaveLength(12);
    expect(trusted).toEqual(await rows('checked'));
    expect(trusted[2]).toMatchObject({
      data: { tokenId: '1002', achievementId: `it's "quoted", {odd} \\ back\tslash\n, é ✓`, block: 102 },
    });
  });

  test('behavior: idempotent by (source, id) — again, or repeated within a batch, counts as duplicate', async () => {
    const first = await db.transaction((tx) => ingestTrustedEvents(tx, { metrics, labelOf }, batch(8)));
    expect(first).toEqual({ accepted: 8, duplicates: 0 });
    // Overlaps the first batch by 4, and repeats its own last event.
    const next = batch(8, 4);
    const again = withLastRepeated(next);
    const second = await db.transaction((tx) => ingestTrustedEvents(tx, { metrics, labelOf }, again));
    expect(second).toEqual({ accepted: 4, duplicates: 5 });
    expect((await rows('chain')).map((r) => r.external_id)).toEqual(batch(12).ids);
    // Types 3, 7, 11 are revokes: 2 + 1 accepted; duplicates 4..7 (7 is a revoke) and 11 again.
    expect(await counter('accepted', 'badge.minted')).toBe(6 + 3);
    expect(await counter('accepted', 'badge.revoked')).toBe(2 + 1);
    expect(await counter('duplicate', 'badge.minted')).toBe(3);
    expect(await counter('duplicate', 'badge.revoked')).toBe(2);
  });

  test('args: fresh — the same rows; an id stored already or repeated goes through the on-conflict fallback', async () => {
    const fresh = { fresh: true };
    await db.transaction((tx) => ingestTrustedEvents(tx, { metrics, labelOf }, batch(6, 0, 'plain')));
    const first = await db.transaction((tx) =>
      ingestTrustedEvents(tx, { metrics, labelOf }, batch(6, 0, 'fresh'), fresh),
    );
    expect(first).toEqual({ accepted: 6, duplicates: 0 });
    const strip = (rs: Record<string, unknown>[]) => rs.map(({ traceparent: _t, ...r }) => r);
    expect(strip(await rows('fresh'))).toEqual(strip(await rows('plain')));
    // Overlaps by 2 and repeats its last id: the COPY fails, the fallback stores the 4 new ones —
    // and the transaction goes on (the failed COPY was rolled back to its savepoint only).
    const next = batch(6, 4, 'fresh');
    const again = withLastRepeated(next);
    const second = await db.transaction(async (tx) => {
      const summary = await ingestTrustedEvents(tx, { metrics, labelOf }, again, fresh);
      await tx.query('select 1');
      return summary;
    });
    expect(second).toEqual({ accepted: 4, duplicates: 3 });
    expect((await rows('fresh')).map((r) => r.external_id)).toEqual(batch(10, 0, 'fresh').ids);
  });

  test('behavior: nothing to store is a no-op; rolled back with its transaction', async () => {
    expect(await db.transaction((tx) => ingestTrustedEvents(tx, { metrics, labelOf }, batch(0)))).toEqual({
      accepted: 0,
      duplicates: 0,
    });
    await expect(
      db.transaction(async (tx) => {
        await ingestTrustedEvents(tx, { metrics, labelOf }, batch(3));
        throw new Error('later statement failed');
      }),
    ).rejects.toThrow('later statement failed');
    expect(await rows('chain')).toEqual([]);
  });

  test('error: a malformed batch stores nothing', async () => {
    const b = batch(3);
    const bad: TrustedEventBatch[] = [
      { ...b, source: 'bad source' },
      { ...b, types: ['badge.minted', 'bad type', 'badge.minted'] },
      { ...b, users: b.users.slice(1) },
      { ...b, data: { ...b.data, "x'); drop table ach_events; --": ['1', '2', '3'] } },
    ];
    for (const batchOf of bad)
      await expect(
        db.transaction((tx) => ingestTrustedEvents(tx, { metrics, labelOf }, batchOf)),
      ).rejects.toThrow('trusted intake');
    expect(await rows('chain')).toEqual([]);
  });
});
