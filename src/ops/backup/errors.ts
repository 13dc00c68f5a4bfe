/**
 * Errors of `cb backup`. Each says what to do: install a package, name another backup, empty the
 * target or pass --replace.
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

/** A backup, a restore or a check could not run to its end; nothing half-done is kept. */
export class BackupFailedError extends BaseError {
  override name = 'BackupFailedError';
  constructor(code: 'OPS_BACKUP_FAILED' | 'OPS_RESTORE_FAILED', message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}

/** No backup of that name in the backup directory (or none at all). */
export class BackupNotFoundError extends BaseError {
  override name = 'BackupNotFoundError';
  constructor(message: string) {
    super('OPS_BACKUP_NOT_FOUND', message);
  }
}

/** A backup's file does not match its manifest (size or SHA-256), or the manifest is unreadable. */
export class BackupCorruptError extends BaseError {
  override name = 'BackupCorruptError';
  constructor(message: string) {
    super('OPS_BACKUP_CORRUPT', message);
  }
}

/** A restore would overwrite data: the target holds tables (or a data directory) already. */
export class RestoreTargetNotEmptyError extends BaseError {
  override name = 'RestoreTargetNotEmptyError';
  constructor(message: string) {
    super('OPS_RESTORE_TARGET_NOT_EMPTY', message);
  }
}

/** An embedded (PGlite) backup restored onto PostgreSQL, or the other way round. */
export class BackupDriverMismatchError extends BaseError {
  override name = 'BackupDriverMismatchError';
  constructor(message: string) {
    super('OPS_BACKUP_DRIVER_MISMATCH', message);
  }
}
