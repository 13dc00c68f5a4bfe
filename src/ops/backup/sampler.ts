/**
 * The backup gauges (`cb_backup_*`): every `intervalMs` each cb process reads the backup directory
 * it sees — the newest complete backup, the newest drill report — and exports the configured RPO and
 * RTO beside them, so the alert rules compare with the settings rather than a copy of them. A
 * process that sees no backup exports 0 (the rules take the max over instances).
 *
 * With a database given, it also reads PostgreSQL's WAL archive (wal-archive.ts: `cb_backup_wal_*`),
 * on its own: an unreadable backup directory does not stop it, nor the reverse. A failed read keeps
 * the last values (DatabaseDown is the alert then) and is logged once until it recovers.
 */
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type BackupConfig, backupDirOf } from './backups.ts';
import { listBackups, newestDrill } from './store.ts';
import { archivedThrough, readWalArchive } from './wal-archive.ts';

export interface BackupSamplerOptions {
  config: Pick<BackupConfig, 'backupDir' | 'dataDir' | 'rpoSeconds' | 'rtoSeconds'> &
    Pick<Config, 'walArchiveMaxAgeSeconds'>;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
  /** The database whose WAL archive is watched; without it the cb_backup_wal_* gauges stay unset. */
  db?: Db | undefined;
}

/** One reading of PostgreSQL's WAL archive into the gauges (archiving 0 on the embedded database). */
export async function sampleWalArchive(db: Db, metrics: Metrics, maxAgeSeconds: number): Promise<void> {
  metrics.walMaxAge.set(maxAgeSeconds);
  const wal = await readWalArchive(db);
  metrics.walArchiving.set(wal?.archiving ? 1 : 0);
  const through = wal ? archivedThrough(wal) : null;
  metrics.walLastArchived.set(through ? through.getTime() / 1000 : 0);
  metrics.walLastFailed.set(wal?.lastFailedAt ? wal.lastFailedAt.getTime() / 1000 : 0);
}

/** One reading of the backup directory into the gauges. */
export async function sampleBackups(options: {
  config: Pick<BackupConfig, 'backupDir' | 'dataDir' | 'rpoSeconds' | 'rtoSeconds'>;
  metrics: Metrics;
}): Promise<void> {
  const { config, metrics } = options;
  const dir = backupDirOf(config);
  metrics.backupRpo.set(config.rpoSeconds);
  metrics.backupRto.set(config.rtoSeconds);
  const newest = (await listBackups(dir)).backups[0];
  metrics.backupLastSuccess.set(newest ? Date.parse(newest.finishedAt) / 1000 : 0);
  metrics.backupLastSize.set(newest?.bytes ?? 0);
  const drill = await newestDrill(dir);
  metrics.drillLast.set(drill ? Date.parse(drill.at) / 1000 : 0);
  metrics.drillPassed.set(drill?.ok ? 1 : 0);
  metrics.drillRecovery.set(drill?.recoverySeconds ?? 0);
}

/** Starts sampling now and every `intervalMs`; returns the stop function. */
export function startBackupSampler(options: BackupSamplerOptions): () => void {
  const { db } = options;
  let walFailing = false;
  const sampleWal = async () => {
    if (!db) return;
    try {
      await sampleWalArchive(db, options.metrics, options.config.walArchiveMaxAgeSeconds);
      if (walFailing) options.logger.info('WAL archive sampling recovered');
      walFailing = false;
    } catch (err) {
      if (!walFailing) options.logger.warn('WAL archive sampling failed', { err });
      walFailing = true;
    }
  };
  const sample = () =>
    Promise.all([
      sampleBackups(options).catch((err: unknown) =>
        options.logger.warn('backup directory unreadable', { err }),
      ),
      sampleWal(),
    ]);
  void sample();
  const timer = setInterval(sample, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
