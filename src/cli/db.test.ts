/** `cb db slow-queries`: the slow-query log as operators read it. */
import { describe, expect, test } from 'vitest';
import { createSlowQueryRecorder } from '../platform/db/slow-queries.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { registerDb } from './db.ts';
import { cliSuite, runCliInProcess } from './test-support.ts';

const suite = cliSuite('cb-db-cli-');
const withDb = suite.withDb;

const cb = (...args: string[]) => runCliInProcess((program) => registerDb(program), args);

describe('cb db slow-queries', () => {
  test('default: shapes by total time, each with its share, its calls before and the trace to look up', async () => {
    const empty = await cb('db', 'slow-queries');
    expect(empty.exitCode).toBeUndefined();
    expect(empty.out).toMatch(/statements slower than 200 ms since .*: 0 in 0\.0 s over 0 shape\(s\)/);

    await withDb(async (db) => {
      const log = createSlowQueryRecorder({ instance: 'cb-api-1', logger: createSilentLogger() });
      log.record('select * from ach_events where user_address = ?', 'select', 1200);
      log.record('select * from ach_events where user_address = ?', 'select', 800);
      log.record('update ach_progress set current = ?', 'update', 500);
      await log.flush(db);
    });
    const { out, exitCode } = await cb('db', 'slow-queries', '--since', '2h');
    expect(exitCode).toBeUndefined();
    expect(out).toMatch(/: 3 in 2\.5 s over 2 shape\(s\); the window before: 0 in 0\.0 s/);
    expect(out).toMatch(
      / 1\. 80 % of the time: 2\.0 s in 2 call\(s\) \(new\), mean 1000 ms, max 1200 ms, select\n\s+last .* on cb-api-1; fingerprint [0-9a-f]{16}\n\s+select \* from ach_events where user_address = \?/,
    );
    expect(out.indexOf('update ach_progress')).toBeGreaterThan(out.indexOf('from ach_events'));

    const json = JSON.parse((await cb('db', 'slow-queries', '--limit', '1', '--json')).out);
    expect(json).toMatchObject({ calls: 3, shapes: 2 });
    expect(json.items).toHaveLength(1);
  });

  test('error: a bad --since or --limit is refused with what is expected', async () => {
    await expect(cb('db', 'slow-queries', '--since', 'last week')).rejects.toThrow(
      /--since must be a duration such as 24h or 7d, or a past ISO 8601 time, got "last week"/,
    );
    await expect(cb('db', 'slow-queries', '--limit', '0')).rejects.toThrow(
      /--limit must be a whole number from 1 to 200/,
    );
  });
});
