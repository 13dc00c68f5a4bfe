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
  ExposedUnavailableError,
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
  CB_APIKEY_SCOPE_WIDER: {
    status: 400,
    meaning:
      "A rotation keeps or narrows a key's scopes (`cb apikey rotate --scopes`): each must be granted by the old key's; create a new key for more access.",
  },
  CB_APIKEY_GRACE_INVALID: {
    status: 400,
    meaning: "A rotation's grace period (how long the old key keeps working) is 0 to 30 days.",
  },

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

  // ── Governance, chain, operations ──────────────────────────────────────────
  GOV_BAD_ADDRESS: {
    status: 400,
    meaning: 'Not a 0x address of 40 hex digits (mixed case must be a valid EIP-55 checksum).',
  },
  GOV_REQUEST_INVALID: {
    status: 400,
    meaning: 'The governance request does not have the documented shape; details.issues lists each problem.',
  },
  GOV_SIGNATURE_INVALID: {
    status: 401,
    meaning: 'The EIP-712 signature is not by the stated signer (EOA or ERC-1271 wallet).',
  },
  GOV_DOMAIN_MISMATCH: {
    status: 401,
    meaning:
      "The EIP-712 domain (name, version, chain id, contract) is not this platform's; sign with GET /v1/governance/domain.",
  },
  GOV_SIGNATURE_EXPIRED: {
    status: 401,
    meaning: 'The signed request is too old or dated in the future; sign it again.',
  },
  GOV_NOT_PROPOSER: {
    status: 403,
    meaning: 'Only the proposer (or a guardian key) may do this to the proposal.',
  },
  GOV_PROPOSAL_NOT_FOUND: { status: 404, meaning: 'No proposal has this id.' },
  GOV_PROPOSAL_NOT_ACTIVE: {
    status: 409,
    meaning: 'The proposal is not Active: ballots are taken only during its voting period.',
  },
  GOV_VOTE_CHANGE_NOT_ALLOWED: {
    status: 409,
    meaning: 'This proposal does not allow changing a vote once cast.',
  },
  GOV_NONCE_STALE: {
    status: 409,
    meaning: 'A newer signed request of this signer was already accepted; sign with a fresh nonce.',
  },
  GOV_NONCE_USED: { status: 409, meaning: 'This signed request was already used (a replay).' },
  GOV_CANCEL_NOT_ALLOWED: { status: 409, meaning: 'The proposal cannot be canceled in its current state.' },
  GOV_NOT_EXECUTABLE: {
    status: 409,
    meaning: 'The proposal is not Queued past its timelock, or its grace period has passed.',
  },
  GOV_EXECUTION_IN_PROGRESS: {
    status: 409,
    meaning: 'Another execution of this proposal is running; retry once it finishes.',
  },
  GOV_EXECUTION_PAUSED: {
    status: 409,
    meaning:
      'Proposal execution is paused by an operator (`cb pause execution`, an emergency stop); the proposal stays queued and can be executed once it is resumed.',
  },
  GOV_NO_VOTING_POWER: {
    status: 422,
    meaning: "The voter has no voting power at the proposal's snapshot block.",
  },
  GOV_BELOW_PROPOSAL_THRESHOLD: {
    status: 422,
    meaning: "The proposer's voting power at the latest confirmed block is below the proposal threshold.",
  },
  GOV_PROPOSAL_INVALID: {
    status: 422,
    meaning: 'The proposal or one of its actions is invalid or could not apply; details say which.',
  },
  GOV_SELF_DELEGATION: { status: 422, meaning: 'A member cannot delegate to themselves.' },
  GOV_BLOCK_NOT_INDEXED: { status: 422, meaning: 'The requested block is not indexed and confirmed yet.' },
  GOV_ONCHAIN_DISABLED: {
    status: 422,
    meaning:
      'On-chain actions are not available: no executor is configured (CB_EXECUTOR_KEY_FILE with RPC_URLS).',
  },
  GOV_SNAPSHOT_NOT_INDEXED: {
    status: 503,
    meaning:
      "The proposal's snapshot block is above the chain listener's applied block (it went back: a restore or a deep reorg); retry once it caught up.",
  },
  GOV_VERIFIER_UNAVAILABLE: {
    status: 503,
    meaning: 'Smart-wallet (ERC-1271) signatures cannot be checked: no chain connection; retry later.',
  },
  GOV_WEIGHT_SET_MISSING: {
    status: 500,
    meaning: 'The weight set a proposal was created with is missing (database tampered with).',
  },
  CHAIN_BADGE_ADDRESS_MISSING: { status: 500, meaning: 'RPC_URLS is set but CB_BADGE_ADDRESS is not.' },
  CHAIN_BADGE_NOT_FOUND: { status: 404, meaning: 'No badge has this token id.' },
  CHAIN_MINT_NOT_FOUND: { status: 404, meaning: 'No mint request has this id.' },
  CHAIN_MINT_NOT_FAILED: {
    status: 409,
    meaning: 'Only a failed (dead-lettered) mint request can be retried; details.status says what it is.',
  },
  CHAIN_BAD_TOKEN_ID: { status: 400, meaning: 'A token id is a positive whole number.' },
  CHAIN_BAD_ADDRESS: {
    status: 400,
    meaning: 'Not a 0x address of 40 hex digits (mixed case must be a valid EIP-55 checksum).',
  },
  CHAIN_BLOCK_NOT_INDEXED: {
    status: 409,
    meaning:
      'The block is above what the chain listener has processed (details.processedBlock; null before its first run): ask again later or for an earlier block.',
  },
  CHAIN_REPLAY_RANGE_INVALID: {
    status: 400,
    meaning: "The replay range is empty or goes beyond the listener's finalized block.",
  },
  CHAIN_CHECKPOINT_MOVED: {
    status: 409,
    meaning: 'Another listener moved the checkpoint meanwhile; the range is retried.',
  },
  CHAIN_INCONSISTENT_ANSWER: {
    status: 503,
    meaning:
      'The RPC endpoints gave answers that do not fit together (e.g. a log from an unknown block); retried.',
  },
  CHAIN_LOGS_TOO_LARGE: {
    status: 503,
    meaning: 'eth_getLogs refused a range as too large even at one block; check the endpoint.',
  },
  CHAIN_REORG_TOO_DEEP: {
    status: 500,
    meaning: 'A reorganisation deeper than the kept block hashes: run cb chain replay from before it.',
  },
  CHAIN_MINTER_KEY_INVALID: {
    status: 500,
    meaning: 'CB_MINTER_PRIVATE_KEY or the key file is not a usable private key (value never shown).',
  },
  CHAIN_MINTER_KEY_FILE_UNREADABLE: { status: 500, meaning: 'CB_MINTER_KEY_FILE cannot be read.' },
  CHAIN_MINTER_KEY_CONFLICT: {
    status: 500,
    meaning: 'Both CB_MINTER_PRIVATE_KEY and CB_MINTER_KEY_FILE are set: set one.',
  },
  CHAIN_MINTER_KEY_MISSING: {
    status: 500,
    meaning: 'A minter key is required (CB_MINTER_KEY_FILE or CB_MINTER_PRIVATE_KEY).',
  },
  CHAIN_EXECUTOR_KEY_INVALID: {
    status: 500,
    meaning: 'CB_EXECUTOR_PRIVATE_KEY or the key file is not a usable private key (value never shown).',
  },
  CHAIN_EXECUTOR_KEY_FILE_UNREADABLE: { status: 500, meaning: 'CB_EXECUTOR_KEY_FILE cannot be read.' },
  CHAIN_EXECUTOR_KEY_CONFLICT: {
    status: 500,
    meaning: 'Both CB_EXECUTOR_PRIVATE_KEY and CB_EXECUTOR_KEY_FILE are set: set one.',
  },
  CHAIN_MINTER_RPC_UNREACHABLE: {
    status: 503,
    meaning: 'The minter cannot reach the chain RPC at start-up.',
  },
  CHAIN_MINTER_WRONG_CHAIN: { status: 500, meaning: 'The RPC serves another chain than configured.' },
  CHAIN_MINTER_NO_CONTRACT: { status: 500, meaning: 'No contract code at CB_BADGE_ADDRESS on this chain.' },
  CHAIN_MINTER_ROLE_MISSING: {
    status: 500,
    meaning: 'The minter account lacks MINTER_ROLE on the badge contract: grant it.',
  },
  CHAIN_MINTER_NONCE_BEHIND: {
    status: 500,
    meaning: 'The chain knows fewer minter transactions than the database: another chain or a reset.',
  },
  CHAIN_MINTER_INSUFFICIENT_FUNDS: {
    status: 503,
    meaning: 'The minter account cannot pay for gas; fund it (cb_minter_balance_wei).',
  },
  CHAIN_MINTER_RECEIPT_MISMATCH: {
    status: 500,
    meaning:
      "A mined batch's BadgeMinted logs do not match its requests; they stay submitted for inspection.",
  },
  CHAIN_ROLES_SIGNER_NOT_ADMIN: {
    status: 403,
    meaning:
      'cb chain roles grant|revoke: the --admin-key-file account lacks DEFAULT_ADMIN_ROLE on the badge; nothing was sent.',
  },
  CHAIN_ROLES_LAST_ADMIN: {
    status: 409,
    meaning:
      'cb chain roles revoke admin: the account is the last admin found; grant another first, or pass --force.',
  },
  CHAIN_ROLES_ADMIN_KEY_INVALID: {
    status: 400,
    meaning:
      'The --admin-key-file cannot be read, is open to group or others (chmod 600), or holds no private key (never shown).',
  },
  CHAIN_ROLES_CHANGE_FAILED: {
    status: 500,
    meaning: 'The node refused the role change in simulation (nothing sent), or it was mined and reverted.',
  },
  CHAIN_ROLES_RECEIPT_TIMEOUT: {
    status: 503,
    meaning:
      'The role change was sent but no receipt came CB_CHAIN_CONFIRMATIONS deep in time: check cb chain roles before sending again.',
  },
  OPS_WEBHOOK_UNAUTHORIZED: {
    status: 401,
    meaning: 'The Alertmanager webhook bearer token is missing or wrong.',
  },
  OPS_WEBHOOK_NOT_CONFIGURED: {
    status: 503,
    meaning: 'No webhook token is configured (CB_ALERT_WEBHOOK_TOKEN[_FILE]); Alertmanager retries.',
  },
  OPS_INCIDENT_NOT_FOUND: { status: 404, meaning: 'No incident has this id.' },
  OPS_ACTION_NOT_FOUND: { status: 404, meaning: 'The incident has no action item with this id.' },
  OPS_RUNBOOK_NOT_FOUND: { status: 404, meaning: 'No runbook has this name (docs/runbooks/<name>.md).' },
  OPS_INCIDENT_STATE: {
    status: 409,
    meaning: "The action is not allowed in the incident's current state (details.state, details.action).",
  },
  OPS_POSTMORTEM_NOT_FOUND: {
    status: 404,
    meaning: 'No postmortem yet: it is written when the incident resolves.',
  },
  OPS_POSTMORTEM_UNEDITED: {
    status: 422,
    meaning: 'Closing needs a postmortem edited beyond the generated draft.',
  },
  OPS_OPTIONS_INVALID: {
    status: 500,
    meaning: 'Incident settings are invalid; start-up lists every problem.',
  },
  OPS_NOTIFY_FAILED: {
    status: 502,
    meaning: 'A notification provider failed or timed out; the delivery is retried.',
  },
  OPS_NOTIFY_REJECTED: {
    status: 502,
    meaning: 'A notification provider refused the message for good (4xx); dead-lettered.',
  },
  OPS_NOTIFY_NOT_CONFIGURED: {
    status: 500,
    meaning: 'The channel has no settings (SMTP, Slack webhook, SMS provider); dead-lettered.',
  },
  OPS_SMTP_FAILED: {
    status: 502,
    meaning: 'The SMTP conversation failed (4xx/connection: retried; 5xx: dead-lettered).',
  },
  OPS_MONITOR_BINARY_MISSING: {
    status: 500,
    meaning: 'Prometheus or Alertmanager is not installed; the message names the Debian package.',
  },
  OPS_MONITOR_CONFIG_INVALID: {
    status: 500,
    meaning: 'A shipped monitoring config is missing or has a placeholder without a value.',
  },
  OPS_MONITOR_START_FAILED: {
    status: 503,
    meaning: 'A monitoring process exited or never became ready; the message quotes its log.',
  },
  OPS_BACKUP_TOOL_MISSING: {
    status: 500,
    meaning:
      'pg_dump, pg_restore or psql is not on PATH: install postgresql-client (the server major version or newer).',
  },
  OPS_BACKUP_FAILED: {
    status: 500,
    meaning: 'A backup could not be completed; nothing was kept. The message quotes the tool.',
  },
  OPS_RESTORE_FAILED: {
    status: 500,
    meaning: 'A restore failed and was rolled back; the target is as it was. The message quotes the tool.',
  },
  OPS_BACKUP_NOT_FOUND: {
    status: 404,
    meaning: 'No backup of that id in the backup directory (cb backup list shows them).',
  },
  OPS_BACKUP_CORRUPT: {
    status: 422,
    meaning: "A backup's file does not match its manifest (size or SHA-256): do not restore it; use another.",
  },
  OPS_RESTORE_TARGET_NOT_EMPTY: {
    status: 409,
    meaning: 'The restore target holds data already: restore into an empty one, or pass --replace.',
  },
  OPS_BACKUP_DRIVER_MISMATCH: {
    status: 422,
    meaning:
      'An embedded (PGlite) backup restores into a data directory and a PostgreSQL one into PostgreSQL.',
  },
  OPS_BACKUP_KEY_INVALID: {
    status: 500,
    meaning:
      'CB_BACKUP_ENCRYPTION_KEY_FILE is unreadable, open to group or others (chmod 600 it), or not a 32-byte key in hex or base64.',
  },
  OPS_BACKUP_KEY_MISSING: {
    status: 422,
    meaning:
      'The backup is encrypted and no key is configured: set CB_BACKUP_ENCRYPTION_KEY_FILE to the key it was taken with.',
  },
  OPS_BACKUP_KEY_MISMATCH: {
    status: 422,
    meaning:
      'The backup was encrypted with another key (the message gives both key ids): point CB_BACKUP_ENCRYPTION_KEY_FILE at that key.',
  },
  OPS_BACKUP_AUTH_FAILED: {
    status: 422,
    meaning:
      "An encrypted backup's file fails authentication (altered, cut short or extended after it was encrypted); nothing of it was restored: use another.",
  },

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
  ACH_STREAMS_EXHAUSTED: {
    status: 503,
    meaning:
      'This instance has its maximum of Server-Sent Events streams open (CB_SSE_MAX_STREAMS): reconnect after Retry-After seconds (another instance may answer), or poll the non-stream route meanwhile.',
  },
  ACH_CATALOGUE_FILE_INVALID: {
    status: 400,
    meaning: 'The catalogue file is not YAML/JSON with a top-level achievements list.',
  },

  // ── Availability ───────────────────────────────────────────────────────────
  CB_NOT_READY: {
    status: 503,
    meaning: 'A dependency of this instance is down (GET /readyz names it); retry on another instance.',
  },
  CB_OVERLOADED: {
    status: 503,
    meaning:
      'The instance is over its capacity: serving its maximum of concurrent requests (CB_HTTP_MAX_IN_FLIGHT), or its requests wait for the database longer than CB_HTTP_MAX_QUEUE_MS; the message says which. Retry after Retry-After seconds.',
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
