/**
 * The backup gauges (`cb_backup_*`): every `intervalMs` each cb process reads the backup directory
 * it sees — the newest complete backup, the newest drill report — and exports the configured RPO and
 * RTO beside them, so the alert rules compare with the settings rather than a copy of them. A
 * process that sees no backup exports 0 (the rules take the max over instances).
 */
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type BackupConfig, backupDirOf } from './backups.ts';
import { listBackups, newestDrill } from './store.ts';

export interface BackupSamplerOptions {
  config: Pick<BackupConfig, 'backupDir' | 'dataDir' | 'rpoSeconds' | 'rtoSeconds'>;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
}

/** One reading of the backup directory into the gauges. */
export async function sampleBackups(
  options: Omit<BackupSamplerOptions, 'intervalMs' | 'logger'>,
): Promise<void> {
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
  const sample = () =>
    sampleBackups(options).catch((err: unknown) =>
      options.logger.warn('backup directory unreadable', { err }),
    );
  void sample();
  const timer = setInterval(sample, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
