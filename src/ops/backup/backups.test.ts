/**
 * Backups, restores, checks and drills on the suite's driver: the embedded database (a data
 * directory in a temp dir) in the first pass, PostgreSQL (pg_dump, pg_restore, psql) in the second.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, PG_ADMIN_URL, TEST_DRIVER } from '../../../test/services.ts';
import { loadConfig } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { type BackupConfig, createBackup, restoreBackup, runDrill, verifyBackup } from './backups.ts';
import { restorePostgres } from './postgres.ts';
import { listBackups } from './store.ts';

const logger = createSilentLogger();
const PG = TEST_DRIVER === 'pg';

interface Target {
  config: BackupConfig;
  /** Opens the target's database (close it before a restore into an embedded one). */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

/** A database of the suite's driver, with its own backup directory. */
async function newTarget(backupDir: string, overrides: Partial<BackupConfig> = {}): Promise<Target> {
  const base = loadConfig({}, {});
  const pgDb = PG ? await createTestDatabase() : undefined;
  const config: BackupConfig = {
    backupDir,
    backupKeep: base.backupKeep,
    rtoSeconds: base.rtoSeconds,
    rpoSeconds: base.rpoSeconds,
    databaseUrl: pgDb?.url,
    dataDir: mkdtempSync(join(tmpdir(), 'cb-backup-data-')),
    ...overrides,
  };
  return {
    config,
    open: () =>
      createDb({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        poolMax: 2,
        slowQueryMs: 60_000,
        logger,
        metrics: createMetrics(),
      }),
    drop: async () => pgDb?.drop(),
  };
}

async function addEvents(db: Db, from: number, n: number): Promise<void> {
  await db.query(
    `insert into ach_events (source, external_id, type, user_address, occurred_at, partition, data)
     select 'test', 'e-' || i, 'quest.completed', '0x' || lpad(to_hex(i % 7), 40, '0'), now(), i % 16,
            jsonb_build_object('n', i)
       from generate_series($1::int, $2::int) as i`,
    [from, from + n - 1],
  );
}

