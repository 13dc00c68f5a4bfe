/**
 * Log storage tiers (seed 4.3 存储策略): hot, the daily files of CB_LOG_DIR (the current day and
 * CB_LOG_RETENTION_DAYS before it); warm, CB_LOG_ARCHIVE_DIR, where a day's file leaving the hot
 * window is gzip-compressed and kept CB_LOG_ARCHIVE_DAYS more days; cold, CB_LOG_COLD_DIR, where
 * archived files then go, as they are, and stay (cb never deletes a log file there). Without an
 * archive, old days are deleted; without a cold dir, expired archives are.
 *
 * The archive and cold dirs may be mounted object stores (s3fs, gcsfuse, NFS), so a file never
 * moves by a rename across directories or by a hard link: it is written (compressed, or copied) to a
 * temporary name in the destination, fsynced, renamed there, the directory fsynced, and only then is
 * the source deleted. A process dying at any point leaves either the source whole (and perhaps a
 * hidden temporary file, removed by a later run once an hour old) or the destination whole next to
 * the source (the next run sees it, checks its size and deletes the source). Several instances
 * sharing the directories run this at the same moment (at midnight UTC): each writes its own
 * temporary file, a destination that appears meanwhile is kept and the copy dropped, and two renames
 * of the same day put the same content in place. Nothing is locked: a lock would need an exclusive
 * create that bucket mounts do not all honour, and a crashed holder would have to be detected.
 *
 * Each run tallies its moves by destination tier and result (`moves`): the logger passes them on to
 * cb_log_tier_moves_total, which LogTierMoveFailing watches — a file that keeps failing to move
 * stays in the tier before (the hot disk fills) until someone mends the destination.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Config } from '../config.ts';
import { ARCHIVED_LOG_FILE, DAY_MS, type DayFile, LOG_FILE, listDayFiles, utcDay } from './log-file-names.ts';

/** A tier a file moves into: `archive` (warm, CB_LOG_ARCHIVE_DIR) or `cold` (CB_LOG_COLD_DIR). */
export type LogTier = 'archive' | 'cold';

/** How the moves into one tier went: files moved, and files that failed to (left where they were). */
export interface TierMoves {
  ok: number;
  failed: number;
}

/** The warm and cold tiers (CB_LOG_ARCHIVE_DIR, CB_LOG_ARCHIVE_DAYS, CB_LOG_COLD_DIR). */
export interface LogArchiveOptions {
  dir: string;
  /** Days a file stays in the archive after it leaves the hot window. */
  days: number;
  /** Where expired archived files go; unset, they are deleted. */
  coldDir?: string | undefined;
}

/** The warm and cold tiers the settings name; undefined without CB_LOG_ARCHIVE_DIR. */
export function logArchiveOf(
  config: Pick<Config, 'logArchiveDir' | 'logArchiveDays' | 'logColdDir'>,
): LogArchiveOptions | undefined {
  return config.logArchiveDir
    ? { dir: config.logArchiveDir, days: config.logArchiveDays, coldDir: config.logColdDir }
    : undefined;
}

/** Every tier of a process's log files. */
export interface LogTiers {
  /** CB_LOG_DIR: the hot files. */
  dir: string;
  /** CB_LOG_RETENTION_DAYS: days kept hot besides the current one. */
  retentionDays: number;
  archive?: LogArchiveOptions | undefined;
}

/** A temporary file left by a move after this long was left by a process that died. */
export const STALE_TEMP_MS = 3_600_000;

/** Our temporary files: `.<final name>.<pid>-<8 hex>.tmp`. */
const TEMP_FILE = /^\.cb-.+\.jsonl(?:\.gz)?\.\d+-[0-9a-f]{8}\.tmp$/;

/** The first day of each tier's window on the day of `now`: older days belong to the next tier. */
export function tierWindows(
  tiers: Pick<LogTiers, 'retentionDays' | 'archive'>,
  now: number,
): { oldestHotDay: string; oldestWarmDay: string | undefined } {
  return {
    oldestHotDay: utcDay(now - tiers.retentionDays * DAY_MS),
    oldestWarmDay: tiers.archive
      ? utcDay(now - (tiers.retentionDays + tiers.archive.days) * DAY_MS)
      : undefined,
  };
}

