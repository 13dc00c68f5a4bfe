/**
 * Backup files encrypted at rest (seed 7.3: 数据加密，存储中), as a stream: a dump of any size passes
 * through in 64 KiB records, never whole in memory.
 *
 * Format (version 1):
 *
 * ```
 * header   36 bytes: magic "CBBKPENC" | version u8 = 1 | 3 zero bytes | record size u32 BE
 *                    | key id (8 bytes: SHA-256(key)[0..8]) | base nonce (12 random bytes)
 * records  AES-256-GCM of each `record size` bytes of plaintext (the last one shorter, maybe
 *          empty), each followed by its 16-byte tag
 * ```
 *
 * Each file has its own key, HKDF-SHA256(backup key, salt = base nonce, info "cb-backup v1"), so no
 * nonce is ever shared between files. Record n's nonce is the base nonce XOR n (big-endian, in its
 * last 8 bytes), and its associated data is the header plus one byte: 1 for the last record, 0
 * otherwise. So a changed byte anywhere (header included), records swapped, dropped, or a file cut
 * at a record boundary or extended all fail authentication. A record's plaintext is released only
 * after its tag checks; a cut file is only known to be cut at its end, so whoever consumes the
 * plaintext must wait for the stream's end before acting on it (a restore's COMMIT).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackupKey } from './backup-key.ts';
import { BackupError } from './errors.ts';

const MAGIC = Buffer.from('CBBKPENC', 'ascii');
const VERSION = 1;
export const HEADER_BYTES = 36;
const TAG_BYTES = 16;
const NONCE_BYTES = 12;
/** Plaintext bytes per record. */
export const RECORD_BYTES = 64 * 1024;
const INFO = Buffer.from('cb-backup v1', 'ascii');

/** Reads are this large so a record rarely spans two chunks. */
export const READ_CHUNK_BYTES = 1024 * 1024;

interface Header {
  bytes: Buffer;
  recordBytes: number;
  keyId: string;
  nonce: Buffer;
}

function fileKey(key: BackupKey, nonce: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key.key, nonce, INFO, 32));
}

function recordNonce(base: Buffer, counter: number): Buffer {
  const nonce = Buffer.from(base);
  // counter < 2^53: its high and low 32 bits XORed into bytes 4..8 and 8..12.
  nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ Math.floor(counter / 2 ** 32)) >>> 0, 4);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ (counter % 2 ** 32)) >>> 0, 8);
  return nonce;
}

const aad = (header: Buffer, last: boolean) => Buffer.concat([header, Buffer.from([last ? 1 : 0])]);

/** Bytes in arrival order; takes exact lengths off the front without copying more than needed. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.length -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.length -= n;
    return out;
  }
}

/** A stream that encrypts what is written to it with `key` (the whole file: header and records). */
export function createEncryptStream(key: BackupKey): Transform {
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, 8);
  header.writeUInt32BE(RECORD_BYTES, 12);
  Buffer.from(key.id, 'hex').copy(header, 16);
  nonce.copy(header, 24);
  const k = fileKey(key, nonce);
  const middle = aad(header, false);
  const end = aad(header, true);
  const pending = new ByteQueue();
  let counter = 0;
  let started = false;
  const start = (stream: Transform) => {
    if (started) return;
    started = true;
    stream.push(header);
  };

  const seal = (stream: Transform, plain: Buffer, last: boolean) => {
    const cipher = createCipheriv('aes-256-gcm', k, recordNonce(nonce, counter++), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(last ? end : middle);
    stream.push(cipher.update(plain));
    cipher.final();
    stream.push(cipher.getAuthTag());
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      start(this);
      pending.push(chunk);
      // A record is sealed as "not last" only once a byte after it has arrived.
      while (pending.length > RECORD_BYTES) seal(this, pending.take(RECORD_BYTES), false);
      done();
    },
    flush(done: TransformCallback) {
      start(this);
      seal(this, pending.take(pending.length), true);
      done();
    },
  });
}

const authFailed = (name: string, why: string) =>
  new BackupError(
    'OPS_BACKUP_AUTH_FAILED',
    `${name} fails authentication: ${why}. It was altered, cut short or extended after it was encrypted (or decrypted with the wrong key): do not use it`,
  );

function parseHeader(bytes: Buffer, key: BackupKey, name: string): Header {
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC))
    throw authFailed(name, 'it does not start with the header of an encrypted cb backup');
  const version = bytes.readUInt8(8);
  if (version !== VERSION)
    throw authFailed(name, `its format version is ${version}; this cb reads version ${VERSION}`);
  const recordBytes = bytes.readUInt32BE(12);
  if (recordBytes < 1024 || recordBytes > 16 * 1024 * 1024)
    throw authFailed(name, `its header gives an impossible record size (${recordBytes})`);
  const keyId = bytes.subarray(16, 24).toString('hex');
  if (keyId !== key.id)
    throw new BackupError(
      'OPS_BACKUP_KEY_MISMATCH',
      `${name} was encrypted with key ${keyId}; CB_BACKUP_ENCRYPTION_KEY_FILE holds key ${key.id}: point it at the key the backup was taken with`,
    );
  return { bytes, recordBytes, keyId, nonce: Buffer.from(bytes.subarray(24, 36)) };
}

/**
 * A stream that decrypts an encrypted backup file with `key`, releasing each record's plaintext
 * only once its tag checked. Errors: OPS_BACKUP_KEY_MISMATCH (the header names another key),
 * OPS_BACKUP_AUTH_FAILED (anything altered, reordered, cut or appended). `name` is for messages.
 */
export function createDecryptStream(key: BackupKey, name: string): Transform {
  const pending = new ByteQueue();
  let header: Header | undefined;
  let k: Buffer;
  let middle: Buffer;
  let end: Buffer;
  let counter = 0;

  const open = (sealed: Buffer, last: boolean): Buffer => {
    const h = header!;
    const at = counter;
    const decipher = createDecipheriv('aes-256-gcm', k, recordNonce(h.nonce, counter++), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(last ? end : middle);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw authFailed(
        name,
        last
          ? `its last record (${at + 1}) does not check, or the file ends before its last record`
          : `record ${at + 1} (bytes ${HEADER_BYTES + at * (h.recordBytes + TAG_BYTES)}…) does not check`,
      );
    }
    return plain;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        pending.push(chunk);
        if (!header) {
          if (pending.length < HEADER_BYTES) return done();
          header = parseHeader(pending.take(HEADER_BYTES), key, name);
          k = fileKey(key, header.nonce);
          middle = aad(header.bytes, false);
          end = aad(header.bytes, true);
        }
        const sealed = header.recordBytes + TAG_BYTES;
        // Only a record with bytes after it can be a middle one; the last is opened at the end.
        while (pending.length > sealed) this.push(open(pending.take(sealed), false));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (!header) throw authFailed(name, `it is shorter than its header (${pending.length} bytes)`);
        if (pending.length < TAG_BYTES)
          throw authFailed(name, 'it ends inside a record: the file was cut short');
        this.push(open(pending.take(pending.length), true));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** Reads an encrypted file whole into memory, decrypted and authenticated (the embedded tarball). */
export async function readDecrypted(file: string, key: BackupKey, name: string): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  await pipeline(
    createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
    createDecryptStream(key, name),
    async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    },
  );
  return parts;
}
