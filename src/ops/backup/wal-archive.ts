/**
 * PostgreSQL's continuous WAL archive, as the server reports it: the seed's hourly incremental
 * backups (5.3 每小时增量备份) and point-in-time recovery come from archiving the write-ahead log
 * (an archive tool such as pgBackRest in `archive_command`, with its own base backups), not from cb's
 * full dumps, which cannot replay WAL. cb does not store WAL itself; it watches that the archive
 * keeps up, since a stalled archive is silent until the day a restore needs it:
 *
 * - whether the server archives at all (`archive_mode` on or always);
 * - when a segment was last archived (`pg_stat_archiver`; its statistics reset, e.g. after a crash,
 *   count as "nothing archived since then": the reset's time stands in for the last success, so
 *   the age is never shorter than what is known);
 * - when an attempt last failed, and whether the archiver is failing now (the last failure is newer
 *   than the last success: PostgreSQL retries a segment until it is archived, keeping it in pg_wal
 *   meanwhile, so a failing archive also fills the database's disk);
 * - `archive_timeout`: without it a quiet database keeps its newest changes in a segment that is not
 *   full, unarchived, for as long as it takes to write 16 MB of WAL.
 *
 * Read by each process's backup sampler (cb_backup_wal_* gauges, the WalArchiveFailing and
 * WalArchiveBehind alerts) and by `GET /v1/ops/backups`. `pg_stat_archiver` and `pg_settings` need no
 * privilege. The embedded database has no WAL archive: null.
 */
import type { Db } from '../../platform/db/create-db.ts';
import type { WalArchiveView } from './backups-shape.ts';

export interface WalArchiveStatus {
  /** `archive_mode`: off, on or always. */
  mode: string;
  /** The server archives its WAL (`archive_mode` on or always). */
  archiving: boolean;
  /** `archive_timeout` in seconds; 0 when off. */
  timeoutSeconds: number;
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: Date | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: Date | null;
  /** When the archiver's statistics were last reset (a crash, `pg_stat_reset_shared`). */
  statsResetAt: Date | null;
}

interface Row {
  mode: string;
  timeout: number;
  archived_count: string;
  last_archived_wal: string | null;
  last_archived_time: Date | null;
  failed_count: string;
  last_failed_wal: string | null;
  last_failed_time: Date | null;
  stats_reset: Date | null;
}

/** The server's WAL archive, or null on the embedded database. */
export async function readWalArchive(db: Db): Promise<WalArchiveStatus | null> {
  if (db.driver !== 'pg') return null;
  const { rows } = await db.query<Row>(
    `select current_setting('archive_mode') as mode,
            (select setting::int from pg_settings where name = 'archive_timeout') as timeout,
            a.archived_count::text, a.last_archived_wal, a.last_archived_time,
            a.failed_count::text, a.last_failed_wal, a.last_failed_time, a.stats_reset
       from pg_stat_archiver a`,
  );
  const r = rows[0];
  if (!r) throw new Error('pg_stat_archiver returned no row');
  return {
    mode: r.mode,
    archiving: r.mode === 'on' || r.mode === 'always',
    timeoutSeconds: r.timeout,
    archivedCount: Number(r.archived_count),
    lastArchivedWal: r.last_archived_wal,
    lastArchivedAt: r.last_archived_time,
    failedCount: Number(r.failed_count),
    lastFailedWal: r.last_failed_wal,
    lastFailedAt: r.last_failed_time,
    statsResetAt: r.stats_reset,
  };
}

/**
 * The newest time the archive is known to hold everything before: the last archived segment's, or
 * the statistics' reset when nothing was archived since (null: neither is known).
 */
export function archivedThrough(s: WalArchiveStatus): Date | null {
  return s.lastArchivedAt ?? s.statsResetAt;
}

/** The archiver's last attempt failed: its last failure is newer than its last success. */
export function archiveFailing(s: WalArchiveStatus): boolean {
  if (!s.lastFailedAt) return false;
  return !s.lastArchivedAt || s.lastFailedAt > s.lastArchivedAt;
}

/**
 * What the console and the API show: the status, its age against `maxAgeSeconds`
 * (CB_WAL_ARCHIVE_MAX_AGE_SECONDS), and each problem in a sentence.
 */
export function walArchiveView(s: WalArchiveStatus, maxAgeSeconds: number, now: Date): WalArchiveView {
  // Not archiving, the statistics' reset says nothing about what an archive holds.
  const through = s.archiving ? archivedThrough(s) : null;
  const ageSeconds = through ? Math.max(0, Math.round((now.getTime() - through.getTime()) / 1000)) : null;
  const failing = archiveFailing(s);
  const problems: string[] = [];
  if (!s.archiving)
    problems.push(
      'PostgreSQL does not archive its WAL (archive_mode is off): a restore can only go back to the newest full backup.',
    );
  else {
    if (failing)
      problems.push(
        `Archiving fails: the last attempt (segment ${s.lastFailedWal ?? '?'}) failed after the last success; PostgreSQL keeps the segments in pg_wal until they are archived.`,
      );
    if (ageSeconds === null || ageSeconds > maxAgeSeconds)
      problems.push(
        ageSeconds === null
          ? 'Nothing has been archived yet.'
          : `The newest archived segment is older than ${maxAgeSeconds} s (CB_WAL_ARCHIVE_MAX_AGE_SECONDS).`,
      );
    if (s.timeoutSeconds === 0 || s.timeoutSeconds > maxAgeSeconds)
      problems.push(
        s.timeoutSeconds === 0
          ? 'archive_timeout is off: on a quiet database the newest changes wait unarchived until 16 MB of WAL fill their segment.'
          : `archive_timeout (${s.timeoutSeconds} s) is longer than CB_WAL_ARCHIVE_MAX_AGE_SECONDS (${maxAgeSeconds} s): a quiet database archives less often than the alert expects.`,
      );
  }
  return {
    mode: s.mode,
    archiving: s.archiving,
    timeoutSeconds: s.timeoutSeconds,
    maxAgeSeconds,
    archivedCount: s.archivedCount,
    lastArchivedWal: s.lastArchivedWal,
    lastArchivedAt: s.lastArchivedAt?.toISOString() ?? null,
    archivedThrough: through?.toISOString() ?? null,
    ageSeconds,
    failedCount: s.failedCount,
    lastFailedWal: s.lastFailedWal,
    lastFailedAt: s.lastFailedAt?.toISOString() ?? null,
    failing,
    ok: problems.length === 0,
    problems,
  };
}
