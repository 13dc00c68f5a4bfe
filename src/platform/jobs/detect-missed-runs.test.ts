import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../db/create-db.ts';
import { detectMissedRuns, lastExpectedRun } from './detect-missed-runs.ts';
import { createTestCommon, createTestDb, metricValue } from './test-support.ts';

let db: Db;
let close: () => Promise<void>;
const a = createTestCommon({ instance: 'a' });
const b = createTestCommon({ instance: 'b' });
const hourly = { name: 'm.hourly', cron: '0 * * * *', tz: 'UTC' };

beforeAll(async () => {
  ({ db, close } = await createTestDb(a));
  await db.query(`insert into cb_schedules (name, cron, tz, updated_at) values ($1, $2, $3, $4)`, [
    hourly.name,
    hourly.cron,
    hourly.tz,
    new Date('2024-01-01T00:00:00Z'),
  ]);
});

afterAll(async () => {
  await close?.();
});

/** One check by each of two instances at the same moment; the total counted by both. */
async function checkTwice(at: string, graceMs = 60_000): Promise<number> {
  const before = await missed();
  await Promise.all(
    [a, b].map((c) =>
      detectMissedRuns({
        db,
        metrics: c.metrics,
        logger: c.logger,
        schedules: [hourly],
        now: Date.parse(at),
        graceMs,
      }),
    ),
  );
  return (await missed()) - before;
}

async function missed(): Promise<number> {
  let total = 0;
  for (const c of [a, b])
    total += (await metricValue(c, 'cb_scheduled_job_missed_total', { schedule: hourly.name })) ?? 0;
  return total;
}

const setStarted = (at: string) =>
  db.query('update cb_schedules set last_started_at = $2 where name = $1', [hourly.name, new Date(at)]);

describe('detectMissedRuns', () => {
  test('default: a run that never started is counted once across two instances', async () => {
    expect(await checkTwice('2024-01-02T10:30:00Z')).toBe(1);
    const { rows } = await db.query<{ last_missed_for: Date }>(
      'select last_missed_for from cb_schedules where name = $1',
      [hourly.name],
    );
    expect(rows[0]!.last_missed_for.toISOString()).toBe('2024-01-02T10:00:00.000Z');
    // Checking again, by either instance, counts nothing more for the same expected run.
    expect(await checkTwice('2024-01-02T10:45:00Z')).toBe(0);
  });

  test('behavior: a run that started on time is not missed; the next expected one is judged again', async () => {
    await setStarted('2024-01-02T11:00:04Z');
    expect(await checkTwice('2024-01-02T11:30:00Z')).toBe(0);
    // Within the grace the 12:00 run is not due yet; after it, it is missed.
    expect(await checkTwice('2024-01-02T12:00:50Z')).toBe(0);
    expect(await checkTwice('2024-01-02T12:01:10Z')).toBe(1);
  });

  test('behavior: runs expected before the schedule existed are not missed', async () => {
    await db.query('update cb_schedules set updated_at = $2 where name = $1', [
      hourly.name,
      new Date('2024-01-02T13:20:00Z'),
    ]);
    expect(await checkTwice('2024-01-02T13:40:00Z')).toBe(0);
    expect(await checkTwice('2024-01-02T14:05:00Z')).toBe(1);
  });
});

describe('lastExpectedRun', () => {
  test('default: the last fire time at or before a moment, in the schedule’s time zone', () => {
    const tokyo9 = '0 9 * * *';
    expect(lastExpectedRun(tokyo9, 'Asia/Tokyo', new Date('2024-01-02T01:00:00Z')).toISOString()).toBe(
      '2024-01-02T00:00:00.000Z',
    );
    expect(lastExpectedRun(tokyo9, 'Asia/Tokyo', new Date('2024-01-02T00:00:00Z')).toISOString()).toBe(
      '2024-01-02T00:00:00.000Z',
    );
  });
});
