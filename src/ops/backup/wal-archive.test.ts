import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  postgresServerBinaries,
  type ScratchPostgres,
  startScratchPostgres,
  TEST_DRIVER,
} from '../../../test/services.ts';
import { until } from '../../../test/until.ts';
import { registerBackup } from '../../cli/backup.ts';
import { runCliInProcess } from '../../cli/test-support.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics, type Metrics } from '../../platform/metrics.ts';
import type { BackupsView } from './backups-shape.ts';
import { backupRoutes } from './routes.ts';
import { sampleWalArchive } from './sampler.ts';
import { readWalArchive, type WalArchiveStatus, walArchiveView } from './wal-archive.ts';

const logger = createSilentLogger();
const CB_BIN = join(import.meta.dirname, '../../../bin/cb.js');

const value = async (metrics: Metrics, name: string) => {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as { value: number }[] | undefined)?.[0]?.value;
};

const status = (over: Partial<WalArchiveStatus>): WalArchiveStatus => ({
  mode: 'on',
  archiving: true,
  timeoutSeconds: 300,
  archivedCount: 10,
  lastArchivedWal: '00000001000000000000000A',
  lastArchivedAt: new Date('2026-11-28T10:00:00Z'),
  failedCount: 0,
  lastFailedWal: null,
  lastFailedAt: null,
  statsResetAt: new Date('2026-11-01T00:00:00Z'),
  ...over,
});

describe('WAL archive view', () => {
  const now = new Date('2026-11-28T10:20:00Z');

  test('default: archiving, keeping up, archive_timeout within the maximum age: ok, no problem', () => {
    const v = walArchiveView(status({}), 3600, now);
    expect(v).toMatchObject({ ok: true, problems: [], ageSeconds: 1200, failing: false });
    expect(v.archivedThrough).toBe('2026-11-28T10:00:00.000Z');
  });

  test('behavior: archive_mode off is the one problem, whatever the statistics say', () => {
    const v = walArchiveView(status({ mode: 'off', archiving: false, timeoutSeconds: 0 }), 3600, now);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.stringContaining('archive_mode is off')]);
    expect(v).toMatchObject({ archivedThrough: null, ageSeconds: null });
  });

  test('behavior: a failure after the last success is failing; one before it is not', () => {
    const failing = walArchiveView(
      status({
        failedCount: 3,
        lastFailedWal: '00000001000000000000000B',
        lastFailedAt: new Date('2026-11-28T10:05:00Z'),
      }),
      3600,
      now,
    );
    expect(failing.failing).toBe(true);
    expect(failing.problems).toEqual([expect.stringContaining('00000001000000000000000B')]);
    const recovered = walArchiveView(
      status({ failedCount: 3, lastFailedAt: new Date('2026-11-28T09:00:00Z') }),
      3600,
      now,
    );
    expect(recovered).toMatchObject({ failing: false, ok: true });
  });

  test('edge: nothing archived since the statistics were reset: the age runs from the reset', () => {
    const v = walArchiveView(
      status({ lastArchivedAt: null, lastArchivedWal: null, statsResetAt: new Date('2026-11-28T08:00:00Z') }),
      3600,
      now,
    );
    expect(v.ageSeconds).toBe(8400);
    expect(v.problems).toEqual([expect.stringContaining('older than 3600 s')]);
  });

  test('edge: archive_timeout off or longer than the maximum age is a problem of its own', () => {
    expect(walArchiveView(status({ timeoutSeconds: 0 }), 3600, now).problems).toEqual([
      expect.stringContaining('archive_timeout is off'),
    ]);
    expect(walArchiveView(status({ timeoutSeconds: 7200 }), 3600, now).problems).toEqual([
      expect.stringContaining('archive_timeout (7200 s) is longer'),
    ]);
  });
});

describe.runIf(TEST_DRIVER === 'pglite')('WAL archive on the embedded database', () => {
  test('error: cb backup wal says the embedded database has none, and what gives its RPO', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      await expect(runCliInProcess(registerBackup, ['backup', 'wal'])).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining('the embedded database has no WAL archive'),
      });
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  test('default: there is none: null, and the gauges say not archiving', async () => {
    const metrics = createMetrics();
    const db = await createDb({ dataDir: 'memory://', poolMax: 1, slowQueryMs: 5000, logger, metrics });
    try {
      expect(await readWalArchive(db)).toBeNull();
      await sampleWalArchive(db, metrics, 3600);
      expect(await value(metrics, 'cb_backup_wal_archiving')).toBe(0);
      expect(await value(metrics, 'cb_backup_wal_last_archived_timestamp_seconds')).toBe(0);
      expect(await value(metrics, 'cb_backup_wal_max_age_seconds')).toBe(3600);
    } finally {
      await db.close();
    }
  });
});

/**
 * A PostgreSQL server of the test's own: archive_mode needs a restart and archive_command is
 * server-wide, so the shared test server is not touched. Its archiver starts failing (`false`), is
 * mended (`cp` into a directory of its own), then archiving is turned off.
 */