async function events(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select external_id || ':' || (data->>'n') as id from ach_events order by seq`,
  );
  return rows.map((r) => r.id);
}

/** Runs `fn` on the target's database, closed after (the embedded one is locked while open). */
async function withDb<T>(target: Target, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await target.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Takes a backup of the target (the embedded database is opened for it, as the CLI does). */
const backUp = (target: Target) =>
  PG ? createBackup(target.config, undefined) : withDb(target, (db) => createBackup(target.config, db));

describe(`backups on ${TEST_DRIVER}`, { timeout: 120_000 }, () => {
  let backupDir: string;
  let source: Target;
  let stored: string[];

  beforeAll(async () => {
    backupDir = mkdtempSync(join(tmpdir(), 'cb-backups-'));
    source = await newTarget(backupDir);
    stored = await withDb(source, async (db) => {
      await migrate(db, logger);
      await addEvents(db, 1, 500);
      return events(db);
    });
  });

  afterAll(async () => {
    await source?.drop();
  });

  test('default: a backup records its file, checksum, rows per table and migration; its check restores it and matches', async () => {
    const { backup } = await backUp(source);
    expect(backup.driver).toBe(PG ? 'pg' : 'pglite');
    expect(backup.tables['public.ach_events']).toBe(500);
    expect(backup.migration).toMatch(/^\d{4}_/);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(backupDir, backup.file))).size).toBe(backup.bytes);
    expect((await readdir(backupDir)).filter((n) => n.endsWith('.partial'))).toEqual([]);

    const databasesBefore = PG ? await scratchDatabases() : [];
    const { verification } = await verifyBackup(source.config, backup.id);
    expect(verification).toMatchObject({ ok: true, problems: [] });
    // The check is kept in the manifest, and its scratch database is gone.
    const listed = (await listBackups(backupDir)).backups.find((b) => b.id === backup.id)!;
    expect(listed.verifications).toHaveLength(1);
    if (PG) expect(await scratchDatabases()).toEqual(databasesBefore);
  });

  test('behavior: a restore into an empty database gives back every row', async () => {
    const target = await newTarget(backupDir);
    try {
      const result = await restoreBackup(target.config, 'latest');
      expect(result.seconds).toBeGreaterThan(0);
      expect(await withDb(target, events)).toEqual(stored);
      // cb runs on it: nothing left to migrate.
      expect((await withDb(target, (db) => migrate(db, logger))).applied).toEqual([]);
    } finally {
      await target.drop();
    }
  });

  test('behavior: a restore refuses a target that holds data; --replace puts the backup in its place', async () => {
    const target = await newTarget(backupDir);
    try {
      await withDb(target, async (db) => {
        await migrate(db, logger);
        await addEvents(db, 10_000, 3);
      });
      await expect(restoreBackup(target.config, 'latest')).rejects.toMatchObject({
        code: 'OPS_RESTORE_TARGET_NOT_EMPTY',
      });
      expect(await withDb(target, events)).toHaveLength(3);

      const result = await restoreBackup(target.config, 'latest', { replace: true });
      expect(await withDb(target, events)).toEqual(stored);
      if (!PG) {
        // The embedded data directory it replaced is kept aside, whole.
        expect(result.movedAside).toMatch(/pg\.replaced-/);
        expect((await readdir(result.movedAside!)).length).toBeGreaterThan(0);
      }
    } finally {
      await target.drop();
    }
  });

  test('error: a damaged backup fails its check, and is never restored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-backups-damaged-'));
    const own = { ...source.config, backupDir: dir };
    const { backup } = await backUp({ ...source, config: own });
    const path = join(dir, backup.file);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);

    const { verification } = await verifyBackup(own, backup.id);
    expect(verification.ok).toBe(false);
    expect(verification.problems.join()).toContain('does not match its manifest');
    const target = await newTarget(dir);
    try {
      await expect(restoreBackup(target.config, backup.id)).rejects.toMatchObject({
        code: 'OPS_BACKUP_CORRUPT',
      });
    } finally {
      await target.drop();
    }
    await expect(verifyBackup(own, 'cb-20200101T000000000Z-0000')).rejects.toMatchObject({
      code: 'OPS_BACKUP_NOT_FOUND',
    });
  });

  test('behavior: creating a backup prunes to the newest CB_BACKUP_KEEP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-backups-keep-'));
    const own = { ...source.config, backupDir: dir, backupKeep: 2 };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { backup, pruned } = await backUp({ ...source, config: own });
      ids.push(backup.id);
      expect(pruned).toEqual(i === 2 ? [ids[0]] : []);
    }
    expect((await listBackups(dir)).backups.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    expect((await readdir(dir)).some((n) => n.startsWith(ids[0]!))).toBe(false);
  });

  test('behavior: a drill restores the newest backup into a scratch target, checks and starts cb on it, and reports against RTO and RPO', async () => {
    const databasesBefore = PG ? await scratchDatabases() : [];
    const steps: string[] = [];
    const report = await runDrill(source.config, undefined, { logger, onStep: (s) => steps.push(s.step) });
    expect(steps).toEqual(['restore', 'verify', 'start']);
    expect(report.steps.every((s) => s.ok)).toBe(true);
    expect(report.steps.find((s) => s.step === 'verify')!.detail).toContain('rows as in the manifest');
    expect(report).toMatchObject({ scenario: 'database-lost', rtoMet: true, rpoMet: true, ok: true });
    expect(report.recoverySeconds).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(report.file, 'utf8'))).toMatchObject({ id: report.id, ok: true });
    if (PG) expect(await scratchDatabases()).toEqual(databasesBefore);

    // Slower than the RTO, or from a backup older than the RPO: failed, with the reason.
    const slow = await runDrill({ ...source.config, rtoSeconds: 0.001 }, undefined, { logger });
    expect(slow).toMatchObject({ rtoMet: false, rpoMet: true, ok: false });
    const later = new Date(Date.now() + (source.config.rpoSeconds + 60) * 1000);
    const stale = await runDrill(source.config, undefined, { logger, now: () => later });
    expect(stale).toMatchObject({ rtoMet: true, rpoMet: false, ok: false });
    expect(stale.backup.ageSeconds).toBeGreaterThan(source.config.rpoSeconds);
  });

  test.runIf(PG)(
    'behavior: rows written during a backup are in it or not, never half: its check still matches',
    async () => {
      const writer = new pg.Client({ connectionString: source.config.databaseUrl });
      await writer.connect();
      let stop = false;
      let i = 100_000;
      const writing = (async () => {
        while (!stop) {
          await writer.query(
            `insert into ach_events (source, external_id, type, user_address, occurred_at, partition)
           values ('test', $1, 'quest.completed', '0x0000000000000000000000000000000000000001', now(), 1)`,
            [`w-${i++}`],
          );
        }
      })();
      try {
        const { backup } = await createBackup({ ...source.config, backupKeep: 0 }, undefined);
        stop = true;
        await writing;
        expect(i).toBeGreaterThan(100_000);
        expect((await verifyBackup(source.config, backup.id)).verification).toMatchObject({ ok: true });
      } finally {
        stop = true;
        await writing.catch(() => {});
        await writer.end();
      }
    },
  );

  test('error: a drill with no backup to recover from fails, with a report', async () => {
    const empty = { ...source.config, backupDir: mkdtempSync(join(tmpdir(), 'cb-backups-none-')) };
    const report = await runDrill(empty, undefined, { logger });
    expect(report).toMatchObject({ ok: false, rpoMet: false });
    expect(report.steps).toEqual([expect.objectContaining({ step: 'restore', ok: false })]);
    expect(report.steps[0]!.detail).toContain('no backup');
    expect(JSON.parse(readFileSync(report.file, 'utf8'))).toMatchObject({ ok: false });
  });

  test.runIf(PG)(
    'error: an aborted backup (the job expired, a shutdown) stops and leaves nothing behind',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cb-backups-aborted-'));
      const controller = new AbortController();
      controller.abort(new Error('job expired'));
      await expect(
        createBackup({ ...source.config, backupDir: dir }, undefined, { signal: controller.signal }),
      ).rejects.toThrow('job expired');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  test.runIf(PG)('error: a target holding only a schema of its own is not taken for empty', async () => {
    const target = await newTarget(backupDir);
    try {
      await withDb(target, (db) => db.query('create schema other_app'));
      await expect(restoreBackup(target.config, 'latest')).rejects.toMatchObject({
        code: 'OPS_RESTORE_TARGET_NOT_EMPTY',
        message: expect.stringContaining('other_app'),
      });
    } finally {
      await target.drop();
    }
  });

  test.runIf(PG)('error: a restore that fails midway leaves the target as it was', async () => {
    const { backup } = await createBackup({ ...source.config, backupKeep: 0 }, undefined);
    const truncated = join(mkdtempSync(join(tmpdir(), 'cb-truncated-')), 'half.dump');
    const bytes = readFileSync(join(backupDir, backup.file));
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    const target = await newTarget(backupDir);
    try {
      await withDb(target, async (db) => {
        await migrate(db, logger);
        await addEvents(db, 20_000, 2);
      });
      await expect(
        restorePostgres(truncated, target.config.databaseUrl!, { replace: true }),
      ).rejects.toMatchObject({ code: 'OPS_RESTORE_FAILED' });
      expect(await withDb(target, events)).toEqual(['e-20000:20000', 'e-20001:20001']);
    } finally {
      await target.drop();
    }
  });
});

async function scratchDatabases(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like 'cb\\_restore\\_check\\_%' order by 1`,
    );
    return rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
}
