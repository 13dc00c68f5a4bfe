/**
 * One HTTP POST to a notification provider with a time limit, turned into a `NotifyError` when it
 * fails: network trouble, timeouts, 408/425/429 and 5xx are retryable; other non-2xx are not.
 * `target` names the destination in errors (never the URL, which may be a secret).
 */
import { isRetryableStatus, NotifyError, reasonText, snippet } from './errors.ts';

export interface PostOptions {
  url: string;
  /** How the destination is named in errors: `slack webhook "ops"`, `sms provider`. */
  target: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Stops the request (the caller ran out of time); its reason is named in the error. */
  signal?: AbortSignal | undefined;
}

export interface PostResult {
  status: number;
  text: string;
}

export async function httpPost(options: PostOptions): Promise<PostResult> {
  let response: Response;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: options.headers,
      body: options.body,
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
      redirect: 'error',
    });
  } catch (err) {
    const reason = options.signal?.aborted
      ? `stopped: ${reasonText(options.signal.reason)}`
      : (err as Error).name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs} ms`
        : ((err as { cause?: { code?: string } }).cause?.code ?? 'request failed');
    // The cause is dropped on purpose: undici's errors can carry the URL.
    throw new NotifyError('OPS_NOTIFY_FAILED', `${options.target}: ${reason}`, { retryable: true });
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return { status: response.status, text };
  const retryable = isRetryableStatus(response.status);
  throw new NotifyError(
    retryable ? 'OPS_NOTIFY_FAILED' : 'OPS_NOTIFY_REJECTED',
    `${options.target} answered ${response.status}: ${snippet(text)}`,
    { retryable, details: { status: response.status } },
  );
}
