/**
 * Errors of notification delivery. `retryable` steers the delivery job: a provider that is down or
 * answers 5xx/429 is retried with backoff; a refusal that will not change (4xx, SMTP 5xx, a channel
 * without settings) goes to the dead-letter queue at once.
 *
 * Messages never carry a secret: no webhook URL, token, password or API key — only the channel, the
 * provider's status and the first line of its answer (redacted).
 */
import { BaseError } from '../../platform/errors.ts';
import { redactString } from '../../platform/redact.ts';

export type NotifyErrorCode =
  | 'OPS_NOTIFY_FAILED'
  | 'OPS_NOTIFY_REJECTED'
  | 'OPS_NOTIFY_NOT_CONFIGURED'
  | 'OPS_SMTP_FAILED';

export class NotifyError extends BaseError {
  override name = 'NotifyError';
  constructor(
    code: NotifyErrorCode,
    message: string,
    options: { retryable: boolean; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, redactString(message), options);
  }
}

/** A provider answer worth retrying: 408, 425, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The first line of a provider's answer, short and redacted, for an error message. */
export function snippet(text: string, max = 200): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return redactString(line.length > max ? `${line.slice(0, max)}…` : line);
}

/** What an error or an abort reason says (an Error's message, or the value). */
export function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
