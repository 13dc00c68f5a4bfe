/**
 * The backup directory: one file per backup (`<id>.dump`, pg_dump's custom format, or `<id>.tar.gz`,
 * an embedded data directory; `.enc` after either when encrypted, see encryption.ts) and its
 * manifest `<id>.json`. A backup exists once its manifest does:
 * files are written under a `.partial` name and renamed when complete, the manifest last, so a crash
 * mid-backup leaves no backup that looks whole. Drill reports go to `drills/<id>.json`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BackupDriver, BackupVerification, DrillSummary } from './backups-shape.ts';
import { BackupError } from './errors.ts';

export type { BackupDriver, BackupVerification, DrillSummary } from './backups-shape.ts';

export interface BackupManifest {
  format: 1;
  id: string;
  driver: BackupDriver;
  /** The backup's file, in the same directory. */
  file: string;
  bytes: number;
  sha256: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  /** `select version()` of the database backed up. */
  server: string;
  /** PostgreSQL: the database's name; embedded: the data directory. */
  database: string;
  /** The newest cb migration applied, or null on a database cb never migrated. */
  migration: string | null;
  /** Rows per table (`schema.table`), counted in the backup's own snapshot. */
  tables: Record<string, number>;
  verifications: BackupVerification[];
  /**
   * The file is encrypted (CB_BACKUP_ENCRYPTION_KEY_FILE was set); `bytes` and `sha256` are of the
   * encrypted file. Absent in manifests written before encryption existed: not encrypted.
   */
  encrypted?: boolean | undefined;
  /** The encryption key's id (SHA-256 of the key, first 8 bytes, hex) when encrypted. */
  keyId?: string | undefined;
  /** The settings in effect when it was taken, secrets hidden (seed 5.3: 配置：定期快照). */
  settings?: { env: string; value: string; source: 'env' | 'default' }[] | undefined;
}

export const BACKUP_ID = /^cb-\d{8}T\d{9}Z-[0-9a-f]{4}$/;

/** `cb-20261127T091500123Z-1a2b` (UTC, to the millisecond): the suffix tells apart two of one instant. */
export function newBackupId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `cb-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function backupFileName(id: string, driver: BackupDriver, encrypted = false): string {
  return `${id}.${driver === 'pg' ? 'dump' : 'tar.gz'}${encrypted ? '.enc' : ''}`;
}

/** SHA-256 (hex) and size of a file, streamed. */
export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Writes `data` to `path` and flushes it to the disk (fsync) before returning. */
export async function writeDurably(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a file written by someone else (pg_dump) to the disk. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` through a temporary name of this process's, flushed, then renamed (and the
 * directory flushed): after a crash or a power loss `path` is the old content or the whole new one.
 */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const partial = `${path}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await writeDurably(partial, data);
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not every file system lets a directory be flushed; the rename itself is atomic
  }
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await writeAtomically(join(dir, `${manifest.id}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
}

async function readManifest(path: string): Promise<BackupManifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new BackupError('OPS_BACKUP_CORRUPT', `${path}: unreadable manifest (${(err as Error).message})`);
  }
  const m = parsed as Partial<BackupManifest>;
  if (
    m.format !== 1 ||
    typeof m.id !== 'string' ||
    !BACKUP_ID.test(m.id) ||
    (m.driver !== 'pg' && m.driver !== 'pglite') ||
    typeof m.file !== 'string' ||
    (m.encrypted !== undefined && typeof m.encrypted !== 'boolean') ||
    (m.encrypted === true && (typeof m.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(m.keyId))) ||
    m.file !== backupFileName(m.id, m.driver, m.encrypted === true) ||
    typeof m.sha256 !== 'string' ||
    typeof m.bytes !== 'number' ||
    typeof m.tables !== 'object' ||
    m.tables === null ||
    typeof m.startedAt !== 'string' ||
    Number.isNaN(Date.parse(m.startedAt)) ||
    typeof m.finishedAt !== 'string' ||
    Number.isNaN(Date.parse(m.finishedAt))
  )
    throw new BackupError('OPS_BACKUP_CORRUPT', `${path}: not a cb backup manifest`);
  return { ...m, verifications: Array.isArray(m.verifications) ? m.verifications : [] } as BackupManifest;
}

export interface BackupListing {
  /** Complete backups, newest first. */
  backups: BackupManifest[];
  /** Manifests that could not be read: `file: reason`. */
  unreadable: string[];
}

/** The backups in `dir`, newest first (an absent directory holds none). */
export async function listBackups(dir: string): Promise<BackupListing> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { backups: [], unreadable: [] };
    throw err;
  }
  const backups: BackupManifest[] = [];
  const unreadable: string[] = [];
  for (const name of names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .reverse()) {
    try {
      backups.push(await readManifest(join(dir, name)));
    } catch (err) {
      unreadable.push(`${name}: ${(err as Error).message}`);
    }
  }
  // Newest first by when they started (ids of one millisecond aside, that is their name order).
  backups.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  return { backups, unreadable };
}