describe.runIf(TEST_DRIVER === 'pg')('WAL archive on a real PostgreSQL server', () => {
  let server: ScratchPostgres | undefined;
  let db: Db;
  const metrics = createMetrics();

  beforeAll(async () => {
    const bin = await postgresServerBinaries();
    if (!bin) return; // outside CI without the server's programs: the tests below say so
    server = await startScratchPostgres(bin, {
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: 'false',
      archive_timeout: '0',
    });
    db = await createDb({
      databaseUrl: server.url,
      dataDir: 'memory://',
      poolMax: 2,
      slowQueryMs: 5000,
      logger,
      metrics,
    });
  });

  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  /** `cb backup wal` against the scratch server, as its own process (the backup commands exit it). */
  const cli = (...args: string[]) =>
    new Promise<{ out: string; err: string; exitCode: number | null }>((resolve) => {
      execFile(
        process.execPath,
        [CB_BIN, 'backup', 'wal', ...args],
        { env: { ...process.env, DATABASE_URL: server?.url, CB_LOG_LEVEL: 'warn' } },
        (error, out, err) => resolve({ out, err, exitCode: error ? (error.code as number) : 0 }),
      );
    });

  /** Writes a little WAL and closes the segment, so the archiver is handed one. */
  const switchSegment = async () => {
    await db.query('create table if not exists wal_test (x int)');
    await db.query('insert into wal_test values (1)');
    await db.query('select pg_switch_wal()');
  };

  const routeView = async (): Promise<BackupsView> => {
    const app = Fastify();
    await app.register(
      backupRoutes({
        config: {
          backupDir: '/nonexistent',
          dataDir: '.',
          rpoSeconds: 93_600,
          rtoSeconds: 3600,
          walArchiveMaxAgeSeconds: 3600,
        },
        db,
      }),
    );
    const reply = await app.inject({ method: 'GET', url: '/v1/ops/backups' });
    await app.close();
    expect(reply.statusCode).toBe(200);
    return reply.json<BackupsView>();
  };

  test('behavior: a failing archive_command reads as failing, on the gauges and in the API', async () => {
    if (!server) throw new Error('PostgreSQL server programs not found (/usr/lib/postgresql/*/bin)');
    await switchSegment();
    await until(async () => ((await readWalArchive(db))?.failedCount ?? 0) > 0, 15_000, 100);
    const s = await readWalArchive(db);
    expect(s).toMatchObject({
      mode: 'on',
      archiving: true,
      timeoutSeconds: 0,
      archivedCount: 0,
      lastArchivedAt: null,
    });
    expect(s?.lastFailedWal).toMatch(/^[0-9A-F]{24}$/);

    await sampleWalArchive(db, metrics, 3600);
    expect(await value(metrics, 'cb_backup_wal_archiving')).toBe(1);
    const failed = (await value(metrics, 'cb_backup_wal_last_failed_timestamp_seconds')) ?? 0;
    const archived = (await value(metrics, 'cb_backup_wal_last_archived_timestamp_seconds')) ?? 0;
    // Nothing archived yet: the statistics' reset (the cluster's creation) stands in, before the failure.
    expect(archived).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(archived);

    const view = await routeView();
    expect(view.walError).toBeNull();
    expect(view.wal).toMatchObject({ archiving: true, failing: true, ok: false });
    expect(view.wal?.problems).toEqual([
      expect.stringContaining('Archiving fails'),
      expect.stringContaining('archive_timeout is off'),
    ]);

    const run = await cli();
    expect(run.exitCode).toBe(3);
    expect(run.out).toContain('WAL archive: PROBLEMS');
    expect(run.out).toContain('- Archiving fails');
    expect(run.out).toMatch(/last failed\s+[0-9A-F]{24}, /);
  });

  test('behavior: mended, the next segment is archived and the failure is history; archive_timeout set, all is well', async () => {
    if (!server) throw new Error('PostgreSQL server programs not found (/usr/lib/postgresql/*/bin)');
    const archive = `${server.dir}/archive`;
    await server.exec(`alter system set archive_command = 'mkdir -p ${archive} && cp %p ${archive}/%f'`);
    await server.exec('select pg_reload_conf()');
    // The archiver retries at once only when handed a new segment; the reload alone may wait a minute.
    await until(
      async () => {
        await switchSegment();
        return ((await readWalArchive(db))?.archivedCount ?? 0) > 0;
      },
      20_000,
      500,
    );
    const s = await readWalArchive(db);
    expect(s?.lastArchivedWal).toMatch(/^[0-9A-F]{24}$/);
    await sampleWalArchive(db, metrics, 600);
    expect(await value(metrics, 'cb_backup_wal_last_archived_timestamp_seconds')).toBeGreaterThan(
      (await value(metrics, 'cb_backup_wal_last_failed_timestamp_seconds')) ?? 0,
    );
    expect(await value(metrics, 'cb_backup_wal_max_age_seconds')).toBe(600);
    expect((await routeView()).wal).toMatchObject({
      failing: false,
      ok: false,
      problems: [expect.stringContaining('archive_timeout is off')],
    });

    await server.exec(`alter system set archive_timeout = '5min'`);
    await server.exec('select pg_reload_conf()');
    await until(async () => (await readWalArchive(db))?.timeoutSeconds === 300, 10_000, 100);
    expect((await routeView()).wal).toMatchObject({ ok: true, problems: [], timeoutSeconds: 300 });
    const run = await cli('--json');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      ok: true,
      archiving: true,
      failing: false,
      timeoutSeconds: 300,
    });
    expect((await cli()).out).toContain('WAL archive: ok');
  });

  test('behavior: archive_mode off after a restart: not archiving, on the gauges and in the API', async () => {
    if (!server) throw new Error('PostgreSQL server programs not found (/usr/lib/postgresql/*/bin)');
    await server.exec('alter system set archive_mode = off');
    await server.restart();
    await until(
      async () => (await readWalArchive(db).catch(() => undefined))?.archiving === false,
      15_000,
      100,
    );
    await sampleWalArchive(db, metrics, 3600);
    expect(await value(metrics, 'cb_backup_wal_archiving')).toBe(0);
    expect((await routeView()).wal).toMatchObject({ mode: 'off', archiving: false, ok: false });
  });
});
