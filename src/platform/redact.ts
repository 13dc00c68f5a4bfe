/**
 * Keeps secrets out of logs and error messages: credentials inside URLs, API keys, and the values
 * of fields whose name says they are secret. Transaction hashes look like private keys (both are
 * 32 bytes of hex), so private keys are recognised by the field name, never by their shape.
 */
const SECRET_KEY =
  /(pass(word)?|secret|token|api[-_]?key|authorization|private[-_]?key|mnemonic|credential|cookie|^key$|signature_secret)/i;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*)(?::([^/\s@]*))?@/gi;
const QUERY_SECRETS = /([?&](?:api[-_]?key|key|token|access_token|secret|password)=)[^&\s#]+/gi;
const API_KEY = /\bcbk_[A-Za-z0-9_-]{8,}/g;

/** Field names that look secret by the pattern above but are public identifiers (NFT token ids). */
const PUBLIC_KEY = /^token_?ids?$/i;

export const REDACTED = '[REDACTED]';

/** Redacts secrets inside one string (URLs with credentials, `?apikey=` parameters, cb API keys). */
export function redactString(value: string): string {
  if (value.length > 0 && !value.includes('@') && !value.includes('=') && !value.includes('cbk_'))
    return value;
  return value
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass: string | undefined) =>
      pass === undefined ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
    )
    .replace(QUERY_SECRETS, `$1${REDACTED}`)
    .replace(API_KEY, `cbk_${REDACTED}`);
}

/** Deep copy of `value` with secrets redacted; cycles and depth are bounded. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (depth > 8) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactString(value.toString());
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_KEY.test(k) && !PUBLIC_KEY.test(k) && v !== undefined && v !== null && typeof v !== 'boolean'
        ? REDACTED
        : redact(v, depth + 1, seen);
  }
  return out;
}
