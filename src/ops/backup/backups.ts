/**
 * Backups, restore checks and recovery drills (seed 5.3: 灾难恢复) over either database:
 *
 * - {@link createBackup}: a full, consistent backup (PostgreSQL: pg_dump of one snapshot; embedded:
 *   the data directory's tarball) with a manifest (size, SHA-256, rows per table, newest migration),
 *   then the old ones pruned to CB_BACKUP_KEEP.
 * - {@link verifyBackup}: the file against its manifest, then a real restore into a scratch database
 *   (PostgreSQL: a new database on the same server, dropped after; embedded: in memory) whose rows
 *   per table and migration must equal the manifest's. The result is appended to the manifest.
 * - {@link restoreBackup}: into the configured database, all or nothing; refuses one that holds data
 *   unless `replace`.
 * - {@link runDrill}: what a database-loss recovery would do, timed step by step — restore the
 *   newest backup into a scratch target, check it, start cb's database layer on it (migrations,
 *   a progress reconciliation sample) — and compared with the RTO and RPO; the report is kept in
 *   `drills/`.
 *
 * With CB_BACKUP_ENCRYPTION_KEY_FILE each new backup's file is encrypted (AES-256-GCM in
 * authenticated 64 KiB records, encryption.ts) as it is written; checks, restores and drills
 * decrypt it with that key, and refuse a backup of another key (its manifest names the key's id) or
 * a file that fails authentication before anything is committed. Unencrypted backups still restore.
 *
 * Not built: incremental backups and point-in-time recovery. On PostgreSQL they are WAL archiving's
 * (e.g. pgBackRest); docs/operations.md says how to pair it with these full backups.
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config, SettingSnapshot } from '../../platform/config.ts';
import { createDb, type Db } from '../../platform/db/create-db.ts';
import { migrate } from '../../platform/db/migrate.ts';
import type { Logger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { type BackupKey, readBackupKey } from './backup-key.ts';
import { compareCounts, type DatabaseFacts, databaseFacts, tableCounts } from './database-facts.ts';
import { dumpEmbedded, embeddedFacts, openEmbeddedCopy, restoreEmbedded } from './embedded.ts';
import { BackupError } from './errors.ts';
import {
  createScratchDatabase,
  databaseName,
  dropStaleScratch,
  dumpPostgres,
  restorePostgres,
  scratchName,
  withClient,
} from './postgres.ts';
import {
  type BackupManifest,
  type BackupVerification,
  backupFileName,
  checkBackupFile,
  ensureDir,
  fileDigest,
  findBackup,
  newBackupId,
  pruneBackups,
  recordVerification,
  syncFile,
  writeAtomically,
  writeManifest,
} from './store.ts';

export type BackupConfig = Pick<
  Config,
  'backupDir' | 'backupKeep' | 'databaseUrl' | 'dataDir' | 'rtoSeconds' | 'rpoSeconds'
> &
  Partial<Pick<Config, 'backupEncryptionKeyFile'>>;

/** The backup directory: CB_BACKUP_DIR, else `<CB_DATA_DIR>/backups`. */
export function backupDirOf(config: Pick<Config, 'backupDir' | 'dataDir'>): string {
  return resolve(config.backupDir ?? join(config.dataDir, 'backups'));
}

const seconds = (t0: number) => Math.round(performance.now() - t0) / 1000;

/** The configured encryption key (read and checked now), or undefined when none is set. */
export function configuredBackupKey(
  config: Pick<BackupConfig, 'backupEncryptionKeyFile'>,
): BackupKey | undefined {
  return config.backupEncryptionKeyFile ? readBackupKey(config.backupEncryptionKeyFile) : undefined;
}

/**
 * The key to read `manifest`'s file with: none for an unencrypted backup; else the configured key,
 * which must be the one it was encrypted with.
 */
function keyFor(config: BackupConfig, manifest: BackupManifest): BackupKey | undefined {
  if (manifest.encrypted !== true) return undefined;
  if (!config.backupEncryptionKeyFile)
    throw new BackupError(
      'OPS_BACKUP_KEY_MISSING',
      `${manifest.id} is encrypted (key ${manifest.keyId}) and no key is configured: set CB_BACKUP_ENCRYPTION_KEY_FILE to the file of that key`,
    );
  const key = readBackupKey(config.backupEncryptionKeyFile);
  if (key.id !== manifest.keyId)
    throw new BackupError(
      'OPS_BACKUP_KEY_MISMATCH',
      `${manifest.id} was encrypted with key ${manifest.keyId}; CB_BACKUP_ENCRYPTION_KEY_FILE holds key ${key.id}: point it at the key the backup was taken with (after a rotation, the old key: docs/operations.md)`,
    );
  return key;
}

