/**
 * CB_BACKUP_SCHEDULE: the scheduled job takes a backup inside the running platform (the embedded
 * database from the process that owns it; PostgreSQL through pg_dump), and keeps the settings
 * snapshot it was given.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabaseTarget } from '../../../test/services.ts';
import { loadConfig } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import { createJobs, type Jobs } from '../../platform/jobs/index.ts';
import { createTestCommon } from '../../platform/jobs/test-support.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { backupJob, registerBackupJob } from './backup-job.ts';
import { configuredBackupKey } from './backups.ts';
import { listBackups } from './store.ts';

describe('scheduled backups', { timeout: 60_000 }, () => {
  const common = createTestCommon({}, true);
  let db: Db;
  let jobs: Jobs;
  let drop: () => Promise<void>;
  let backupDir: string;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    const target = await testDatabaseTarget();
    drop = target.drop;
    backupDir = mkdtempSync(join(tmpdir(), 'cb-scheduled-backups-'));
    config = loadConfig(
      { CB_BACKUP_SCHEDULE: '0 3 * * *' },
      { databaseUrl: target.databaseUrl, dataDir: target.dataDir, backupDir },
    );
    db = await createDb({
      ...target,
      poolMax: 4,
      slowQueryMs: 10_000,
      logger: createSilentLogger(),
      metrics: common.metrics,
    });
    await migrate(db, createSilentLogger());
    jobs = createJobs({ common, db, options: { registerShutdown: false, sampleIntervalMs: 60_000 } });
  });
  afterAll(async () => {
    await jobs?.stop();
    await db?.close();
    await drop?.();
  });

  test('default: unset, nothing is scheduled; set, a run takes a backup of the live database with the settings snapshot', async () => {
    const unset = loadConfig({});
    expect(unset.backupSchedule).toBeUndefined();
    expect(registerBackupJob(jobs, { config: unset, db, logger: common.logger })).toBeUndefined();

    const settings = [{ env: 'CB_BACKUP_SCHEDULE', value: '0 3 * * *', source: 'env' as const }];
    const def = registerBackupJob(jobs, { config, db, logger: common.logger, settings })!;
    expect(def.schedule).toMatchObject({ cron: '0 3 * * *', tz: 'UTC' });
    await jobs.start({ workers: true });
    // What the cron does at 03:00, sent now.
    await jobs.send(def, {});
    let backups = (await listBackups(backupDir)).backups;
    for (let i = 0; i < 200 && backups.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      backups = (await listBackups(backupDir)).backups;
    }
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ driver: config.databaseUrl ? 'pg' : 'pglite', settings });
    expect(backups[0]!.tables['public.cb_migrations']).toBeGreaterThan(0);
    // The line comes after the backup's files are in place: on a loaded machine, a moment later.
    const logged = () =>
      common.lines().some((l) => l.message === 'backup taken' && l.context.backupId === backups[0]!.id);
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(logged()).toBe(true);
    // The database kept serving meanwhile, and still does.
    expect((await db.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  test('error: a bad CB_BACKUP_SCHEDULE stops the boot by name', () => {
    expect(() => loadConfig({ CB_BACKUP_SCHEDULE: 'daily' })).toThrow(
      /CB_BACKUP_SCHEDULE: must be a five-field cron/,
    );
    expect(() => loadConfig({ CB_BACKUP_SCHEDULE: '0 25 * * *' })).toThrow(
      /CB_BACKUP_SCHEDULE: is not a valid cron/,
    );
    expect(backupJob('0 3 * * *').queue).toBe('ops.backup');
  });

  test("error: a backup key file others can read stops the boot, not the night's backup", () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'cb-scheduled-key-')), 'backup.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    chmodSync(keyFile, 0o644);
    const open = loadConfig(
      { CB_BACKUP_SCHEDULE: '0 3 * * *', CB_BACKUP_ENCRYPTION_KEY_FILE: keyFile },
      { backupDir },
    );
    expect(() => registerBackupJob(jobs, { config: open, db, logger: common.logger })).toThrow(
      expect.objectContaining({ code: 'OPS_BACKUP_KEY_INVALID', message: expect.stringContaining(keyFile) }),
    );
    chmodSync(keyFile, 0o600);
    expect(configuredBackupKey(open)?.id).toMatch(/^[0-9a-f]{16}$/);
  });
});
