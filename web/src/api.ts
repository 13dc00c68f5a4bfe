/**
 * Every call to the API goes through `api()`: JSON in and out, a time limit, the house error model
 * turned into `ApiError { status, code, message, details }` (shown as is to the user), and each
 * call reported to RUM by route pattern (ok, error = network failure or 5xx, timeout, incomplete =
 * a 2xx whose body lacks what the page needs).
 *
 * Operators' calls carry the API key pasted into the console, kept in sessionStorage for this tab
 * only and sent as `Authorization: Bearer`.
 */
import { apiRouteOf } from '../../src/web/rum-catalogue.ts';
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
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.operator) {
    const key = operatorKey();
    if (key) headers.authorization = `Bearer ${key}`;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const t0 = performance.now();
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: controller.signal,
    });
  } catch (err) {
    clearTimeout(timer);
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
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  if (!response.ok) {
    rumApi(route, ms, response.status >= 500 ? 'error' : 'ok');
    const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(
      response.status,
      e?.code ?? `HTTP_${response.status}`,
      e?.message ?? `${response.status} ${response.statusText}`,
      e?.details,
    );
  }
  if (response.status !== 204 && (body === undefined || (options.check && !options.check(body)))) {
    rumApi(route, ms, 'incomplete');
    throw new ApiError(response.status, 'CLIENT_INCOMPLETE', 'the server answered without the expected data');
  }
  rumApi(route, ms, 'ok');
  return body as T;
}
