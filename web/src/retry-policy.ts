/**
 * When `api()` asks again instead of showing an error: a GET (reading changes nothing, so a second
 * try is safe) answered 503 with a `Retry-After` of at most {@link MAX_WAIT_S} seconds — the
 * instance was over its capacity (`CB_OVERLOADED`), not ready, or shutting down, and says when to
 * come back. At most {@link MAX_RETRIES} times, waiting what the server asked plus up to half of it
 * again at random, so the tabs a shed turned away do not all come back in the same instant; never
 * past the call's own time limit. Writes (a vote, a delegation, an action) are never repeated here:
 * the member sees the error and decides.
 */

/** Answers worth a second try, and only these. */
const RETRYABLE_CODES = new Set(['CB_OVERLOADED', 'CB_NOT_READY', 'CB_SHUTTING_DOWN']);
export const MAX_RETRIES = 2;
export const MAX_WAIT_S = 5;

export interface RetryQuestion {
  method: string;
  status: number;
  /** The error model's code, when the body had one. */
  code: string | undefined;
  /** The `Retry-After` header as sent (seconds; an HTTP date is not used by cb). */
  retryAfter: string | null;
  /** Retries already made for this call. */
  retries: number;
  /** Time left before the call's own limit, ms. */
  remainingMs: number;
  /** [0, 1): the jitter's draw. */
  random: number;
}

/** How long to wait before asking again, ms; undefined: do not ask again. */
export function retryDelayMs(q: RetryQuestion): number | undefined {
  if (q.method !== 'GET' || q.status !== 503 || q.retries >= MAX_RETRIES) return undefined;
  if (q.code === undefined || !RETRYABLE_CODES.has(q.code)) return undefined;
  if (q.retryAfter === null || !/^\d+$/.test(q.retryAfter.trim())) return undefined;
  const seconds = Number(q.retryAfter.trim());
  if (seconds > MAX_WAIT_S) return undefined;
  const ms = Math.max(seconds, 0.2) * 1000 * (1 + 0.5 * q.random);
  return ms < q.remainingMs ? Math.round(ms) : undefined;
}
