/**
 * What `GET /v1/ops/backups` answers, and the pieces of a backup's manifest and a drill report it
 * shows (shared with the console's Backups page: no imports).
 */

export type BackupDriver = 'pg' | 'pglite';

/** One restore check of a backup (`cb backup verify`, or a drill). */
export interface BackupVerification {
  at: string;
  ok: boolean;
  /** Restore and compare, in seconds. */
  seconds: number;
  /** What differed; empty when ok. */
  problems: string[];
}

/** A drill report as the directory keeps it (the fields the console and the gauges read). */
export interface DrillSummary {
  id: string;
  at: string;
  ok: boolean;
  recoverySeconds: number;
  rtoMet: boolean;
  rpoMet: boolean;
  backupId: string;
  /** The first failed step's message, if one failed. */
  failure: string | null;
}

/** PostgreSQL's WAL archive (continuous, incremental; wal-archive.ts), as the server reports it. */
export interface WalArchiveView {
  /** `archive_mode`: off, on or always. */
  mode: string;
  archiving: boolean;
  /** `archive_timeout`, s; 0 when off. */
  timeoutSeconds: number;
  /** CB_WAL_ARCHIVE_MAX_AGE_SECONDS: the oldest the newest archived segment may be. */
  maxAgeSeconds: number;
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  /** The last archived segment's time, or the statistics' reset when none was archived since (null when not archiving). */
  archivedThrough: string | null;
  /** Seconds since `archivedThrough`; null when unknown. */
  ageSeconds: number | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** The last attempt failed (after the last success). */
  failing: boolean;
  /** Archiving, keeping up, not failing, and archive_timeout within the maximum age. */
  ok: boolean;
  /** Each problem in a sentence; empty when ok. */
  problems: string[];
}

export interface BackupsView {
  rpoSeconds: number;
  rtoSeconds: number;
  /** Age of the newest backup, or null when there is none. */
  newestAgeSeconds: number | null;
  rpoMet: boolean;
  backups: {
    id: string;
    driver: BackupDriver;
    finishedAt: string;
    seconds: number;
    bytes: number;
    rows: number;
    tables: number;
    migration: string | null;
    /** The file is encrypted (CB_BACKUP_ENCRYPTION_KEY_FILE); its key's id. */
    encrypted: boolean;
    keyId: string | null;
    lastCheck: BackupVerification | null;
  }[];
  drills: DrillSummary[];
  /** PostgreSQL's WAL archive; null on the embedded database or when it could not be read. */
  wal: WalArchiveView | null;
  /** Why `wal` could not be read (PostgreSQL only). */
  walError: string | null;
  /** Manifests that could not be read: `file: reason`. */
  unreadable: string[];
}

/** `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: an age or a duration for people (console and CLI). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3600)} h`;
}