export interface CreateBackupResult {
  backup: BackupManifest;
  /** Older backups deleted to keep CB_BACKUP_KEEP. */
  pruned: string[];
}

/**
 * A full backup of the configured database. `db` is the open embedded database (PostgreSQL is
 * dumped through its URL instead).
 */
export async function createBackup(
  config: BackupConfig,
  db: Db | undefined,
  options: {
    now?: () => Date;
    settings?: SettingSnapshot[] | undefined;
    /** Stops pg_dump (the scheduled job's expiry or a shutdown); the embedded copy runs to its end. */
    signal?: AbortSignal | undefined;
  } = {},
): Promise<CreateBackupResult> {
  const now = options.now ?? (() => new Date());
  const dir = backupDirOf(config);
  await ensureDir(dir);
  const started = now();
  const t0 = performance.now();
  const driver = config.databaseUrl ? 'pg' : 'pglite';
  const key = configuredBackupKey(config);
  const id = newBackupId(started);
  const name = backupFileName(id, driver, key !== undefined);
  const file = join(dir, name);
  let facts: DatabaseFacts;
  if (config.databaseUrl) {
    const partial = `${file}.partial-${process.pid}`;
    facts = await dumpPostgres(config.databaseUrl, partial, { signal: options.signal, key });
    await syncFile(partial);
    await rename(partial, file);
  } else {
    if (!db?.dumpDataDir) throw new Error('createBackup: the embedded database must be open');
    facts = await dumpEmbedded(db, file, key);
  }
  // Of the file as stored (encrypted or not): what a copy off the host can be checked against.
  const digest = await fileDigest(file);
  const backup: BackupManifest = {
    format: 1,
    id,
    driver,
    file: name,
    ...digest,
    encrypted: key !== undefined,
    ...(key ? { keyId: key.id } : {}),
    startedAt: started.toISOString(),
    finishedAt: now().toISOString(),
    seconds: seconds(t0),
    server: facts.server,
    database: config.databaseUrl ? databaseName(config.databaseUrl) : resolve(config.dataDir),
    migration: facts.migration,
    tables: facts.tables,
    verifications: [],
    ...(options.settings ? { settings: options.settings } : {}),
  };
  await writeManifest(dir, backup);
  return { backup, pruned: await pruneBackups(dir, config.backupKeep) };
}

/** Where a restore check puts its copy: a scratch PostgreSQL database, or none (embedded: memory). */
export interface VerifyOptions {
  /** An empty PostgreSQL database to restore into (kept); default: a new one next to DATABASE_URL. */
  scratchUrl?: string | undefined;
  now?: (() => Date) | undefined;
}

/** Restores `id` (or `latest`) into a scratch target and compares it with its manifest. */
export async function verifyBackup(
  config: BackupConfig,
  id: string,
  options: VerifyOptions = {},
): Promise<{ backup: BackupManifest; verification: BackupVerification }> {
  const dir = backupDirOf(config);
  const manifest = await findBackup(dir, id);
  const at = (options.now ?? (() => new Date()))().toISOString();
  const t0 = performance.now();
  // No key, or another one: thrown, like a missing tool (the backup may be fine).
  const key = keyFor(config, manifest);
  let problems: string[];
  try {
    const path = await checkBackupFile(dir, manifest);
    problems = await restoreAndCompare(config, manifest, path, options.scratchUrl, key);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // A file that does not match, fails authentication or does not restore is a finding, kept in the
    // manifest; a missing tool or an unreachable server is not (the backup may be fine): thrown.
    if (code !== 'OPS_BACKUP_CORRUPT' && code !== 'OPS_BACKUP_AUTH_FAILED' && code !== 'OPS_RESTORE_FAILED')
      throw err;
    problems = [(err as Error).message];
  }
  const verification = { at, ok: problems.length === 0, seconds: seconds(t0), problems };
  return { backup: await recordVerification(dir, manifest, verification), verification };
}

async function restoreAndCompare(
  config: BackupConfig,
  manifest: BackupManifest,
  path: string,
  scratchUrl: string | undefined,
  key: BackupKey | undefined,
): Promise<string[]> {
  let actual: { tables: Record<string, number>; migration: string | null };
  if (manifest.driver === 'pglite') {
    const copy = await openEmbeddedCopy(path, key);
    try {
      actual = await embeddedFacts(copy);
    } finally {
      await copy.close();
    }
  } else {
    const scratch = await scratchDatabase(config, scratchUrl);
    try {
      await restorePostgres(path, scratch.url, { key });
      actual = await withClient(scratch.url, databaseFacts);
    } finally {
      await scratch.drop();
    }
  }
  const problems = compareCounts(manifest.tables, actual.tables);
  if (actual.migration !== manifest.migration)
    problems.push(
      `newest migration ${actual.migration ?? 'none'}, backup had ${manifest.migration ?? 'none'}`,
    );
  return problems;
}

