/**
 * Automatic backups (CB_BACKUP_SCHEDULE): a cron-scheduled job `ops.backup`, run by one worker
 * (pg-boss fires a schedule once across instances), doing what `cb backup create` does — PostgreSQL
 * through pg_dump on the worker's host; the embedded database from inside the process that owns it
 * (PGlite's copy, taken between transactions, so `cb start` keeps serving). A failure is retried
 * twice, five minutes apart, then dead-lettered: DeadLetterQueueNotEmpty fires, and BackupTooOld
 * once the RPO passes. The job's expiry (6 h) or a shutdown aborts it: pg_dump is killed and its
 * partial file removed, so a retry never runs beside a forgotten dump. With
 * CB_BACKUP_ENCRYPTION_KEY_FILE the key file is checked at registration: a key the backups cannot
 * use stops `cb start` now, not the night's backup.
 */
import { Type } from 'typebox';
import type { SettingSnapshot } from '../../platform/config.ts';
import type { Db } from '../../platform/db/create-db.ts';
import { defineJob, type Jobs } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { type BackupConfig, configuredBackupKey, createBackup } from './backups.ts';

export function backupJob(cron: string) {
  return defineJob({
    queue: 'ops.backup',
    payload: Type.Object({}),
    retryLimit: 2,
    retryDelaySeconds: 300,
    retryBackoff: false,
    expireInSeconds: 6 * 3600,
    schedule: { cron, tz: 'UTC', payload: {} },
  });
}

export interface BackupJobDeps {
  config: BackupConfig & { backupSchedule: string | undefined };
  db: Db;
  logger: Logger;
  /** The settings snapshot kept in each manifest. */
  settings?: SettingSnapshot[] | undefined;
}

/** Registers the scheduled backup when CB_BACKUP_SCHEDULE is set (before `jobs.start()`); returns its definition. */
export function registerBackupJob(jobs: Jobs, deps: BackupJobDeps): ReturnType<typeof backupJob> | undefined {
  if (!deps.config.backupSchedule) {
    // Unset: a schedule saved while it was set must stop firing.
    jobs.unschedule('ops.backup');
    return undefined;
  }
  configuredBackupKey(deps.config); // throws OPS_BACKUP_KEY_INVALID
  const def = backupJob(deps.config.backupSchedule);
  jobs.register(def, async (job) => {
    const { backup, pruned } = await createBackup(
      deps.config,
      deps.config.databaseUrl ? undefined : deps.db,
      {
        settings: deps.settings,
        signal: job.signal,
      },
    );
    deps.logger.info('backup taken', {
      context: { backupId: backup.id, file: backup.file, pruned },
      metrics: { bytes: backup.bytes, durationMs: Math.round(backup.seconds * 1000) },
    });
  });
  return def;
}
