/**
 * Errors of `cb backup`. Each says what to do: install a package, name another backup, empty the
 * target or pass --replace, point CB_BACKUP_ENCRYPTION_KEY_FILE at the right key. The code says which (docs/errors.md); one class carries them all.
 */
import { BaseError } from '../../platform/errors.ts';

/** pg_dump, pg_restore or psql is not on PATH. */
export class BackupToolMissingError extends BaseError {
  override name = 'BackupToolMissingError';
  constructor(tool: string) {
    super(
      'OPS_BACKUP_TOOL_MISSING',
      `${tool} not found on PATH; install PostgreSQL's client tools (apt-get install postgresql-client), of the server's major version or newer`,
      { details: { tool } },
    );
  }
}

export type BackupErrorCode =
  /** A backup could not run to its end; nothing half-done is kept. */
  | 'OPS_BACKUP_FAILED'
  /** A restore (or a check's restore) failed; the target is as it was. */
  | 'OPS_RESTORE_FAILED'
  /** No backup of that name in the backup directory (or none at all). */
  | 'OPS_BACKUP_NOT_FOUND'
  /** A backup's file does not match its manifest (size or SHA-256), or the manifest is unreadable. */
  | 'OPS_BACKUP_CORRUPT'
  /** A restore would overwrite data: the target holds tables, schemas or a data directory. */
  | 'OPS_RESTORE_TARGET_NOT_EMPTY'
  /** An embedded (PGlite) backup restored onto PostgreSQL, or the other way round. */
  | 'OPS_BACKUP_DRIVER_MISMATCH'
  /** CB_BACKUP_ENCRYPTION_KEY_FILE is unreadable, open to group or others, or not a 32-byte key. */
  | 'OPS_BACKUP_KEY_INVALID'
  /** The backup is encrypted and no key is configured (CB_BACKUP_ENCRYPTION_KEY_FILE unset). */
  | 'OPS_BACKUP_KEY_MISSING'
  /** The backup was encrypted with another key than the configured one (key ids differ). */
  | 'OPS_BACKUP_KEY_MISMATCH'
  /**
   * An encrypted backup's file fails authentication (AES-GCM): altered, truncated, reordered or
   * extended after it was encrypted. Nothing of it is restored.
   */
  | 'OPS_BACKUP_AUTH_FAILED';

export class BackupError extends BaseError {
  override name = 'BackupError';
  constructor(code: BackupErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}
