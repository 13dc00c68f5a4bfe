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
