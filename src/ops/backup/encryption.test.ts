/**
 * The encrypted file format on its own: what goes in comes out, and any change to the file — a
 * byte, a cut, records swapped, bytes appended, another key — is refused with its code.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { type BackupKey, backupKeyId } from './backup-key.ts';
import { createDecryptStream, createEncryptStream, HEADER_BYTES, RECORD_BYTES } from './encryption.ts';

const newKey = (): BackupKey => {
  const key = randomBytes(32);
  return { key, id: backupKeyId(key) };
};

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Encrypts `plain`, fed in chunks of `chunk` bytes. */
const encrypt = (key: BackupKey, plain: Buffer, chunk = 10_000) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < plain.length; i += chunk) parts.push(plain.subarray(i, i + chunk));
  return collect(Readable.from(parts).pipe(createEncryptStream(key)));
};

const decrypt = (key: BackupKey, sealed: Buffer) =>
  collect(Readable.from([sealed]).pipe(createDecryptStream(key, 'test.enc')));

const SEALED = RECORD_BYTES + 16;

describe('backup file encryption', () => {
  test('default: what is encrypted decrypts to the same bytes, at every length around a record', async () => {
    const key = newKey();
    for (const n of [0, 1, RECORD_BYTES - 1, RECORD_BYTES, RECORD_BYTES + 1, 3 * RECORD_BYTES + 17]) {
      const plain = randomBytes(n);
      const sealed = await encrypt(key, plain);
      // A header, then each record with its 16-byte tag (an exact multiple ends on a full last one).
      expect(sealed.length).toBe(HEADER_BYTES + n + 16 * Math.max(1, Math.ceil(n / RECORD_BYTES)));
      expect((await decrypt(key, sealed)).equals(plain)).toBe(true);
    }
  });

  test('behavior: the file holds no plaintext, names its key by id, and two files of one input differ', async () => {
    const key = newKey();
    const plain = Buffer.from(
      'member 0x00000000000000000000000000000000000000a1 secret-marker '.repeat(5000),
    );
    const a = await encrypt(key, plain);
    const b = await encrypt(key, plain);
    expect(a.includes(Buffer.from('secret-marker'))).toBe(false);
    expect(a.subarray(0, 8).toString('ascii')).toBe('CBBKPENC');
    expect(a.subarray(16, 24).toString('hex')).toBe(key.id);
    expect(a.subarray(HEADER_BYTES).equals(b.subarray(HEADER_BYTES))).toBe(false);
  });

  test('behavior: it streams — records come out while the input is still being written', async () => {
    const key = newKey();
    const stream = createEncryptStream(key);
    let out = 0;
    stream.on('data', (d: Buffer) => {
      out += d.length;
    });
    for (let i = 0; i < 64; i++) stream.write(randomBytes(RECORD_BYTES));
    await new Promise((r) => setImmediate(r));
    // 64 records in and the stream not ended: all but the one held back (it may be the last) are out.
    expect(out).toBeGreaterThanOrEqual(HEADER_BYTES + 63 * SEALED);
    stream.end();
    await new Promise((r) => stream.on('end', r));
    expect(out).toBe(HEADER_BYTES + 64 * SEALED);
  });

  test('error: a changed byte anywhere — header, ciphertext, tag — fails authentication', async () => {
    const key = newKey();
    const sealed = await encrypt(key, randomBytes(3 * RECORD_BYTES + 100));
    for (const at of [
      9, // a reserved header byte
      13, // the record size
      30, // the nonce
      HEADER_BYTES + 5, // first record
      HEADER_BYTES + SEALED - 1, // first record's tag
      sealed.length - 20, // last record
      sealed.length - 1, // last tag
    ]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x01;
      await expect(decrypt(key, bad), `byte ${at}`).rejects.toMatchObject({ code: 'OPS_BACKUP_AUTH_FAILED' });
    }
  });

  test('error: a file cut short (at a record boundary, inside a record, inside the header) fails', async () => {
    const key = newKey();
    const sealed = await encrypt(key, randomBytes(3 * RECORD_BYTES + 100));
    for (const length of [HEADER_BYTES + 2 * SEALED, HEADER_BYTES + SEALED + 7, HEADER_BYTES + 10, 20, 0])
      await expect(decrypt(key, sealed.subarray(0, length)), `${length} bytes`).rejects.toMatchObject({
        code: 'OPS_BACKUP_AUTH_FAILED',
      });
    // Cut exactly after a full record: that record is not the last one, and says so.
    await expect(decrypt(key, sealed.subarray(0, HEADER_BYTES + 2 * SEALED))).rejects.toThrow(/last record/);
  });

  test('error: records swapped, or bytes appended, fail authentication', async () => {
    const key = newKey();
    const sealed = await encrypt(key, randomBytes(3 * RECORD_BYTES + 100));
    const r = (i: number) => sealed.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    const swapped = Buffer.concat([
      sealed.subarray(0, HEADER_BYTES),
      r(1),
      r(0),
      sealed.subarray(HEADER_BYTES + 2 * SEALED),
    ]);
    await expect(decrypt(key, swapped)).rejects.toMatchObject({ code: 'OPS_BACKUP_AUTH_FAILED' });
    const appended = Buffer.concat([sealed, randomBytes(16)]);
    await expect(decrypt(key, appended)).rejects.toMatchObject({ code: 'OPS_BACKUP_AUTH_FAILED' });
    // The same records, but a full last record followed by another file's: refused too.
    const other = await encrypt(key, randomBytes(100));
    await expect(decrypt(key, Buffer.concat([sealed, other.subarray(HEADER_BYTES)]))).rejects.toMatchObject({
      code: 'OPS_BACKUP_AUTH_FAILED',
    });
  });

  test('error: another key is refused by its id before any decryption; a forged id fails authentication', async () => {
    const key = newKey();
    const other = newKey();
    const sealed = await encrypt(key, randomBytes(1000));
    await expect(decrypt(other, sealed)).rejects.toMatchObject({
      code: 'OPS_BACKUP_KEY_MISMATCH',
      message: expect.stringContaining(key.id),
    });
    const forged = Buffer.from(sealed);
    Buffer.from(other.id, 'hex').copy(forged, 16);
    await expect(decrypt(other, forged)).rejects.toMatchObject({ code: 'OPS_BACKUP_AUTH_FAILED' });
  });
});