async function scratchDatabase(
  config: BackupConfig,
  scratchUrl: string | undefined,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (scratchUrl) return { url: scratchUrl, drop: async () => {} };
  if (!config.databaseUrl)
    throw new BackupError(
      'OPS_BACKUP_DRIVER_MISMATCH',
      'checking a PostgreSQL backup needs a PostgreSQL server: set DATABASE_URL, or pass --scratch-url',
    );
  await dropStaleScratch(config.databaseUrl);
  return createScratchDatabase(config.databaseUrl, scratchName());
}

export interface RestoreBackupResult {
  backup: BackupManifest;
  target: string;
  seconds: number;
  movedAside?: string | undefined;
}

/** Restores `id` (or `latest`) into the configured database (cb must be stopped on it). */
export async function restoreBackup(
  config: BackupConfig,
  id: string,
  options: { replace?: boolean | undefined; targetUrl?: string | undefined } = {},
): Promise<RestoreBackupResult> {
  const dir = backupDirOf(config);
  const backup = await findBackup(dir, id);
  const key = keyFor(config, backup);
  const path = await checkBackupFile(dir, backup);
  const t0 = performance.now();
  const targetUrl = options.targetUrl ?? config.databaseUrl;
  if (backup.driver === 'pg') {
    if (!targetUrl)
      throw new BackupError(
        'OPS_BACKUP_DRIVER_MISMATCH',
        `${backup.id} is a PostgreSQL backup: set DATABASE_URL (or pass --to) to restore it`,
      );
    await restorePostgres(path, targetUrl, { replace: options.replace, key });
    return { backup, target: databaseName(targetUrl), seconds: seconds(t0) };
  }
  if (targetUrl)
    throw new BackupError(
      'OPS_BACKUP_DRIVER_MISMATCH',
      `${backup.id} is an embedded database backup: it restores into a data directory (unset DATABASE_URL)`,
    );
  const { movedAside } = await restoreEmbedded(path, config.dataDir, { replace: options.replace, key });
  return { backup, target: resolve(config.dataDir), seconds: seconds(t0), movedAside };
}

export interface DrillStep {
  step: 'backup' | 'restore' | 'verify' | 'start';
  seconds: number;
  ok: boolean;
  detail: string;
}

export interface DrillReport {
  id: string;
  at: string;
  scenario: 'database-lost';
  backup: { id: string; finishedAt: string; ageSeconds: number; bytes: number };
  steps: DrillStep[];
  /** restore + verify + start: how long the service would have been without its database. */
  recoverySeconds: number;
  rtoSeconds: number;
  rpoSeconds: number;
  rtoMet: boolean;
  rpoMet: boolean;
  ok: boolean;
  /** Where the report was written. */
  file: string;
}

export interface DrillOptions {
  /** Take a new backup first (timed) instead of using the newest one. @defaultValue false */
  fresh?: boolean | undefined;
  /** The backup to recover from. @defaultValue 'latest' */
  backupId?: string | undefined;
  /** An empty PostgreSQL database to recover into (kept); default: a scratch one, dropped. */
  scratchUrl?: string | undefined;
  logger: Logger;
  now?: (() => Date) | undefined;
  /** Called as each step ends (progress). */
  onStep?: ((step: DrillStep) => void) | undefined;
}

/**
 * A recovery drill for the loss of the database: the steps an operator would take, timed, and the
 * result against CB_RTO_SECONDS and CB_RPO_SECONDS. Never touches the configured database (except
 * to back it up with `fresh`).
 */
