import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createTestDatabase, TEST_DRIVER } from '../../test/services.ts';
import { importCatalogue, ingestEvents } from '../achievements/index.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { registerEvents } from './events.ts';

const alice = '0x00000000000000000000000000000000000000a1';
const bob = '0x00000000000000000000000000000000000000b2';
let target: { databaseUrl: string | undefined; dataDir: string; drop: () => Promise<void> };
const savedEnv = { ...process.env };

/** The command's database, opened here (the embedded one is locked while open: close before a command runs). */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const quiet = createSilentLogger();
  const db = await createDb({
    ...target,
    poolMax: 2,
    slowQueryMs: 10_000,
    logger: quiet,
    metrics: createMetrics(),
  });
  try {
    await migrate(db, quiet);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Runs `cb events <args>` in-process; returns stdout and the exit code set. */
async function cb(...args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
  const program = new Command('cb')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerEvents(program);
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'cb', 'events', ...args]);
  } finally {
    o.mockRestore();
  }
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out, exitCode };
}

const statuses = () =>
  withDb(async (db) => {
    const { rows } = await db.query<{ user_address: string; status: string; n: string }>(
      `select user_address, status, count(*)::text as n from ach_events group by 1, 2 order by 1, 2`,
    );
    return rows.map((r) => `${r.user_address.slice(-2)} ${r.status} ${r.n}`);
  });

beforeAll(async () => {
  if (TEST_DRIVER === 'pg') {
    const d = await createTestDatabase();
    target = { databaseUrl: d.url, dataDir: 'memory://', drop: d.drop };
    process.env.DATABASE_URL = d.url;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'cb-events-cli-'));
    target = {
      databaseUrl: undefined,
      dataDir: dir,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
    process.env.CB_DATA_DIR = dir;
    delete process.env.DATABASE_URL;
  }
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
