/**
 * The backup encryption key (CB_BACKUP_ENCRYPTION_KEY_FILE): 32 random bytes in a file of their own,
 * written as 64 hex digits or as base64 (`openssl rand -hex 32`). The file must be the owner's alone
 * (no permission for group or others), as ssh wants of a private key: a key others can read protects
 * nothing, and one others can write can be swapped for theirs. Its id — the first 8 bytes of its
 * SHA-256, in hex — goes into each encrypted file and manifest, so a restore names the key it needs
 * without the key ever being written anywhere.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { privateFileProblem } from '../../platform/private-file-problem.ts';
import { BackupError } from './errors.ts';

/** A loaded backup key. */
export interface BackupKey {
  /** The 32 key bytes. */
  readonly key: Buffer;
  /** First 8 bytes of SHA-256(key), 16 hex digits: safe to print, store and compare. */
  readonly id: string;
}

export const BACKUP_KEY_BYTES = 32;

const SETTING = 'CB_BACKUP_ENCRYPTION_KEY_FILE';

/** The id of a key: the first 8 bytes of its SHA-256, in hex. */
export function backupKeyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('hex');
}

/** Hex (64 digits) or base64 (standard or URL-safe, padded or not) of exactly 32 bytes; else undefined. */
function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    const key = Buffer.from(
      text.replace(/=$/, ''),
      text.includes('-') || text.includes('_') ? 'base64url' : 'base64',
    );
    if (key.length === BACKUP_KEY_BYTES) return key;
  }
  return undefined;
}

const invalid = (path: string, why: string) =>
  new BackupError('OPS_BACKUP_KEY_INVALID', `${SETTING} ${path}: ${why}`);

/**
 * Reads and checks the key file. Refuses (OPS_BACKUP_KEY_INVALID) a file that is missing, not a
 * regular file, open to group or others, or not exactly 32 bytes in hex or base64. The key's
 * content is never part of a message.
 */
export function readBackupKey(file: string): BackupKey {
  const path = resolve(file);
  const problem = privateFileProblem(path);
  if (problem) throw invalid(path, problem);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw invalid(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const key = decodeKey(text);
  if (!key)
    throw invalid(
      path,
      'must hold a 32-byte key as 64 hex digits or 44 base64 characters, e.g. `openssl rand -hex 32` (content not shown)',
    );
  return Object.freeze({ key, id: backupKeyId(key) });
}
