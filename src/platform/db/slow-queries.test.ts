/**
 * The slow-query log: statements aggregated by shape and hour in memory, merged into
 * db_slow_queries by every process, and reported by total time against the window before.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { captureLogs } from '../../../test/log-capture.ts';
import { TEST_DRIVER, testDatabaseTarget } from '../../../test/services.ts';
import { createSilentLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { newSpanId, newTraceId, runWithTrace } from '../trace.ts';
import { createDb, type Db, normalizeStatement, type Queryable } from './create-db.ts';
import { migrate } from './migrate.ts';
import {
  createSlowQueryRecorder,
  fingerprintOf,
  MAX_PENDING_SHAPES,
  readSlowQueries,
} from './slow-queries.ts';

let db: Db;
let target: Awaited<ReturnType<typeof testDatabaseTarget>>;
const HOUR = 3_600_000;
const dayAgo = () => new Date(Date.now() - 24 * HOUR);

beforeAll(async () => {
  target = await testDatabaseTarget();
  db = await createDb({
    ...target,
    poolMax: 3,
    slowQueryMs: 200,
    logger: createSilentLogger(),
    metrics: createMetrics(),
  });
  await migrate(db, createSilentLogger());
});
afterAll(async () => {
  await db?.close();
  await target?.drop();
});
beforeEach(async () => {
  await db.query('delete from db_slow_queries');
});

const recorder = (instance = 'cb-1', now?: () => number) =>
  createSlowQueryRecorder({ instance, logger: createSilentLogger(), now });

describe(`slow-query log (${TEST_DRIVER})`, () => {
  test('default: statements slower than the threshold are kept by shape, with the trace that ran the latest', async () => {
    const log = recorder();
    // A second pool on the suite's database (a database of its own here was never dropped).
    const observed = await createDb({
      ...target,
      poolMax: 2,
      // Every statement counts as slow here: the test needs no slow statement to wait for.
      slowQueryMs: 0,
      onSlowQuery: log.record,
      logger: createSilentLogger(),
      metrics: createMetrics(),
    });
    const trace = { traceId: newTraceId(), spanId: newSpanId(), sampled: true };
    try {
      await observed.query("select 1 as slow_log_probe where 'a' = $1", ['a']);
      await runWithTrace(trace, () => observed.query("select 2 as slow_log_probe where 'b' = $1", ['b']));
    } finally {
      await observed.close();
    }
    expect(await log.flush(db)).toBeGreaterThan(0);
    const report = await readSlowQueries(db, { since: dayAgo(), limit: 200 });
    const shape = normalizeStatement("select 1 as slow_log_probe where 'a' = $1");
    const probe = report.items.find((q) => q.statement === shape);
    expect(probe).toMatchObject({
      fingerprint: fingerprintOf(shape),
      operation: 'select',
      calls: 2,
      previousCalls: 0,
      lastTraceId: trace.traceId,
      lastInstance: 'cb-1',
    });
    expect(probe!.maxMs).toBeGreaterThanOrEqual(probe!.meanMs);
    expect(report.calls).toBeGreaterThanOrEqual(2);
    expect(report.shapes).toBe(report.items.length);
  });

  test('default: processes merge into one row per shape and hour; the report ranks by total time and shares', async () => {
    const a = recorder('cb-a');
    const b = recorder('cb-b');
    a.record('select ? from big', 'select', 300);
    a.record('select ? from big', 'select', 500);
    a.record('update small set x = ?', 'update', 250);
    b.record('select ? from big', 'select', 900);
    await a.flush(db);
    await b.flush(db);
    const { rows } = await db.query<{ n: string }>('select count(*) as n from db_slow_queries');
    expect(Number(rows[0]!.n)).toBe(2);
    const report = await readSlowQueries(db, { since: dayAgo() });
    expect(report).toMatchObject({ calls: 4, totalMs: 1950, shapes: 2, previous: { calls: 0, totalMs: 0 } });
    expect(
      report.items.map((q) => [q.statement, q.calls, q.totalMs, q.meanMs, q.maxMs, q.lastInstance]),
    ).toEqual([
      ['select ? from big', 3, 1700, 566.7, 900, 'cb-b'],
      ['update small set x = ?', 1, 250, 250, 250, 'cb-a'],
    ]);
    expect(report.items[0]!.share).toBeCloseTo(1700 / 1950, 3);
    expect((await readSlowQueries(db, { since: dayAgo(), limit: 1 })).items).toHaveLength(1);
  });

  test('default: the window before is there for comparison: a rising shape and a new one tell apart', async () => {
    const now = Date.now();
    const earlier = recorder('cb-1', () => now - 30 * HOUR);
    earlier.record('select ? from steady', 'select', 300);
    earlier.record('select ? from steady', 'select', 300);
    await earlier.flush(db);
    const later = recorder('cb-1', () => now);
    for (let i = 0; i < 5; i++) later.record('select ? from steady', 'select', 300);
    later.record('delete from fresh where id = ?', 'delete', 1000);
    await later.flush(db);
    const report = await readSlowQueries(db, { since: new Date(now - 24 * HOUR) });
    expect(report.previous).toEqual({ calls: 2, totalMs: 600 });
    expect(report.items.map((q) => [q.statement, q.calls, q.previousCalls])).toEqual([
      ['select ? from steady', 5, 2],
      ['delete from fresh where id = ?', 1, 0],
    ]);
    // Older than both windows: not counted at all.
    const old = await readSlowQueries(db, { since: new Date(now - 2 * HOUR), until: new Date(now - HOUR) });
    expect(old.calls).toBe(0);
  });

  test('error: a flush that fails keeps its statements for the next one, logged once per streak', async () => {
    const logs = captureLogs('warn');
    const log = createSlowQueryRecorder({ instance: 'cb-1', logger: logs.logger });
    log.record('select ? from kept', 'select', 400);
    const down = {
      query: async () => {
        throw new Error('connection refused');
      },
    };
    await expect(log.flush(down)).rejects.toThrow('connection refused');
    log.record('select ? from kept', 'select', 600);
    await expect(log.flush(down)).rejects.toThrow('connection refused');
    expect(
      logs.entries().filter((e) => String(e.message).startsWith('slow-query log not written')),
    ).toHaveLength(1);
    await log.flush(db);
    const [kept] = (await readSlowQueries(db, { since: dayAgo() })).items;
    expect(kept).toMatchObject({ statement: 'select ? from kept', calls: 2, totalMs: 1000, maxMs: 600 });
  });

  test('error: rows past the retention that cannot be deleted leave the written rows written once', async () => {
    const logs = captureLogs('warn');
    const log = createSlowQueryRecorder({ instance: 'cb-1', logger: logs.logger });
    const noDelete: Queryable = {
      query: ((text: string, params?: readonly unknown[]) => {
        if (/^delete /.test(text)) throw new Error('permission denied for table db_slow_queries');
        return db.query(text, params);
      }) as Queryable['query'],
    };
    log.record('select ? from once', 'select', 400);
    expect(await log.flush(noDelete)).toBe(1);
    expect(await log.flush(noDelete)).toBe(0);
    const [once] = (await readSlowQueries(db, { since: dayAgo() })).items;
    expect(once).toMatchObject({ statement: 'select ? from once', calls: 1, totalMs: 400 });
    expect(logs.entries().filter((e) => String(e.message).includes('not deleted'))).toHaveLength(1);
  });

  test('edge: memory is bounded: past the cap, statements of new shapes are counted as dropped and said so', async () => {
    const logs = captureLogs('warn');
    const log = createSlowQueryRecorder({ instance: 'cb-1', logger: logs.logger });
    for (let i = 0; i <= MAX_PENDING_SHAPES; i++) log.record(`select ? from t${i}`, 'select', 250);
    // A shape already held still counts.
    log.record('select ? from t0', 'select', 250);
    expect(await log.flush(db)).toBe(MAX_PENDING_SHAPES);
    const report = await readSlowQueries(db, { since: dayAgo(), limit: 1 });
    expect(report).toMatchObject({ shapes: MAX_PENDING_SHAPES, calls: MAX_PENDING_SHAPES + 1 });
    const full = logs.entries().find((e) => String(e.message).startsWith('slow-query log full'));
    expect(full).toMatchObject({ metrics: { dropped: 1, maxShapes: MAX_PENDING_SHAPES } });
  });

  test('edge: rows older than the retention are deleted by a flush', async () => {
    const now = Date.now();
    const old = recorder('cb-1', () => now - 40 * 24 * HOUR);
    old.record('select ? from ancient', 'select', 300);
    await old.flush(db);
    const current = createSlowQueryRecorder({
      instance: 'cb-1',
      logger: createSilentLogger(),
      retentionDays: 30,
    });
    current.record('select ? from recent', 'select', 300);
    await current.flush(db);
    const { rows } = await db.query<{ statement: string }>('select statement from db_slow_queries');
    expect(rows.map((r) => r.statement)).toEqual(['select ? from recent']);
  });

  test('default: stop flushes what is pending', async () => {
    const log = recorder();
    const stop = log.start(db);
    log.record('select ? from at_stop', 'select', 300);
    await stop();
    expect((await readSlowQueries(db, { since: dayAgo() })).items.map((q) => q.statement)).toEqual([
      'select ? from at_stop',
    ]);
  });
});
