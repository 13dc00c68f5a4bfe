/**
 * Every call to the API goes through `api()`: JSON in and out, a time limit, the house error model
 * turned into `ApiError { status, code, message, details }` (shown as is to the user), and each
 * call reported to RUM by route pattern (ok, error = network failure or 5xx, timeout, incomplete =
 * a 2xx whose body lacks what the page needs). A read the server turned away for a moment (503 with
 * Retry-After: over capacity, not ready, shutting down) is asked again first (retry-policy.ts).
 *
 * Operators' calls carry the API key pasted into the console, kept in sessionStorage for this tab
 * only and sent as `Authorization: Bearer`.
 */
import { apiRouteOf } from '../../src/web/rum-catalogue.ts';
import { retryDelayMs } from './retry-policy.ts';
import { rumApi } from './rum.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Send the operator's API key. */
  operator?: boolean;
  /** @defaultValue 10_000 */
  timeoutMs?: number;
  /** Returns false when a 2xx body lacks what the caller needs (reported as incomplete). */
  check?: (body: unknown) => boolean;
}

const KEY = 'cb.operatorKey';

export function operatorKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setOperatorKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: the key lasts as long as the page
  }
  window.dispatchEvent(new Event('cb:operator'));
}

/** True when the route does not exist on this server yet (a module not deployed). */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'CB_ROUTE_NOT_FOUND';
}

export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const route = apiRouteOf(path);
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.operator) {
    const key = operatorKey();
    if (key) headers.authorization = `Bearer ${key}`;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controller = new AbortController();
  // One limit for the call, retries included (retry-policy.ts).
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const t0 = performance.now();
  try {
    for (let retries = 0; ; retries++) {
      let response: Response;
      try {
        response = await fetch(path, {
          method,
          headers,
          body: options.body === undefined ? null : JSON.stringify(options.body),
          credentials: 'same-origin',
          signal: controller.signal,
        });
      } catch (err) {
        const timedOut = controller.signal.aborted;
        rumApi(route, performance.now() - t0, timedOut ? 'timeout' : 'error');
        throw timedOut
          ? new ApiError(0, 'CLIENT_TIMEOUT', `no answer from the server within ${timeoutMs / 1000} s`)
          : new ApiError(0, 'CLIENT_NETWORK', `the server could not be reached (${(err as Error).message})`);
      }
      let body: unknown;
      try {
        const text = await response.text();
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      // RUM gets the call as the member lived it: one outcome, retries and waits included.
      const ms = performance.now() - t0;
      if (!response.ok) {
        const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
          ?.error;
        const wait = retryDelayMs({
          method,
          status: response.status,
          code: e?.code,
          retryAfter: response.headers.get('retry-after'),
          retries,
          remainingMs: timeoutMs - ms,
          random: Math.random(),
        });
        if (wait !== undefined) {
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        rumApi(route, ms, response.status >= 500 ? 'error' : 'ok');
        throw new ApiError(
          response.status,
          e?.code ?? `HTTP_${response.status}`,
          e?.message ?? `${response.status} ${response.statusText}`,
          e?.details,
        );
      }
      if (response.status !== 204 && (body === undefined || (options.check && !options.check(body)))) {
        rumApi(route, ms, 'incomplete');
        throw new ApiError(
          response.status,
          'CLIENT_INCOMPLETE',
          'the server answered without the expected data',
        );
      }
      rumApi(route, ms, 'ok');
      return body as T;
    }
  } finally {
    clearTimeout(timer);
  }
}