/** The backup `id`, or the newest with `latest`. */
export async function findBackup(dir: string, id: string): Promise<BackupManifest> {
  const { backups } = await listBackups(dir);
  if (backups.length === 0)
    throw new BackupError('OPS_BACKUP_NOT_FOUND', `no backup in ${dir}: take one with cb backup create`);
  const found = id === 'latest' ? backups[0] : backups.find((b) => b.id === id);
  if (!found)
    throw new BackupError('OPS_BACKUP_NOT_FOUND', `no backup ${id} in ${dir} (cb backup list shows them)`);
  return found;
}

/** Checks the backup's file against its manifest; returns its path. */
export async function checkBackupFile(dir: string, manifest: BackupManifest): Promise<string> {
  const path = join(dir, manifest.file);
  let digest: { sha256: string; bytes: number };
  try {
    digest = await fileDigest(path);
  } catch (err) {
    throw new BackupError(
      'OPS_BACKUP_CORRUPT',
      `${manifest.id}: cannot read ${path} (${(err as Error).message})`,
    );
  }
  if (digest.bytes !== manifest.bytes || digest.sha256 !== manifest.sha256)
    throw new BackupError(
      'OPS_BACKUP_CORRUPT',
      `${manifest.id}: ${manifest.file} does not match its manifest (${digest.bytes} bytes, sha256 ${digest.sha256.slice(0, 12)}…; manifest: ${manifest.bytes} bytes, ${manifest.sha256.slice(0, 12)}…)`,
    );
  return path;
}

/** Appends a verification to the backup's manifest. */
export async function recordVerification(
  dir: string,
  manifest: BackupManifest,
  verification: BackupVerification,
): Promise<BackupManifest> {
  const updated = { ...manifest, verifications: [...manifest.verifications, verification] };
  // Pruned meanwhile (a scheduled backup ran during the check): not written back as a ghost.
  if ((await fileSize(join(dir, `${manifest.id}.json`))) === undefined) return updated;
  await writeManifest(dir, updated);
  return updated;
}

/**
 * Deletes all but the newest `keep` backups (manifest first, so a half-deleted backup never looks
 * whole); returns the ids deleted. `keep` 0 keeps everything.
 */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  if (keep <= 0) return [];
  const { backups } = await listBackups(dir);
  const doomed = backups.slice(keep);
  for (const b of doomed) {
    await rm(join(dir, `${b.id}.json`), { force: true });
    await rm(join(dir, b.file), { force: true });
  }
  await removeLeftovers(dir);
  return doomed.map((b) => b.id);
}

/**
 * Files a failed or interrupted backup left (`…partial…`, or a backup file without its manifest)
 * once they are a day old — younger ones may belong to a backup still running.
 */
export async function removeLeftovers(dir: string, now = Date.now()): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const manifests = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, '')));
  const removed: string[] = [];
  for (const name of names) {
    const id = /^(cb-\d{8}T\d{9}Z-[0-9a-f]{4})\.(dump|tar\.gz)(\.enc)?(\.partial.*)?$/.exec(name);
    const orphan = id !== null && (id[4] !== undefined || !manifests.has(id[1]!));
    const partialManifest = /^cb-.*\.json\.partial-/.test(name);
    if (!orphan && !partialManifest) continue;
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info || now - info.mtimeMs < 86_400_000) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Size of a file, or undefined when it is not there. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** The newest `limit` readable drill reports in `dir/drills`, newest first (drill ids sort by time). */
export async function recentDrills(dir: string, limit: number): Promise<DrillSummary[]> {
  let names: string[];
  try {
    names = (await readdir(join(dir, 'drills'))).filter((n) => /^drill-.*\.json$/.test(n)).sort();
  } catch {
    return [];
  }
  const out: DrillSummary[] = [];
  for (const name of names.reverse()) {
    if (out.length >= limit) break;
    try {
      const r = JSON.parse(await readFile(join(dir, 'drills', name), 'utf8')) as Record<string, unknown>;
      if (typeof r.at !== 'string' || typeof r.ok !== 'boolean' || typeof r.recoverySeconds !== 'number')
        continue;
      const steps = Array.isArray(r.steps)
        ? (r.steps as { ok?: unknown; step?: unknown; detail?: unknown }[])
        : [];
      const failed = steps.find((s) => s.ok === false);
      out.push({
        id: typeof r.id === 'string' ? r.id : name.replace(/\.json$/, ''),
        at: r.at,
        ok: r.ok,
        recoverySeconds: r.recoverySeconds,
        rtoMet: r.rtoMet === true,
        rpoMet: r.rpoMet === true,
        backupId: String((r.backup as { id?: unknown } | undefined)?.id ?? '-'),
        failure: failed ? `${String(failed.step)}: ${String(failed.detail)}` : null,
      });
    } catch {
      // unreadable: skipped
    }
  }
  return out;
}

/** The newest readable drill report, or undefined. */
export async function newestDrill(dir: string): Promise<DrillSummary | undefined> {
  return (await recentDrills(dir, 1))[0];
}
