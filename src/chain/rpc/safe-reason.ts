/**
 * Turns whatever an endpoint threw into a short reason that is safe to log, put in an error or
 * show in health: RPC URLs often carry an API key in the path or query, so every URL is removed
 * (the known endpoint URLs first, then anything URL-shaped) and the rest goes through `redactString`.
 */
import { redactString } from '../../platform/redact.ts';

const ANY_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const MAX_LENGTH = 200;

/** Removes `urls` (and any other URL) from `text`; bounded length. */
export function scrubUrls(text: string, urls: readonly string[] = []): string {
  let out = text;
  for (const url of urls) {
    if (url.length > 0) out = out.split(url).join('[url]');
  }
  out = redactString(out.replace(ANY_URL, '[url]'));
  return out.length > MAX_LENGTH ? `${out.slice(0, MAX_LENGTH - 1)}…` : out;
}

/** A short safe description of a thrown value (name and message, or a network error code). */
export function describeFailure(error: unknown, urls: readonly string[] = []): string {
  // viem's catch-all says nothing ("An unknown RPC error occurred"): what it wraps does.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (error instanceof Error && error.name === 'UnknownRpcError' && cause !== undefined && cause !== null)
    return describeFailure(cause, urls);
  const code = networkCode(error);
  if (code) return `connection failed (${code})`;
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    const message = typeof short === 'string' ? short : error.message;
    return scrubUrls(`${error.name}: ${message}`, urls);
  }
  // A WebSocket `error`/`close` event, or some other object.
  const fields = error as { type?: unknown; message?: unknown; code?: unknown } | null;
  if (typeof fields?.message === 'string' && fields.message !== '') return scrubUrls(fields.message, urls);
  if (typeof fields?.type === 'string')
    return scrubUrls(
      `socket ${fields.type}${typeof fields.code === 'number' ? ` (${fields.code})` : ''}`,
      urls,
    );
  return scrubUrls(String(error), urls);
}

/**
 * `ECONNREFUSED`, `ECONNRESET`… from an error or what it wraps (undici puts it on `cause`, a
 * WebSocket error event on `error`).
 */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    const next = current as { cause?: unknown; error?: unknown };
    current = next.cause ?? next.error;
  }
  return undefined;
}
