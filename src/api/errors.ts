/**
 * The HTTP error model and the one table of error codes.
 *
 * Every error reply is `{ "error": { "code": "CB_…", "message": "…", "details"?: … } }`. Only this
 * file maps a code to a status (domains never speak HTTP). The status of a thrown BaseError is, in
 * order: its code's row in {@link ERROR_CODES}; else its class (ValidationError 400,
 * UnauthorizedError 401, ForbiddenError 403, NotFoundError 404, ConflictError 409,
 * RuleViolationError 422, UnavailableError 503); else 500. A domain adds its codes here — that is
 * also how a plain BaseError "says otherwise" than 500.
 *
 * 4xx replies carry the error's own message and details (written for the caller). 5xx replies never
 * carry internals: the code plus the code's meaning from the table (or a generic sentence); the
 * real error goes to the log only.
 *
 * `docs/errors.md` is generated from, and checked against, {@link ERROR_CODES}.
 */
import { Type } from 'typebox';
import {
  BaseError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../platform/errors.ts';
import { redactString } from '../platform/redact.ts';
import { WEB_CODES } from '../web/errors.ts';

/** One row of the code table. */
export interface ErrorCodeInfo {
  /** HTTP status sent for this code. */
  readonly status: number;
  /** One line: what happened and what the caller can do. */
  readonly meaning: string;
}

/** Every error code of the platform and the HTTP edge: code → status and one-line meaning. */
export const ERROR_CODES = {
  // ── Request shape ──────────────────────────────────────────────────────────
  CB_VALIDATION: {
    status: 400,
    meaning: 'The request does not match the route schema; details.issues lists each { path, message }.',
  },
  CB_BAD_JSON: {
    status: 400,
    meaning: 'The body is empty or not valid JSON although Content-Type says application/json.',
  },
  CB_BAD_REQUEST: {
    status: 400,
    meaning:
      'The request is malformed in another way (Content-Length mismatch, bad Content-Encoding, bad URL).',
  },
  CB_BODY_TOO_LARGE: {
    status: 413,
    meaning: 'The body is larger than CB_BODY_LIMIT_BYTES; send smaller batches.',
  },
  CB_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'No parser for the Content-Type of the body; send application/json.',
  },
  CB_ROUTE_NOT_FOUND: { status: 404, meaning: 'No route matches this method and path (see /openapi.json).' },
  CB_NOT_FOUND: { status: 404, meaning: 'The requested resource does not exist.' },

  // ── Auth and limits ────────────────────────────────────────────────────────
  CB_UNAUTHORIZED: {
    status: 401,
    meaning:
      'No API key was sent, or it is malformed, unknown or revoked; send Authorization: Bearer cbk_… or X-API-Key.',
  },
  CB_FORBIDDEN: {
    status: 403,
    meaning: 'The API key is valid but lacks the scope the route requires; details.requiredScope names it.',
  },
  CB_RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests for this API key (or IP without a key); retry after Retry-After seconds.',
  },

  // ── API keys ───────────────────────────────────────────────────────────────
  CB_APIKEY_NAME_INVALID: {
    status: 400,
    meaning: 'An API key name is 1-64 of A-Z a-z 0-9 . _ - and starts with a letter or digit.',
  },
  CB_APIKEY_SCOPE_INVALID: {
    status: 400,
    meaning: 'A scope is "admin" or "<resource>:<action>" in lower case, and a key needs at least one.',
  },
  CB_APIKEY_NAME_TAKEN: {
    status: 409,
    meaning: 'An active API key already has this name; revoke it or choose another.',
  },
  CB_APIKEY_NOT_FOUND: { status: 404, meaning: 'No active API key has this id or name.' },

  // ── Cache ──────────────────────────────────────────────────────────────────
  CB_CACHE_INVALID_ARGUMENT: {
    status: 500,
    meaning: 'A cache namespace, key, TTL or size is invalid (a programming error; the message names it).',
  },
  CB_CACHE_VALUE_UNSERIALIZABLE: {
    status: 500,
    meaning: 'A value given to the cache cannot be stored as JSON (undefined, function, Map, cycle).',
  },
  CB_REDIS_UNAVAILABLE: {
    status: 503,
    meaning: 'Redis is configured but unreachable; the cache serves from memory and the source.',
  },

  // ── Jobs ───────────────────────────────────────────────────────────────────
  CB_JOB_DEFINITION_INVALID: {
    status: 500,
    meaning: 'A job definition is invalid (programming error); every problem is listed.',
  },
  CB_JOB_PAYLOAD_INVALID: {
    status: 400,
    meaning: 'A job payload fails its schema; at a worker the job goes straight to the dead-letter queue.',
  },
  CB_JOB_TIMEOUT: {
    status: 500,
    meaning: 'A job ran past its expireInSeconds; it was aborted and will be retried.',
  },
  CB_JOBS_STOPPING: {
    status: 503,
    meaning: 'The process is stopping; the job was handed back to its queue.',
  },
  CB_JOBS_NOT_RUNNING: {
    status: 503,
    meaning: 'The job system of this instance is not started; retry on another instance.',
  },
  CB_JOBS_START_FAILED: {
    status: 503,
    meaning: 'The job queue could not start (database trouble); the message says why.',
  },
  CB_JOBS_ALREADY_STARTED: {
    status: 500,
    meaning: 'A worker was registered after start, or start was called twice (programming error).',
  },
  CB_JOB_ALREADY_REGISTERED: {
    status: 500,
    meaning: 'Two workers were registered for one queue (programming error).',
  },
  CB_JOBS_OPTIONS_INVALID: {
    status: 500,
    meaning: 'A job system option or the CB_JOBS_SCHEMA name is invalid.',
  },
  CB_JOB_QUEUE_NOT_FOUND: { status: 404, meaning: 'No such queue, or the queue has no dead-letter queue.' },
  CB_JOB_NOT_FOUND: { status: 404, meaning: 'No dead-lettered job has this id in this queue.' },

  // ── Chain ──────────────────────────────────────────────────────────────────
  CB_RPC_UNAVAILABLE: {
    status: 503,
    meaning:
      'No RPC endpoint answered (failed, timed out, circuit open or wrong chain); details.endpoints says why each.',
  },
  CB_RPC_WRONG_CHAIN: {
    status: 500,
    meaning:
      'An RPC endpoint serves another chain than CB_CHAIN_ID (or the endpoints disagree); fix RPC_URLS.',
  },
  CHAIN_IDENTITY_CHANGED: {
    status: 500,
    meaning:
      'The database holds chain state for another chain or contract; check RPC_URLS, CB_CHAIN_ID, CB_BADGE_ADDRESS.',
  },
  CB_RPC_ENDPOINTS_INVALID: {
    status: 500,
    meaning: 'RPC_URLS cannot build a pool: empty, a bad or repeated name, or an unsupported URL scheme.',
  },

  // ── Web console (src/web/errors.ts) ─────────────────────────────────────────
  ...WEB_CODES,

  // ── Achievements ───────────────────────────────────────────────────────────
  ACH_BATCH_TOO_LARGE: { status: 413, meaning: 'More than 1000 events in one request; split the batch.' },
  ACH_BAD_ADDRESS: {
    status: 400,
    meaning: 'Not a 0x address of 40 hex digits, or mixed case with a wrong EIP-55 checksum.',
  },
  CB_BAD_CURSOR: {
    status: 400,
    meaning: 'The cursor was not returned by this API; start again without one.',
  },
  ACH_DEFINITION_INVALID: {
    status: 422,
    meaning:
      'The achievement definition is invalid; details.issues gives the path and problem of each bad field.',
  },
  ACH_ACHIEVEMENT_EXISTS: { status: 409, meaning: 'An achievement with this id exists; change it with PUT.' },
  ACH_ACHIEVEMENT_NOT_FOUND: {
    status: 404,
    meaning: 'No achievement has this id (hidden ones need the admin scope).',
  },
  ACH_EVENT_NOT_FOUND: { status: 404, meaning: 'No event with this id was received from this source.' },
  ACH_CATALOGUE_FILE_INVALID: {
    status: 400,
    meaning: 'The catalogue file is not YAML/JSON with a top-level achievements list.',
  },

  // ── Availability ───────────────────────────────────────────────────────────
  CB_NOT_READY: {
    status: 503,
    meaning: 'A dependency of this instance is down (GET /readyz names it); retry on another instance.',
  },
  CB_SHUTTING_DOWN: {
    status: 503,
    meaning: 'This instance is shutting down and takes no new requests; retry on another instance.',
  },
  CB_DB_UNAVAILABLE: { status: 503, meaning: 'The database is unreachable; retry later.' },
  CB_INTERNAL: {
    status: 500,
    meaning: 'An unexpected error; the server log has the details under the response traceparent.',
  },

  // ── Start-up and operations (never a reply; listed so every code is in one place) ──
  CB_CONFIG_INVALID: {
    status: 500,
    meaning: 'A setting is invalid; the process does not start and the message lists every bad setting.',
  },
  CB_DATA_DIR_LOCKED: {
    status: 503,
    meaning: 'Another process holds the embedded database directory; stop it or use another CB_DATA_DIR.',
  },
  CB_MIGRATION_CHANGED: {
    status: 500,
    meaning: 'An applied migration file was edited; restore it and add a new migration instead.',
  },
  CB_MIGRATION_FAILED: {
    status: 500,
    meaning: 'A migration failed and was rolled back; the message names it and the database error.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error reply. */
export interface ErrorReply {
  error: { code: string; message: string; details?: unknown };
}

/** JSON schema of {@link ErrorReply} (OpenAPI). */
export const ErrorReplySchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code, see the error table.' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorReply', title: 'ErrorReply', description: 'Every error reply has this shape.' },
);

