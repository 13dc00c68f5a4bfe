/**
 * The wire format of an API key: `cbk_<id>_<secret>`.
 *
 * - `id`: 12 base62 characters (~71 bits), public; the primary key of `cb_api_keys`, so a key is
 *   found with one index look-up and can be named in logs and the CLI without its secret.
 * - `secret`: 32 base62 characters (~190 bits ≥ the 128 required), from the CSPRNG.
 *
 * Base62 (no `_` or `-`) keeps the separators unambiguous and lets a double-click select the whole
 * key. Only `sha256(key)` is stored: the secret is random and long, so a fast hash cannot be
 * brute-forced and a slow KDF would only cost latency on every cache miss.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'cbk_';
export const API_KEY_ID_LENGTH = 12;
export const API_KEY_SECRET_LENGTH = 32;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([0-9A-Za-z]{${API_KEY_ID_LENGTH}})_([0-9A-Za-z]{${API_KEY_SECRET_LENGTH}})$`,
);
const KEY_LENGTH = API_KEY_PREFIX.length + API_KEY_ID_LENGTH + 1 + API_KEY_SECRET_LENGTH;

/** `length` uniformly random base62 characters (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes at or above it would favour the first 8 characters.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new key and its id. */
export function generateApiKey(): { id: string; key: string } {
  const id = randomBase62(API_KEY_ID_LENGTH);
  return { id, key: `${API_KEY_PREFIX}${id}_${randomBase62(API_KEY_SECRET_LENGTH)}` };
}

/** The id of a well-formed key; undefined for anything else (no database look-up needed). */
export function parseApiKey(presented: string): { id: string } | undefined {
  if (presented.length !== KEY_LENGTH) return undefined;
  const m = KEY_PATTERN.exec(presented);
  return m ? { id: m[1]! } : undefined;
}

/** sha256 of the whole key, lower-case hex (what `cb_api_keys.secret_hash` holds). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares two sha256 hex digests in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