export async function runDrill(
  config: BackupConfig,
  db: Db | undefined,
  options: DrillOptions,
): Promise<DrillReport> {
  const now = options.now ?? (() => new Date());
  const dir = backupDirOf(config);
  const at = now();
  const steps: DrillStep[] = [];
  const step = async (name: DrillStep['step'], fn: () => Promise<string>): Promise<boolean> => {
    const t0 = performance.now();
    let ok = true;
    let detail: string;
    try {
      detail = await fn();
    } catch (err) {
      ok = false;
      detail = (err as Error).message;
    }
    const done = { step: name, seconds: seconds(t0), ok, detail };
    steps.push(done);
    options.onStep?.(done);
    return ok;
  };

  let manifest: BackupManifest | undefined;
  if (options.fresh) {
    await step('backup', async () => {
      manifest = (await createBackup(config, db, { now })).backup;
      return `${manifest.id}: ${manifest.bytes} bytes`;
    });
  } else {
    try {
      manifest = await findBackup(dir, options.backupId ?? 'latest');
    } catch (err) {
      // Nothing to recover from is the drill's finding, reported (and alerted on) like any other.
      const done = { step: 'restore' as const, seconds: 0, ok: false, detail: (err as Error).message };
      steps.push(done);
      options.onStep?.(done);
    }
  }

  let cleanup = async () => {};
  try {
    if (manifest) {
      const backup = manifest;
      let target: { url?: string; dataDir?: string } | undefined;
      const restored = await step('restore', async () => {
        const key = keyFor(config, backup);
        const path = await checkBackupFile(dir, backup);
        if (backup.driver === 'pg') {
          const scratch = await scratchDatabase(config, options.scratchUrl);
          cleanup = scratch.drop;
          await restorePostgres(path, scratch.url, { key });
          target = { url: scratch.url };
          return `into ${databaseName(scratch.url)}`;
        }
        const scratchDir = await mkdtemp(join(tmpdir(), 'cb-drill-'));
        cleanup = () => rm(scratchDir, { recursive: true, force: true });
        await restoreEmbedded(path, scratchDir, { key });
        target = { dataDir: scratchDir };
        return `into ${scratchDir}`;
      });
      if (restored && target) {
        const restoredTo = target;
        let restoredDb: Db | undefined;
        try {
          await step('verify', async () => {
            restoredDb = await createDb({
              databaseUrl: restoredTo.url,
              dataDir: restoredTo.dataDir ?? 'memory://',
              poolMax: 2,
              slowQueryMs: 60_000,
              logger: options.logger,
              metrics: createMetrics(),
            });
            const q = restoredDb;
            const problems = compareCounts(backup.tables, await tableCounts((text) => q.query(text)));
            if (problems.length > 0) throw new Error(problems.join('; '));
            return `${Object.keys(backup.tables).length} tables, ${Object.values(backup.tables).reduce((a, b) => a + b, 0)} rows as in the manifest`;
          });
          if (restoredDb) {
            const restoredDbNow = restoredDb;
            await step('start', async () => {
              const migrated = await migrate(restoredDbNow, options.logger);
              await restoredDbNow.ping(5000);
              // Loaded here, not with the module: the achievements domain (viem, typebox, yaml…) would
              // otherwise load with every `cb backup` command.
              const { reconcileProgress } = await import('../../achievements/index.ts');
              const report = await reconcileProgress(
                { db: restoredDbNow, metrics: createMetrics(), logger: options.logger },
                { sample: 100, fix: false },
              );
              if (report.mismatches.length > 0)
                throw new Error(
                  `${report.mismatches.length} of ${report.membersChecked} sampled members' progress differs from their events`,
                );
              return `migrations applied: ${migrated.applied.length}; progress of ${report.membersChecked} sampled member(s) matches their events`;
            });
          }
        } finally {
          await restoredDb?.close();
        }
      }
    }
  } finally {
    await cleanup().catch((err: unknown) =>
      options.logger.warn('drill: the scratch copy could not be removed', { err }),
    );
  }

  const recoverySeconds =
    Math.round(steps.filter((s) => s.step !== 'backup').reduce((a, s) => a + s.seconds, 0) * 1000) / 1000;
  const ageSeconds = manifest ? Math.max(0, (at.getTime() - Date.parse(manifest.finishedAt)) / 1000) : 0;
  const rtoMet = recoverySeconds <= config.rtoSeconds;
  const rpoMet = manifest !== undefined && ageSeconds <= config.rpoSeconds;
  const id = newBackupId(at).replace(/^cb-/, 'drill-');
  const file = join(dir, 'drills', `${id}.json`);
  const report: DrillReport = {
    id,
    at: at.toISOString(),
    scenario: 'database-lost',
    backup: {
      id: manifest?.id ?? '-',
      finishedAt: manifest?.finishedAt ?? '-',
      ageSeconds: Math.round(ageSeconds),
      bytes: manifest?.bytes ?? 0,
    },
    steps,
    recoverySeconds,
    rtoSeconds: config.rtoSeconds,
    rpoSeconds: config.rpoSeconds,
    rtoMet,
    rpoMet,
    ok: steps.every((s) => s.ok) && rtoMet && rpoMet,
    file,
  };
  await ensureDir(join(dir, 'drills'));
  await writeAtomically(file, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
