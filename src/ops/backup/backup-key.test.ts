/** CB_BACKUP_ENCRYPTION_KEY_FILE: the key's spellings, its id, and the files refused. */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readBackupKey } from './backup-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'cb-backup-key-'));
let n = 0;

/** Writes `text` into a new file of mode `mode`; returns its path. */
function keyFile(text: string, mode = 0o600): string {
  const path = join(dir, `key-${n++}`);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode); // the umask does not apply to chmod
  return path;
}

describe('the backup encryption key file', () => {
  test('default: 64 hex digits or base64 of 32 bytes (newline allowed); the id is SHA-256(key)[0..8]', () => {
    const key = randomBytes(32);
    const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
    for (const text of [
      `${key.toString('hex')}\n`,
      key.toString('hex').toUpperCase(),
      `${key.toString('base64')}\n`,
      key.toString('base64url'),
    ]) {
      const loaded = readBackupKey(keyFile(text));
      expect(loaded.key.equals(key)).toBe(true);
      expect(loaded.id).toBe(id);
    }
    expect(readBackupKey(keyFile(key.toString('hex'), 0o400)).id).toBe(id);
  });

  test('error: a file group or others may read or write is refused, saying how to fix it', () => {
    const hex = randomBytes(32).toString('hex');
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      const path = keyFile(hex, mode);
      expect(() => readBackupKey(path), mode.toString(8)).toThrow(
        expect.objectContaining({
          code: 'OPS_BACKUP_KEY_INVALID',
          message: expect.stringContaining(`chmod 600 ${path}`),
        }),
      );
    }
  });

  test('error: not 32 bytes, missing, or a directory — refused without showing the content', () => {
    const short = randomBytes(16).toString('hex');
    for (const text of [short, `${randomBytes(32).toString('hex')}00`, 'not a key at all', '']) {
      const path = keyFile(text);
      let message = '';
      try {
        readBackupKey(path);
      } catch (err) {
        expect(err).toMatchObject({ code: 'OPS_BACKUP_KEY_INVALID' });
        message = (err as Error).message;
      }
      expect(message).toContain('32-byte key');
      if (text) expect(message).not.toContain(text);
    }
    expect(() => readBackupKey(join(dir, 'absent'))).toThrow(
      expect.objectContaining({ code: 'OPS_BACKUP_KEY_INVALID', message: expect.stringContaining('ENOENT') }),
    );
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { mode: 0o700 });
    expect(() => readBackupKey(sub)).toThrow(expect.objectContaining({ code: 'OPS_BACKUP_KEY_INVALID' }));
  });
});
