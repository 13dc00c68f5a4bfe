/**
 * Errors carry a stable `code` and say what to do about them.
 *
 * - `retryable` tells a job runner (or a caller) whether trying again can help.
 * - Only the HTTP edge maps a code to a status (`src/api/errors.ts`); domains never speak HTTP.
 * - Every code is listed in `docs/errors.md`; a code is never reused for another cause.
 */
export type ErrorDetails = Record<string, unknown>;

export interface BaseErrorOptions {
  details?: ErrorDetails | undefined;
  cause?: unknown;
  retryable?: boolean | undefined;
}

export class BaseError extends Error {
  override name = 'BaseError';
  readonly code: string;
  readonly details: ErrorDetails | undefined;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: BaseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** Input that fails validation (400). `details.issues` lists `{ path, message }`. */
export class ValidationError extends BaseError {
  override name = 'ValidationError';
  constructor(message: string, issues: { path: string; message: string }[] = [], code = 'CB_VALIDATION') {
    super(code, message, { details: { issues } });
  }
}

/** A domain rule refused a well-formed request (422). */
export class RuleViolationError extends BaseError {
  override name = 'RuleViolationError';
}

export class NotFoundError extends BaseError {
  override name = 'NotFoundError';
  constructor(message: string, code = 'CB_NOT_FOUND', details?: ErrorDetails) {
    super(code, message, { details });
  }
}

export class ConflictError extends BaseError {
  override name = 'ConflictError';
}

export class UnauthorizedError extends BaseError {
  override name = 'UnauthorizedError';
  constructor(message = 'a valid API key is required', code = 'CB_UNAUTHORIZED') {
    super(code, message);
  }
}

export class ForbiddenError extends BaseError {
  override name = 'ForbiddenError';
  constructor(message: string, code = 'CB_FORBIDDEN', details?: ErrorDetails) {
    super(code, message, { details });
  }
}

/** A dependency (database, Redis, RPC) is unreachable; retrying later can help (503). */
export class UnavailableError extends BaseError {
  override name = 'UnavailableError';
  constructor(code: string, message: string, options: Omit<BaseErrorOptions, 'retryable'> = {}) {
    super(code, message, { ...options, retryable: true });
  }
}

/**
 * An UnavailableError whose message and details are meant for the caller although it is a 503
 * (the readiness report names the failing dependency and why; a vote names the snapshot block the
 * listener has not reached). The API never exposes those of other 5xx.
 */
export class ExposedUnavailableError extends UnavailableError {
  override name = 'ExposedUnavailableError';
}

/** Configuration that cannot start the process; one issue per bad setting. */
export class ConfigError extends BaseError {
  override name = 'ConfigError';
  readonly issues: readonly { setting: string; message: string }[];
  constructor(issues: { setting: string; message: string }[]) {
    super('CB_CONFIG_INVALID', issues.map((i) => `${i.setting}: ${i.message}`).join('\n'));
    this.issues = issues;
  }
}

/** Short, safe description of any thrown value, for logs and job records. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof BaseError) {
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      details: error.details,
      stack: error.stack,
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(code === undefined ? {} : { code }),
      stack: error.stack,
    };
  }
  return { message: String(error) };
}