/**
 * An UnavailableError whose message and details are meant for the caller although it is a 503
 * (the readiness report names the failing dependency and why). Other 5xx never expose either.
 */
export class ExposedUnavailableError extends UnavailableError {
  override name = 'ExposedUnavailableError';
}

/** What an error becomes on the wire. */
export interface MappedError {
  status: number;
  code: string;
  body: ErrorReply;
}

/** Options of {@link mapError}. */
export interface MapErrorOptions {
  /** Named in the 413 message. */
  bodyLimitBytes?: number | undefined;
}

/** Maps anything thrown while serving a request to its status and error reply (rules above). */
export function mapError(error: unknown, options: MapErrorOptions = {}): MappedError {
  if (error instanceof BaseError) return fromBaseError(error);
  const e = (error ?? {}) as {
    code?: unknown;
    statusCode?: unknown;
    validation?: unknown;
    validationContext?: unknown;
    message?: unknown;
  };
  if (Array.isArray(e.validation)) {
    const issues = validationIssues(
      e.validation,
      typeof e.validationContext === 'string' ? e.validationContext : '',
    );
    return reply('CB_VALIDATION', summarize(issues), { issues });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply('CB_BAD_JSON', 'the body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(options);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply('CB_UNSUPPORTED_MEDIA_TYPE', 'unsupported Content-Type; send application/json');
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return tooLarge(options);
  if (status === 415)
    return reply('CB_UNSUPPORTED_MEDIA_TYPE', 'unsupported Content-Type or Content-Encoding');
  if (status >= 400 && status < 500) {
    const message = typeof e.message === 'string' && e.message ? redactString(e.message) : 'bad request';
    return reply('CB_BAD_REQUEST', message);
  }
  return reply('CB_INTERNAL', 'internal error');
}

/** The error reply for `code` (status from the table). */
export function errorReply(code: ErrorCode, message: string, details?: unknown): MappedError {
  return reply(code, message, details);
}

function reply(code: ErrorCode, message: string, details?: unknown): MappedError {
  return {
    status: ERROR_CODES[code].status,
    code,
    body: { error: { code, message, ...(details === undefined ? {} : { details }) } },
  };
}

function tooLarge(options: MapErrorOptions): MappedError {
  const limit = options.bodyLimitBytes === undefined ? '' : ` of ${options.bodyLimitBytes} bytes`;
  return reply('CB_BODY_TOO_LARGE', `the body is larger than the limit${limit}`);
}

function statusOfClass(error: BaseError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof RuleViolationError) return 422;
  if (error instanceof UnavailableError) return 503;
  return 500;
}

function fromBaseError(error: BaseError): MappedError {
  const known: ErrorCodeInfo | undefined = (ERROR_CODES as Record<string, ErrorCodeInfo>)[error.code];
  const status = known?.status ?? statusOfClass(error);
  if (status < 500 || error instanceof ExposedUnavailableError) {
    return {
      status,
      code: error.code,
      body: {
        error: {
          code: error.code,
          message: redactString(error.message),
          ...(error.details === undefined ? {} : { details: error.details }),
        },
      },
    };
  }
  const message =
    known?.meaning ?? (status === 503 ? 'a dependency is unavailable; retry later' : 'internal error');
  return { status, code: error.code, body: { error: { code: error.code, message } } };
}

/** `{ path, message }` per schema violation; path is `<part>.<field>…` (`body.items.0.name`). */
function validationIssues(errors: unknown[], part: string): { path: string; message: string }[] {
  return errors.map((raw) => {
    const err = raw as {
      instancePath?: string;
      keyword?: string;
      message?: string;
      params?: Record<string, unknown>;
    };
    const segments = (err.instancePath ?? '')
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const extra = err.params?.missingProperty ?? err.params?.additionalProperty;
    if (typeof extra === 'string') segments.push(extra);
    const path = [part, ...segments].filter(Boolean).join('.') || part || '(root)';
    let message = err.message ?? 'is invalid';
    if (err.keyword === 'required') message = 'is required';
    if (err.keyword === 'additionalProperties') message = 'is not allowed';
    return { path, message };
  });
}

function summarize(issues: { path: string; message: string }[]): string {
  const first = issues[0];
  if (!first) return 'the request is invalid';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `invalid request: ${first.path} ${first.message}${more}`;
}