/** What one run did. */
export interface LogMaintenanceReport {
  /** Hot files compressed into the archive (or, already past it, straight into the cold dir). */
  archived: number;
  /** Their size before compression, bytes. */
  archivedBytes: number;
  /** Their size compressed, bytes. */
  compressedBytes: number;
  /** Hot files deleted: no archive, or past the archive's days too with no cold dir. */
  deleted: number;
  /** Archived files deleted after CB_LOG_ARCHIVE_DAYS (no cold dir). */
  expired: number;
  /** Archived files moved to the cold dir. */
  movedToCold: number;
  /** Temporary files of moves that a dead process left, removed. */
  staleTempFiles: number;
  /**
   * Moves by the tier moved into: each file moved (or found moved already, its source then deleted)
   * is `ok`, each that could not be is `failed`. A hot file past the archive's days too counts in
   * `cold`, where it goes. Deletions are not moves.
   */
  moves: Record<LogTier, TierMoves>;
  /** Each file that could not be handled (left where it was, retried by the next run). */
  failures: { file: string; action: string; error: Error }[];
  durationMs: number;
}

/** Whether the run changed anything or failed (a quiet run is not worth an INFO line). */
export function reportIsQuiet(r: LogMaintenanceReport): boolean {
  return (
    r.archived + r.deleted + r.expired + r.movedToCold + r.staleTempFiles === 0 && r.failures.length === 0
  );
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function sizeIfExists(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** Makes a rename in `dir` durable; some mounts refuse fsync on a directory, which then is moot. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on some FUSE mounts: they have no directory entries to flush.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** The ISIZE field of a gzip file's trailer: its content's size mod 2³² (-1: too short to have one). */
async function gzipIsize(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 18) return -1;
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, size - 4);
    return tail.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

/**
 * About how many bytes reading a gzip file's content means, without decompressing it: its ISIZE,
 * or its own size when larger (ISIZE wraps at 4 GiB).
 */
export async function gzipContentBytes(path: string): Promise<number> {
  const [isize, { size }] = await Promise.all([gzipIsize(path), stat(path)]);
  return Math.max(isize, size);
}

interface Moved {
  /** `written`: this run put the destination in place; `found`: it was there already (a move
   * completed before the source was deleted, or another instance's); `gone`: no source any more. */
  outcome: 'written' | 'found' | 'gone';
  sourceBytes: number;
  destinationBytes: number;
}

/**
 * Moves `source` to `<destDir>/<name>`, gzip-compressing it when `compress`: written to a temporary
 * name, fsynced, renamed, the directory fsynced, then the source deleted.
 * @throws Error when the destination exists with other content (both are left for an operator).
 */
async function moveInto(source: string, destDir: string, name: string, compress: boolean): Promise<Moved> {
  const destination = join(destDir, name);
  const gone: Moved = { outcome: 'gone', sourceBytes: 0, destinationBytes: 0 };
  const sourceBytes = await sizeIfExists(source);
  if (sourceBytes === undefined) return gone;
  // A destination in place is complete (it only ever appears by a rename after an fsync); it must
  // hold this source, or the source is not ours to delete.
  const settle = async (destinationBytes: number): Promise<Moved> => {
    const holds = compress
      ? (await gzipIsize(destination)) === sourceBytes % 2 ** 32
      : destinationBytes === sourceBytes;
    if (!holds)
      throw new Error(
        `${destination} already exists and does not hold the ${sourceBytes} bytes of ${source}: both left as they are`,
      );
    await unlinkIfExists(source);
    return { outcome: 'found', sourceBytes, destinationBytes };
  };
  const existing = await sizeIfExists(destination);
  if (existing !== undefined) return await settle(existing);

  const temp = join(destDir, `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let destinationBytes: number;
  try {
    const from = createReadStream(source);
    const to = createWriteStream(temp, { flags: 'wx', mode: 0o640 });
    if (compress) await pipeline(from, createGzip(), to);
    else await pipeline(from, to);
    // fsync is per file, not per descriptor: the data written above reaches the disk (or, on a
    // mounted bucket, was uploaded when the stream closed its descriptor).
    const written = await open(temp, 'r+');
    try {
      await written.sync();
      destinationBytes = (await written.stat()).size;
    } finally {
      await written.close();
    }
  } catch (err) {
    await unlinkIfExists(temp).catch(() => {});
    // Another instance moved (and deleted) the source between the check and the read.
    if (isMissing(err) && (await sizeIfExists(source)) === undefined) return gone;
    throw err;
  }
  // Another instance finished the same move meanwhile: keep its file, drop ours.
  const meanwhile = await sizeIfExists(destination);
  if (meanwhile !== undefined) {
    await unlinkIfExists(temp);
    return await settle(meanwhile);
  }
  await rename(temp, destination);
  await syncDir(destDir);
  await unlinkIfExists(source);
  return { outcome: 'written', sourceBytes, destinationBytes };
}

/** Removes our temporary files in `dir` older than STALE_TEMP_MS (their process died mid-move). */
async function removeStaleTempFiles(dir: string, now: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    if (!TEMP_FILE.test(name)) continue;
    const path = join(dir, name);
    try {
      const { mtimeMs } = await stat(path);
      // A live move writes as it goes: only a file untouched for an hour is a dead one's.
      if (now - mtimeMs < STALE_TEMP_MS) continue;
      if (await unlinkIfExists(path)) removed++;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  return removed;
}

/**
 * One pass over the tiers on the day of `now`: hot files past CB_LOG_RETENTION_DAYS compressed into
 * the archive (or deleted without one), archived files past CB_LOG_ARCHIVE_DAYS moved to the cold
 * dir (or deleted without one), and dead moves' temporary files removed. A file that fails is left
 * where it was and reported; the others go on. Never throws.
 */
export async function runLogMaintenance(tiers: LogTiers, now = Date.now()): Promise<LogMaintenanceReport> {
  const started = Date.now();
  const report: LogMaintenanceReport = {
    archived: 0,
    archivedBytes: 0,
    compressedBytes: 0,
    deleted: 0,
    expired: 0,
    movedToCold: 0,
    staleTempFiles: 0,
    moves: { archive: { ok: 0, failed: 0 }, cold: { ok: 0, failed: 0 } },
    failures: [],
    durationMs: 0,
  };
  /** Runs `work`; a failure is reported (and, given the tier moved into, counted as a failed move). */
  const attempt = async (file: string, action: string, work: () => Promise<void>, tier?: LogTier) => {
    try {
      await work();
    } catch (err) {
      report.failures.push({ file, action, error: err instanceof Error ? err : new Error(String(err)) });
      if (tier) report.moves[tier].failed++;
    }
  };
  const { oldestHotDay, oldestWarmDay } = tierWindows(tiers, now);
  const archive = tiers.archive;

  for (const dir of [archive?.dir, archive?.coldDir]) {
    if (dir)
      await attempt(dir, 'remove stale temporary files', async () => {
        report.staleTempFiles += await removeStaleTempFiles(dir, now);
      });
  }

  let hot: DayFile[] = [];
  await attempt(tiers.dir, 'list', async () => {
    hot = await listDayFiles(tiers.dir, LOG_FILE);
  });
  for (const f of hot) {
    if (f.day >= oldestHotDay) continue;
    // Past the archive's days too (cb was stopped, or the archive is new): straight to the cold dir.
    const toCold = archive !== undefined && oldestWarmDay !== undefined && f.day < oldestWarmDay;
    const destination = toCold ? archive.coldDir : archive?.dir;
    if (destination === undefined) {
      await attempt(f.file, 'delete', async () => {
        if (await unlinkIfExists(f.path)) report.deleted++;
      });
      continue;
    }
    const tier: LogTier = toCold ? 'cold' : 'archive';
    await attempt(
      f.file,
      `compress into ${destination}`,
      async () => {
        const moved = await moveInto(f.path, destination, `${f.file}.gz`, true);
        if (moved.outcome === 'gone') return;
        report.archived++;
        report.archivedBytes += moved.sourceBytes;
        report.compressedBytes += moved.destinationBytes;
        report.moves[tier].ok++;
      },
      tier,
    );
  }

  if (archive && oldestWarmDay !== undefined) {
    let archived: DayFile[] = [];
    await attempt(archive.dir, 'list', async () => {
      archived = await listDayFiles(archive.dir, ARCHIVED_LOG_FILE);
    });
    for (const f of archived) {
      if (f.day >= oldestWarmDay) continue;
      const coldDir = archive.coldDir;
      if (coldDir === undefined)
        await attempt(f.file, 'delete', async () => {
          if (await unlinkIfExists(f.path)) report.expired++;
        });
      else
        await attempt(
          f.file,
          `move into ${coldDir}`,
          async () => {
            if ((await moveInto(f.path, coldDir, f.file, false)).outcome === 'gone') return;
            report.movedToCold++;
            report.moves.cold.ok++;
          },
          'cold',
        );
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}
