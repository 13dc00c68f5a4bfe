import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importCatalogue, ingestEvents } from '../achievements/index.ts';
import type { Db } from '../platform/db/create-db.ts';
import { createMetrics } from '../platform/metrics.ts';
import { registerEvents } from './events.ts';
import {
  type CliTarget,
  cliTestTarget,
  runCliInProcess,
  useCliTarget,
  withTargetDb,
} from './test-support.ts';

const alice = '0x00000000000000000000000000000000000000a1';
const bob = '0x00000000000000000000000000000000000000b2';
let target: CliTarget;
const savedEnv = { ...process.env };
const withDb = <T>(fn: (db: Db) => Promise<T>) => withTargetDb(target, fn);
const cb = (...args: string[]) => runCliInProcess(registerEvents, ['events', ...args]);

const statuses = () =>
  withDb(async (db) => {
    const { rows } = await db.query<{ user_address: string; status: string; n: string }>(
      `select user_address, status, count(*)::text as n from ach_events group by 1, 2 order by 1, 2`,
    );
    return rows.map((r) => `${r.user_address.slice(-2)} ${r.status} ${r.n}`);
  });

beforeAll(async () => {
  target = await cliTestTarget('cb-events-cli-');
  useCliTarget(target);
  // Two pings each for alice and bob; the engine failed on them (as when a rule threw).
  await withDb(async (db) => {
    await importCatalogue(
      db,
      JSON.stringify([
        {
          id: 'two-pings',
          name: 'Two pings',
          category: 'test',
          rule: { type: 'count', filter: { types: ['ping'] }, target: 2 },
        },
      ]),
      'test',
    );
    const events = [alice, alice, bob, bob].map((user, i) => ({
      id: `p${i}`,
      source: 'app',
      type: 'ping',
      user,
      occurredAt: '2026-01-01T00:00:00Z',
    }));
    await ingestEvents({ db, metrics: createMetrics(), labelOf: () => 'other' }, events);
    await db.query(
      `update ach_events set status = 'failed', processed_at = now(), error = '{"message":"rule threw"}'::jsonb`,
    );
  });
}, 60_000);

afterAll(async () => {
  process.env = savedEnv;
  await target?.drop();
});

describe('cb events retry-failed', () => {
  test('args: --dry-run says what would be retried and changes nothing; bad --user and --since are refused', async () => {
    const dry = await cb('retry-failed', '--dry-run', '--json');
    expect(JSON.parse(dry.out)).toMatchObject({ matched: 4, members: [alice, bob], dryRun: true });
    expect(await statuses()).toEqual(['a1 failed 2', 'b2 failed 2']);
    await expect(cb('retry-failed', '--user', 'alice')).rejects.toThrow(/--user must be a 0x address/);
    await expect(cb('retry-failed', '--since', 'yesterday')).rejects.toThrow(
      /--since must be an ISO 8601 time/,
    );
  });

  test("default: one member's failed events are processed again, and their progress unlocks what they earned", async () => {
    const one = await cb('retry-failed', '--user', alice, '--json');
    expect(one.exitCode).toBeUndefined();
    expect(JSON.parse(one.out)).toMatchObject({ matched: 2, members: [alice], processed: 2, failedAgain: 0 });
    expect(await statuses()).toEqual(['a1 processed 2', 'b2 failed 2']);
    const unlocked = await withDb(
      async (db) =>
        (
          await db.query<{ user_address: string }>(
            `select user_address from ach_unlocks where achievement_id = 'two-pings'`,
          )
        ).rows,
    );
    expect(unlocked).toEqual([{ user_address: alice }]);

    const rest = await cb('retry-failed');
    expect(rest.out).toContain('2 failed event(s) of 1 member(s) retried: 2 processed, 0 failed again');
    expect(await statuses()).toEqual(['a1 processed 2', 'b2 processed 2']);
    expect((await cb('retry-failed')).out).toContain('no failed event matches');
  });
});
