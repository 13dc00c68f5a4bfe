/**
 * The one configuration schema. Read once at boot from the environment, every problem reported at
 * once, then frozen. Nothing else in the code reads `process.env`.
 *
 * Each setting declares its env var, default and meaning; `docs/configuration.md` and the README's
 * reference table are checked against this list by a test.
 */

import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import cronParser from 'cron-parser';
import { ConfigError } from './errors.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface RpcEndpointConfig {
  /** Name used in metrics and logs (never the URL, which may carry a key). */
  name: string;
  url: string;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Start of every Redis key and pub/sub channel cb uses (see redis-key-prefixes.ts). */
  redisKeyPrefix: string;
  rpcEndpoints: readonly RpcEndpointConfig[];
  instance: string;
  logLevel: LogLevel;
  logPretty: boolean;
  logDir: string | undefined;
  logRetentionDays: number;
  /** Warm tier: where log files leaving the hot window are kept, gzip-compressed (log-tiers.ts). */
  logArchiveDir: string | undefined;
  logArchiveDays: number;
  /** Cold tier: where archived files go after CB_LOG_ARCHIVE_DAYS; cb never deletes from it. */
  logColdDir: string | undefined;
  dbPoolMax: number;
  dbSlowQueryMs: number;
  dbSlowQueryRetentionDays: number;
  dbSampleIntervalMs: number;
  shutdownGraceMs: number;
  bodyLimitBytes: number;
  compressThresholdBytes: number;
  rateLimitMax: number;
  httpMaxInFlight: number;
  /** Longest wait of the database queue's head before new requests are shed, ms (0: off). */
  httpMaxQueueMs: number;
  sseMaxStreams: number;
  sseMaxStreamMs: number;
  ssePollIntervalMs: number;
  apiKeyMaxAgeDays: number;
  apiKeyUnusedDays: number;
  rateLimitWindowMs: number;
  corsOrigins: readonly string[];
  /** Which peers' X-Forwarded-For to believe: none (false), a hop count, or proxy addresses/CIDRs. */
  trustProxy: false | number | readonly string[];
  cacheMaxEntries: number;
  cacheTtlMs: number;
  jobsPollIntervalMs: number;
  jobsSchema: string;
  hostSampleIntervalMs: number;
  readyTimeoutMs: number;
  readySampleIntervalMs: number;
  eventWorkers: number;
  eventBatchSize: number;
  eventSources: readonly string[];
  eventTypes: readonly string[];
  publicUrl: string | undefined;
  /** Block explorer base URL, without a trailing slash. */
  explorerUrl: string | undefined;
  chainId: number | undefined;
  badgeAddress: string | undefined;
  minterPrivateKey: string | undefined;
  minterKeyFile: string | undefined;
  executorPrivateKey: string | undefined;
  executorKeyFile: string | undefined;
  chainStartBlock: number;
  chainConfirmations: number;
  chainPollIntervalMs: number;
  listenerChunkBlocks: number;
  listenerConcurrency: number;
  chainReconcileSchedule: string | undefined;
  chainReconcileFix: boolean;
  rpcTimeoutMs: number;
  rpcHedgeAfterMs: number;
  rpcMaxLagBlocks: number;
  mintBatchSize: number;
  mintMaxFeeGwei: number;
  mintReplaceAfterMs: number;
  sessionSecret: string | undefined;
  sessionTtlMs: number;
  governanceVotingDelaySeconds: string | undefined;
  governanceVotingPeriodSeconds: string | undefined;
  governanceQuorum: string | undefined;
  governanceApprovalThreshold: string | undefined;
  governanceProposalThreshold: string | undefined;
  governanceTimelockSeconds: string | undefined;
  governanceExecutionGraceSeconds: string | undefined;
  governanceLateBallotGraceSeconds: string | undefined;
  governanceAllowVoteChange: string | undefined;
  governanceCategoryMultipliers: string | undefined;
  governanceTierMultipliers: string | undefined;
  governancePowerCacheTtlMs: number;
  governanceSignatureWorkers: number;
  alertWebhookToken: string | undefined;
  alertWebhookTokenFile: string | undefined;
  incidentTimeZone: string | undefined;
  incidentWorkingDays: string | undefined;
  incidentWorkingHours: string | undefined;
  incidentHolidays: string | undefined;
  incidentResponseTargets: string | undefined;
  incidentUpdateEvery: string | undefined;
  incidentActionRemindEvery: string | undefined;
  incidentChannels: string | undefined;
  incidentEscalation: string | undefined;
  oncallEmail: string | undefined;
  oncallSms: string | undefined;
  oncallPhone: string | undefined;
  smtpUrl: string | undefined;
  smtpFrom: string | undefined;
  slackWebhookUrls: string | undefined;
  externalHeartbeatUrl: string | undefined;
  twilioBaseUrl: string | undefined;
  twilioAccountSid: string | undefined;
  twilioAuthToken: string | undefined;
  twilioFrom: string | undefined;
  twilioVoiceUrl: string | undefined;
  notifyRetryLimit: number;
  notifyRetryDelaySeconds: number;
  /** No AlertingHeartbeat for this many minutes opens AlertingPipelineSilent. */
  alertHeartbeatTimeoutMinutes: number;
  backupDir: string | undefined;
  backupSchedule: string | undefined;
  backupKeep: number;
  /** File holding the 32-byte key new backups are encrypted with (read by `cb backup`, checked at start). */
  backupEncryptionKeyFile: string | undefined;
  auditRetentionDays: number;
  capacitySchedule: string | undefined;
  crossSystemSchedule: string | undefined;
  rtoSeconds: number;
  rpoSeconds: number;
  walArchiveMaxAgeSeconds: number;
}

type Parser<T> = (raw: string) => T;

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  /** Shown in docs; `undefined` means "unset". */
  defaultText: string;
  description: string;
  default: () => Config[K];
  parse: Parser<Config[K]>;
  /** The value is a secret: never shown, not even in a redacted snapshot. */
  secret?: boolean;
}

class SettingProblem extends Error {}

const int =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new SettingProblem(`must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new SettingProblem(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };

/** The spellings of a yes/no setting, for the messages that list them. */
export const SWITCH_SPELLINGS = '1/0, true/false, yes/no or on/off';

/** 1/0, true/false, yes/no or on/off (any case, spaces around ignored); undefined for anything else. */
export function switchValue(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  return undefined;
}

const bool: Parser<boolean> = (raw) => {
  const value = raw.trim() === '' ? false : switchValue(raw);
  if (value === undefined) throw new SettingProblem(`must be ${SWITCH_SPELLINGS}, got "${raw}"`);
  return value;
};

const url =
  (protocols: string[]): Parser<string> =>
  (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw.trim());
    } catch {
      throw new SettingProblem('is not a valid URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new SettingProblem(`must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
    }
    return raw.trim();
  };

const nonEmpty: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new SettingProblem('must not be empty');
  return raw.trim();
};

const rpcEndpoints: Parser<readonly RpcEndpointConfig[]> = (raw) => {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new SettingProblem('lists no endpoint');
  const seen = new Set<string>();
  return parts.map((part, i) => {
    const eq = part.indexOf('=');
    const hasName = eq > 0 && !part.slice(0, eq).includes(':');
    const name = hasName ? part.slice(0, eq) : `rpc${i + 1}`;
    const u = hasName ? part.slice(eq + 1) : part;
    if (!/^[a-zA-Z0-9_-]{1,40}$/.test(name))
      throw new SettingProblem(`endpoint name "${name}" must be 1-40 of a-z 0-9 _ -`);
    if (seen.has(name)) throw new SettingProblem(`endpoint name "${name}" is used twice`);
    seen.add(name);
    try {
      url(['http:', 'https:', 'ws:', 'wss:'])(u);
    } catch (e) {
      throw new SettingProblem(`endpoint "${name}" ${(e as Error).message}`);
    }
    return { name, url: u };
  });
};

const hexAddress: Parser<string> = (raw) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw.trim()))
    throw new SettingProblem('must be a 0x address of 40 hex digits');
  return raw.trim();
};

const privateKey: Parser<string> = (raw) => {
  // The value is never echoed: a typo in a key must not leak the rest of it into a log.
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw.trim()))
    throw new SettingProblem('must be 0x followed by 64 hex digits (value not shown)');
  return raw.trim();
};

const secret =
  (minLength: number): Parser<string> =>
  (raw) => {
    if (raw.length < minLength)
      throw new SettingProblem(`must be at least ${minLength} characters (value not shown)`);
    return raw;
  };

const cron: Parser<string> = (raw) => {
  const v = raw.trim();
  if (v.split(/\s+/).length !== 5)
    throw new SettingProblem(
      `must be a five-field cron expression (minute hour day month weekday), got "${raw}"`,
    );
  try {
    cronParser.parseExpression(v, { tz: 'UTC' }).next();
  } catch (err) {
    throw new SettingProblem(`is not a valid cron expression: ${(err as Error).message}`);
  }
  return v;
};

const list: Parser<readonly string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * `false`/`off`/`0`/empty: trust nobody; a whole number N ≥ 1: the N proxies nearest to us; else a
 * comma-separated list of proxy addresses or CIDR ranges (IPv4 or IPv6). `true` (trust every
 * peer) is refused: any client could then choose its own address and escape the per-IP rate limit.
 */
const trustProxy: Parser<false | number | readonly string[]> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (/^\d+$/.test(v) && v !== '0') return int(1, 10)(v);
  const trust = v === '' ? false : switchValue(v);
  if (trust === false) return false;
  if (trust === true)
    throw new SettingProblem(
      'must name the proxies (addresses or CIDR ranges) or how many there are in front of cb — trusting every peer would let any client pick its own IP',
    );
  const entries = list(raw);
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    const maxPrefix = family === 4 ? 32 : 128;
    const badPrefix = prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxPrefix);
    if (family === 0 || badPrefix || rest.length > 0)
      throw new SettingProblem(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
  }
  return entries;
};

const logLevel: Parser<LogLevel> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error' || v === 'fatal') return v;
  throw new SettingProblem(`must be one of debug, info, warn, error, fatal, got "${raw}"`);
};

/** Longest CB_REDIS_KEY_PREFIX: it is repeated in every key, so Redis stores it once per entry. */
const MAX_REDIS_KEY_PREFIX = 64;

/**
 * Letters, digits and `_ - . :`: nothing a person must quote in redis-cli, and none of the glob
 * characters (`* ? [ ] \`) that a SCAN or KEYS pattern built from it (`cb reconcile cache`, an
 * operator's `--scan --pattern 'cb:*'`) would read as a wildcard. It must end with `:`, since
 * each component appends its own part (`c:`, `ratelimit:`): `staging` would give `stagingc:…`.
 */
const redisKeyPrefix: Parser<string> = (raw) => {
  const v = raw.trim();
  if (v === '') throw new SettingProblem('must not be blank (unset, it is cb:)');
  if (v.length > MAX_REDIS_KEY_PREFIX)
    throw new SettingProblem(
      `must be at most ${MAX_REDIS_KEY_PREFIX} characters (it starts every key), got ${v.length}`,
    );
  if (!/^[A-Za-z0-9_.:-]+$/.test(v))
    throw new SettingProblem(
      `may hold only letters, digits and _ - . : (no spaces, quotes or the * ? [ ] \\ of key patterns), got "${raw}"`,
    );
  if (!v.endsWith(':'))
    throw new SettingProblem(`must end with ":" (each component adds its own part after it), e.g. "${v}:"`);
  return v;
};

const schemaName: Parser<string> = (raw) => {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(raw)) throw new SettingProblem('must be a lower-case SQL identifier');
  return raw;
};

function setting<K extends keyof Config>(s: Setting<K>): Setting<K> {
  return s;
}

/** Every setting, in the order the docs list them. */
export const SETTINGS = [
  setting({
    key: 'host',
    env: 'CB_HOST',
    defaultText: '127.0.0.1',
    description: 'Address the HTTP server listens on.',
    default: () => '127.0.0.1',
    parse: nonEmpty,
  }),
  setting({
    key: 'port',
    env: 'CB_PORT',
    defaultText: '3000',
    description: 'HTTP port (0 picks a free one; the URL is logged).',
    default: () => 3000,
    parse: int(0, 65535),
  }),
  setting({
    key: 'dataDir',
    env: 'CB_DATA_DIR',
    defaultText: './.cb-data',
    description: 'Directory of the embedded database (PGlite) and local state.',
    default: () => './.cb-data',
    parse: nonEmpty,
  }),
  setting({
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    defaultText: '(unset: embedded PGlite)',
    description: 'PostgreSQL connection URL. When set, PostgreSQL replaces the embedded database.',
    default: () => undefined,
    parse: url(['postgres:', 'postgresql:']),
  }),
  setting({
    key: 'redisUrl',
    env: 'REDIS_URL',
    defaultText: '(unset: in-process cache only)',
    description: 'Redis URL for the shared L2 cache, cross-instance invalidation and rate limits.',
    default: () => undefined,
    parse: url(['redis:', 'rediss:']),
  }),
  setting({
    key: 'redisKeyPrefix',
    env: 'CB_REDIS_KEY_PREFIX',
    defaultText: 'cb:',
    description:
      'Start of every key and pub/sub channel cb uses in Redis: the shared cache under `<prefix>c:` (its invalidations on `<prefix>c:invalidate`), rate limits under `<prefix>ratelimit:`. Give each deployment that shares one Redis its own, e.g. `cb-staging:` (pub/sub channels are not per database, so separate database numbers are not enough). Letters, digits, `_ - . :`, at most 64, ending in `:`. A new prefix starts from an empty shared cache and fresh rate-limit budgets.',
    default: () => 'cb:',
    parse: redisKeyPrefix,
  }),
  setting({
    key: 'rpcEndpoints',
    env: 'RPC_URLS',
    defaultText: '(unset: in-process dev chain)',
    description:
      'Comma-separated JSON-RPC endpoints, each optionally named: `main=https://…,backup=https://…`.',
    default: () => [],
    parse: rpcEndpoints,
  }),
  setting({
    key: 'instance',
    env: 'CB_INSTANCE',
    defaultText: '<hostname>-<pid>',
    description: 'Instance name in logs and heartbeats.',
    default: () => `${hostname()}-${process.pid}`,
    parse: nonEmpty,
  }),
  setting({
    key: 'logLevel',
    env: 'CB_LOG_LEVEL',
    defaultText: 'info',
    description: 'Lowest level logged: debug, info, warn, error, fatal.',
    default: () => 'info',
    parse: logLevel,
  }),
  setting({
    key: 'logPretty',
    env: 'CB_LOG_PRETTY',
    defaultText: '0',
    description: '1 prints human-readable lines for a terminal instead of JSON.',
    default: () => false,
    parse: bool,
  }),
  setting({
    key: 'logDir',
    env: 'CB_LOG_DIR',
    defaultText: '(none: stdout only)',
    description:
      'Also write every log line, as JSON, to daily files here (cb-<instance>-<YYYY-MM-DD>.jsonl, UTC days), for `cb logs search|errors` and a log shipper to tail.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'logRetentionDays',
    env: 'CB_LOG_RETENTION_DAYS',
    defaultText: '7',
    description:
      'Days of log files kept in CB_LOG_DIR besides the current day (seed 4.3 hot storage: 7 days); older days are deleted, or with CB_LOG_ARCHIVE_DIR compressed into it.',
    default: () => 7,
    parse: int(1, 3650),
  }),
  setting({
    key: 'logArchiveDir',
    env: 'CB_LOG_ARCHIVE_DIR',
    defaultText: '(none: old days deleted)',
    description:
      'Warm tier (seed 4.3): a CB_LOG_DIR file leaving the hot window is gzip-compressed into this directory (cb-<instance>-<YYYY-MM-DD>.jsonl.gz) instead of deleted, and `cb logs` and the Logs page still search it. May be a mounted object store (s3fs, gcsfuse, NFS). Needs CB_LOG_DIR; a directory of its own.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'logArchiveDays',
    env: 'CB_LOG_ARCHIVE_DAYS',
    defaultText: '30',
    description:
      'Days a file stays in CB_LOG_ARCHIVE_DIR after it leaves the hot window (seed 4.3 warm storage: 30 days); then it is deleted, or moved to CB_LOG_COLD_DIR.',
    default: () => 30,
    parse: int(1, 36_500),
  }),
  setting({
    key: 'logColdDir',
    env: 'CB_LOG_COLD_DIR',
    defaultText: '(none: expired archives deleted)',
    description:
      'Cold tier (seed 4.3 long-term archive): archived files past CB_LOG_ARCHIVE_DAYS are moved here, still gzip, and cb never deletes them; mount a bucket here or let a lifecycle rule move them to cheaper storage. Not searched by `cb logs` unless named. Needs CB_LOG_ARCHIVE_DIR; a directory of its own.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'dbPoolMax',
    env: 'CB_DB_POOL_MAX',
    defaultText: '10',
    description: 'Maximum PostgreSQL connections of this process.',
    default: () => 10,
    parse: int(1, 1000),
  }),
  setting({
    key: 'dbSlowQueryMs',
    env: 'CB_DB_SLOW_QUERY_MS',
    defaultText: '200',
    description: 'A statement slower than this is counted and logged at WARN.',
    default: () => 200,
    parse: int(1, 600_000),
  }),
  setting({
    key: 'dbSlowQueryRetentionDays',
    env: 'CB_DB_SLOW_QUERY_RETENTION_DAYS',
    defaultText: '30',
    description:
      'Days the slow-query log (db_slow_queries: slow statements by shape and hour, `cb db slow-queries`) keeps its rows.',
    default: () => 30,
    parse: int(1, 3650),
  }),
  setting({
    key: 'dbSampleIntervalMs',
    env: 'CB_DB_SAMPLE_INTERVAL_MS',
    defaultText: '15000',
    description: 'How often table sizes and lock waits are sampled.',
    default: () => 15_000,
    parse: int(100, 3_600_000),
  }),
  setting({
    key: 'shutdownGraceMs',
    env: 'CB_SHUTDOWN_GRACE_MS',
    defaultText: '10000',
    description: 'On SIGTERM, time allowed to finish in-flight requests and jobs.',
    default: () => 10_000,
    parse: int(0, 600_000),
  }),
  setting({
    key: 'bodyLimitBytes',
    env: 'CB_BODY_LIMIT_BYTES',
    defaultText: '1048576',
    description: 'Largest request body accepted (413 above).',
    default: () => 1_048_576,
    parse: int(1024, 100 * 1_048_576),
  }),
  setting({
    key: 'compressThresholdBytes',
    env: 'CB_COMPRESS_THRESHOLD_BYTES',
    defaultText: '1024',
    description: 'Responses larger than this are compressed (br, gzip) when the client accepts it.',
    default: () => 1024,
    parse: int(0, 100 * 1_048_576),
  }),
  setting({
    key: 'httpMaxInFlight',
    env: 'CB_HTTP_MAX_IN_FLIGHT',
    defaultText: '512',
    description:
      'Requests one instance serves at once; more are answered 503 CB_OVERLOADED with Retry-After (the probes never). Exported as cb_http_requests_in_flight_limit: ApiConcurrencyHigh fires at 80 % of it. 0: no cap.',
    default: () => 512,
    parse: int(0, 1_000_000),
  }),
  setting({
    key: 'httpMaxQueueMs',
    env: 'CB_HTTP_MAX_QUEUE_MS',
    defaultText: '500',
    description:
      'While this instance\'s oldest database request has waited longer than this (ms) for a connection — the instance is over its capacity — new requests are answered 503 CB_OVERLOADED with Retry-After (the probes never), so those let in are answered in about this time instead of queueing. Counted in cb_http_requests_shed_total{reason="queue"}. 0: off.',
    default: () => 500,
    parse: int(0, 600_000),
  }),
  setting({
    key: 'sseMaxStreams',
    env: 'CB_SSE_MAX_STREAMS',
    defaultText: '300',
    description:
      'Server-Sent Events streams (GET /v1/events/:id/stream, GET /v1/users/:address/achievements/stream) one instance keeps open at once; more are answered 503 ACH_STREAMS_EXHAUSTED with Retry-After. Exported as cb_sse_streams; they are not counted in CB_HTTP_MAX_IN_FLIGHT.',
    default: () => 300,
    parse: int(1, 100_000),
  }),
  setting({
    key: 'sseMaxStreamMs',
    env: 'CB_SSE_MAX_STREAM_MS',
    defaultText: '600000',
    description:
      'Longest life of one Server-Sent Events stream (each gets 90-100 % of it, so reconnections spread out); then the server ends it and the client reconnects with Last-Event-ID, losing nothing.',
    default: () => 600_000,
    parse: int(1000, 86_400_000),
  }),
  setting({
    key: 'ssePollIntervalMs',
    env: 'CB_SSE_POLL_INTERVAL_MS',
    defaultText: '500',
    description:
      'How often an instance with streams open reads the changes they push (one shared read of the member feed and one of the watched events per tick, whatever the number of streams): the push latency.',
    default: () => 500,
    parse: int(50, 60_000),
  }),
  setting({
    key: 'apiKeyMaxAgeDays',
    env: 'CB_APIKEY_MAX_AGE_DAYS',
    defaultText: '180',
    description:
      'API keys older than this are due a rotation (`cb apikey rotate`; seed 7.1 定期轮换密钥): counted in cb_api_keys_rotation_due, alert ApiKeyRotationDue. 0 turns the check off.',
    default: () => 180,
    parse: int(0, 36_500),
  }),
  setting({
    key: 'apiKeyUnusedDays',
    env: 'CB_APIKEY_UNUSED_DAYS',
    defaultText: '30',
    description:
      'API keys not used for this long (or never used and older than this) are flagged by `cb apikey review` and counted in cb_api_keys_unused, alert ApiKeyUnused (seed 7.1 定期审查和调整权限). 0 turns the check off.',
    default: () => 30,
    parse: int(0, 36_500),
  }),
  setting({
    key: 'rateLimitMax',
    env: 'CB_RATE_LIMIT_MAX',
    defaultText: '1200',
    description: 'Requests allowed per API key (or IP without a key) per window.',
    default: () => 1200,
    parse: int(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitWindowMs',
    env: 'CB_RATE_LIMIT_WINDOW_MS',
    defaultText: '60000',
    description: 'Rate-limit window.',
    default: () => 60_000,
    parse: int(1000, 86_400_000),
  }),
  setting({
    key: 'corsOrigins',
    env: 'CB_CORS_ORIGINS',
    defaultText: '(unset: CORS off)',
    description: 'Comma-separated origins allowed by CORS, or `*`.',
    default: () => [],
    parse: list,
  }),
  setting({
    key: 'trustProxy',
    env: 'CB_TRUST_PROXY',
    defaultText: '(unset: trust nobody)',
    description:
      'Behind a load balancer or reverse proxy: its addresses or CIDR ranges (comma-separated), or how many proxies are in front of cb. Their X-Forwarded-For then gives the client IP the per-IP rate limit counts by (else every client behind them shares one budget).',
    default: () => false,
    parse: trustProxy,
  }),
  setting({
    key: 'cacheMaxEntries',
    env: 'CB_CACHE_MAX_ENTRIES',
    defaultText: '10000',
    description: 'In-process (L1) cache entries per namespace.',
    default: () => 10_000,
    parse: int(1, 10_000_000),
  }),
  setting({
    key: 'cacheTtlMs',
    env: 'CB_CACHE_TTL_MS',
    defaultText: '60000',
    description: 'Default cache entry lifetime (L1 and Redis).',
    default: () => 60_000,
    parse: int(1, 86_400_000),
  }),
  setting({
    key: 'jobsPollIntervalMs',
    env: 'CB_JOBS_POLL_INTERVAL_MS',
    defaultText: '500',
    description: 'How often idle workers poll for jobs (pg-boss; at least 500).',
    default: () => 500,
    parse: int(500, 60_000),
  }),
  setting({
    key: 'jobsSchema',
    env: 'CB_JOBS_SCHEMA',
    defaultText: 'pgboss',
    description: 'Database schema of the job queue tables.',
    default: () => 'pgboss',
    parse: schemaName,
  }),
  setting({
    key: 'hostSampleIntervalMs',
    env: 'CB_HOST_SAMPLE_INTERVAL_MS',
    defaultText: '5000',
    description: 'How often host CPU, memory, disk and network are sampled.',
    default: () => 5_000,
    parse: int(100, 3_600_000),
  }),
  setting({
    key: 'readyTimeoutMs',
    env: 'CB_READY_TIMEOUT_MS',
    defaultText: '2000',
    description: 'Time each /readyz dependency check may take.',
    default: () => 2_000,
    parse: int(50, 60_000),
  }),
  setting({
    key: 'readySampleIntervalMs',
    env: 'CB_READY_SAMPLE_INTERVAL_MS',
    defaultText: '15000',
    description:
      'How often the /readyz dependency checks also run on their own, so `cb_dependency_up` (read by the DatabaseDown alert) stays fresh when nothing polls /readyz.',
    default: () => 15_000,
    parse: int(1000, 3_600_000),
  }),
  setting({
    key: 'eventWorkers',
    env: 'CB_EVENT_WORKERS',
    defaultText: '2',
    description:
      'Event-processing loops per worker process (each takes one partition at a time; 16 partitions).',
    default: () => 2,
    parse: int(1, 16),
  }),
  setting({
    key: 'eventBatchSize',
    env: 'CB_EVENT_BATCH_SIZE',
    defaultText: '1000',
    description: 'Most events one processing transaction takes.',
    default: () => 1000,
    parse: int(1, 20_000),
  }),
  setting({
    key: 'eventSources',
    env: 'CB_EVENT_SOURCES',
    defaultText: 'app,chain,web,partner,admin',
    description:
      'Event sources shown by name in metrics; others are counted as `other` (any source is accepted).',
    default: () => ['app', 'chain', 'web', 'partner', 'admin'],
    parse: list,
  }),
  setting({
    key: 'eventTypes',
    env: 'CB_EVENT_TYPES',
    defaultText: '(unset)',
    description:
      'Event types shown by name in metrics besides those the catalogue uses; others are counted as `other`.',
    default: () => [],
    parse: list,
  }),
  setting({
    key: 'publicUrl',
    env: 'CB_PUBLIC_URL',
    defaultText: '(unset: http://CB_HOST:CB_PORT)',
    description: 'Public base URL of the API; badge tokenURIs point at <url>/v1/badges/<id>/metadata.',
    default: () => undefined,
    parse: url(['http:', 'https:']),
  }),
  setting({
    key: 'explorerUrl',
    env: 'CB_EXPLORER_URL',
    defaultText: '(unset: no explorer links)',
    description:
      'Block explorer of the chain (Etherscan, Blockscout, Otterscan…): the console links addresses to <url>/address/<a>, transactions to <url>/tx/<hash> and blocks to <url>/block/<n>.',
    default: () => undefined,
    parse: (raw) => url(['http:', 'https:'])(raw).replace(/\/+$/, ''),
  }),
  setting({
    key: 'chainId',
    env: 'CB_CHAIN_ID',
    defaultText: "(unset: accept the node's)",
    description: 'Expected chain id; start-up fails when an RPC endpoint serves another chain.',
    default: () => undefined,
    parse: int(1, 2 ** 31),
  }),
  setting({
    key: 'badgeAddress',
    env: 'CB_BADGE_ADDRESS',
    defaultText: '(unset: deployed on the dev chain)',
    description: 'Address of the AchievementBadge contract (required with RPC_URLS).',
    default: () => undefined,
    parse: hexAddress,
  }),
  setting({
    key: 'minterPrivateKey',
    env: 'CB_MINTER_PRIVATE_KEY',
    secret: true,
    defaultText: '(unset)',
    description: 'Private key (0x + 64 hex) of the minter account; never logged. Prefer CB_MINTER_KEY_FILE.',
    default: () => undefined,
    parse: privateKey,
  }),
  setting({
    key: 'minterKeyFile',
    env: 'CB_MINTER_KEY_FILE',
    defaultText: '(unset)',
    description: 'File holding the minter private key (read once at start).',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'executorPrivateKey',
    env: 'CB_EXECUTOR_PRIVATE_KEY',
    secret: true,
    defaultText: '(unset)',
    description:
      'Private key (0x + 64 hex) of the account that sends the calls of passed onchain_call proposals; never logged. Prefer CB_EXECUTOR_KEY_FILE. Unset with RPC_URLS: onchain_call proposals are refused. The embedded dev chain uses dev account #0 (the badge admin).',
    default: () => undefined,
    parse: privateKey,
  }),
  setting({
    key: 'executorKeyFile',
    env: 'CB_EXECUTOR_KEY_FILE',
    defaultText: '(unset)',
    description: 'File holding the governance executor private key (read once at start).',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'chainStartBlock',
    env: 'CB_CHAIN_START_BLOCK',
    defaultText: '0',
    description: "Block the listener starts from (the contract's deployment block).",
    default: () => 0,
    parse: int(0, Number.MAX_SAFE_INTEGER),
  }),
  setting({
    key: 'chainConfirmations',
    env: 'CB_CHAIN_CONFIRMATIONS',
    defaultText: '2',
    description:
      'Blocks after which a block counts as final (listener and minter confirmations). The embedded dev chain (no RPC_URLS) uses 0: only this process writes to it, so its blocks are final as mined.',
    default: () => 2,
    parse: int(0, 1000),
  }),
  setting({
    key: 'chainPollIntervalMs',
    env: 'CB_CHAIN_POLL_INTERVAL_MS',
    defaultText: '1000',
    description: 'How often the listener and minter look for new blocks.',
    default: () => 1000,
    parse: int(50, 600_000),
  }),
  setting({
    key: 'listenerChunkBlocks',
    env: 'CB_LISTENER_CHUNK_BLOCKS',
    defaultText: '2000',
    description: 'Blocks per eth_getLogs request during backfill.',
    default: () => 2000,
    parse: int(1, 1_000_000),
  }),
  setting({
    key: 'listenerConcurrency',
    env: 'CB_LISTENER_CONCURRENCY',
    defaultText: '4',
    description: 'eth_getLogs requests in flight during backfill.',
    default: () => 4,
    parse: int(1, 64),
  }),
  setting({
    key: 'chainReconcileSchedule',
    env: 'CB_CHAIN_RECONCILE_SCHEDULE',
    defaultText: '37 4 * * *',
    description:
      "Cron (five fields, UTC) of the scheduled chain reconciliation (job `chain.reconcile`, `cb reconcile chain`'s comparison run by a worker: two eth_calls per token ever minted); `off` disables it. Its result is exported as cb_chain_reconcile_differences (alert ChainStateDiverged); ChainReconcileOverdue fires when no run finished for 54 h, so a schedule less often than every 2 days (or off, with nobody running cb reconcile chain) keeps it firing.",
    default: () => '37 4 * * *',
    parse: (raw) => (switchValue(raw) === false ? undefined : cron(raw)),
  }),
  setting({
    key: 'chainReconcileFix',
    env: 'CB_CHAIN_RECONCILE_FIX',
    defaultText: 'false',
    description:
      'The scheduled chain reconciliation also repairs what it finds, the chain being the truth (`cb reconcile chain --fix`); off, it only reports and ChainStateDiverged fires.',
    default: () => false,
    parse: bool,
  }),
  setting({
    key: 'rpcTimeoutMs',
    env: 'CB_RPC_TIMEOUT_MS',
    defaultText: '5000',
    description: 'Time one JSON-RPC call may take before the pool tries another endpoint.',
    default: () => 5000,
    parse: int(50, 600_000),
  }),
  setting({
    key: 'rpcHedgeAfterMs',
    env: 'CB_RPC_HEDGE_AFTER_MS',
    defaultText: '1000',
    description:
      'A read-only call (eth_blockNumber, eth_call, eth_getBalance, receipts…; never eth_getLogs or a send) not answered within this is sent to a second in-sync endpoint too, and the first answer is taken, so a hung endpoint costs reads this long instead of CB_RPC_TIMEOUT_MS. 0 turns hedging off; it matters only below CB_RPC_TIMEOUT_MS.',
    default: () => 1000,
    parse: int(0, 600_000),
  }),
  setting({
    key: 'rpcMaxLagBlocks',
    env: 'CB_RPC_MAX_LAG_BLOCKS',
    defaultText: '5',
    description: 'An endpoint further behind the best head than this is taken out of rotation.',
    default: () => 5,
    parse: int(0, 100_000),
  }),
  setting({
    key: 'mintBatchSize',
    env: 'CB_MINT_BATCH_SIZE',
    defaultText: '200',
    description: 'Mints per transaction (kept under the block gas cap).',
    default: () => 200,
    parse: int(1, 1000),
  }),
  setting({
    key: 'mintMaxFeeGwei',
    env: 'CB_MINT_MAX_FEE_GWEI',
    defaultText: '500',
    description: 'Highest maxFeePerGas the minter will pay, in gwei.',
    default: () => 500,
    parse: int(1, 1_000_000),
  }),
  setting({
    key: 'mintReplaceAfterMs',
    env: 'CB_MINT_REPLACE_AFTER_MS',
    defaultText: '60000',
    description: 'A mint transaction not mined within this is replaced with fees bumped by at least 10 %.',
    default: () => 60_000,
    parse: int(100, 86_400_000),
  }),
  setting({
    key: 'governanceVotingDelaySeconds',
    env: 'CB_GOVERNANCE_VOTING_DELAY_SECONDS',
    defaultText: '300',
    description:
      "Default seconds from a proposal's creation to the start of voting (`votingDelaySeconds`). A value set by a `parameter_change` proposal wins.",
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceVotingPeriodSeconds',
    env: 'CB_GOVERNANCE_VOTING_PERIOD_SECONDS',
    defaultText: '259200',
    description:
      'Default seconds voting stays open (`votingPeriodSeconds`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceQuorum',
    env: 'CB_GOVERNANCE_QUORUM',
    defaultText: '0.04',
    description:
      'Default share of the total power at the snapshot that must vote for or abstain (`quorum`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceApprovalThreshold',
    env: 'CB_GOVERNANCE_APPROVAL_THRESHOLD',
    defaultText: '0.5',
    description:
      'Default share of for / (for + against) a proposal needs (`approvalThreshold`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceProposalThreshold',
    env: 'CB_GOVERNANCE_PROPOSAL_THRESHOLD',
    defaultText: '1',
    description:
      'Voting power a member needs to propose (`proposalThreshold`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceTimelockSeconds',
    env: 'CB_GOVERNANCE_TIMELOCK_SECONDS',
    defaultText: '86400',
    description:
      'Default seconds a succeeded proposal waits before it may execute (`timelockDelaySeconds`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceExecutionGraceSeconds',
    env: 'CB_GOVERNANCE_EXECUTION_GRACE_SECONDS',
    defaultText: '1209600',
    description:
      'Default seconds after the timelock during which execution may happen (`executionGraceSeconds`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceLateBallotGraceSeconds',
    env: 'CB_GOVERNANCE_LATE_BALLOT_GRACE_SECONDS',
    defaultText: '60',
    description:
      'Default seconds after the end of voting during which ballots are still accepted (`lateBallotGraceSeconds`). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceAllowVoteChange',
    env: 'CB_GOVERNANCE_ALLOW_VOTE_CHANGE',
    defaultText: '1',
    description:
      'Whether voters may replace their ballot by default (`allowVoteChange`; 1/0). A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceCategoryMultipliers',
    env: 'CB_GOVERNANCE_CATEGORY_MULTIPLIERS',
    defaultText: '(none)',
    description:
      'Default badge weight multipliers per achievement category, as `code=2,review=1.5`. A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governanceTierMultipliers',
    env: 'CB_GOVERNANCE_TIER_MULTIPLIERS',
    defaultText: '(none)',
    description:
      'Default badge weight multipliers per tier, as `gold=3,silver=2`. A value set by a `parameter_change` proposal wins.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'governancePowerCacheTtlMs',
    env: 'CB_GOVERNANCE_POWER_CACHE_TTL_MS',
    defaultText: '600000',
    description: 'Lifetime of a cached voting power (invalidation is explicit; this bounds a missed one).',
    default: () => 600_000,
    parse: int(1000, 86_400_000),
  }),
  setting({
    key: 'governanceSignatureWorkers',
    env: 'CB_GOVERNANCE_SIGNATURE_WORKERS',
    defaultText: '0',
    description:
      'Worker threads recovering ballot signatures (0: in the event loop). Only worth it where the native secp256k1 binding does not load.',
    default: () => 0,
    parse: int(0, 64),
  }),
  setting({
    key: 'sessionSecret',
    env: 'CB_SESSION_SECRET',
    secret: true,
    defaultText: '(unset: generated once, kept in the database)',
    description: "HMAC secret of the console's session cookies, at least 32 characters; never logged.",
    default: () => undefined,
    parse: secret(32),
  }),
  setting({
    key: 'sessionTtlMs',
    env: 'CB_SESSION_TTL_MS',
    defaultText: '86400000',
    description: 'Lifetime of a console sign-in session.',
    default: () => 86_400_000,
    parse: int(60_000, 90 * 86_400_000),
  }),
  setting({
    key: 'alertWebhookToken',
    env: 'CB_ALERT_WEBHOOK_TOKEN',
    secret: true,
    defaultText: '(unset: webhook refused)',
    description: 'Bearer token Alertmanager sends to POST /v1/alerts/webhook; never logged.',
    default: () => undefined,
    parse: secret(16),
  }),
  setting({
    key: 'alertWebhookTokenFile',
    env: 'CB_ALERT_WEBHOOK_TOKEN_FILE',
    defaultText: '(unset)',
    description: 'File holding the webhook token (wins over CB_ALERT_WEBHOOK_TOKEN).',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentTimeZone',
    env: 'CB_INCIDENT_TIME_ZONE',
    defaultText: 'UTC',
    description: 'IANA time zone of the on-call working-hours calendar.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentWorkingDays',
    env: 'CB_INCIDENT_WORKING_DAYS',
    defaultText: 'mon-fri',
    description: 'Working days, e.g. `mon-fri` or `mon,tue,wed,thu,fri`.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentWorkingHours',
    env: 'CB_INCIDENT_WORKING_HOURS',
    defaultText: '09:00-18:00',
    description: 'Working hours in the calendar time zone.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentHolidays',
    env: 'CB_INCIDENT_HOLIDAYS',
    defaultText: '(unset)',
    description: 'Holidays as comma-separated YYYY-MM-DD.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentResponseTargets',
    env: 'CB_INCIDENT_RESPONSE_TARGETS',
    defaultText: '(seed 3.1)',
    description:
      'Override ack/resolve targets in minutes, `w` for working minutes, e.g. `P1=30/120,P2=120w` (see docs/incidents.md).',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentUpdateEvery',
    env: 'CB_INCIDENT_UPDATE_EVERY',
    defaultText: 'P0=30,P1=60',
    description:
      'Minutes an acknowledged incident may go without a status update before the update channels are reminded one is due (seed 3.3 状态更新), e.g. `P0=30,P1=60,P2=240`; severities not named get none; `off` for no reminders.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentActionRemindEvery',
    env: 'CB_INCIDENT_ACTION_REMIND_EVERY',
    defaultText: '24h',
    description:
      'How often the update channels are reminded of an open incident action item past its due date (seed 3.3 改进措施): once when it falls overdue, then once per interval until it is done, dropped or moved; whole minutes from `1m` to `30d` (`90m`, `24h`, `7d`); `off` for no reminders.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentChannels',
    env: 'CB_INCIDENT_CHANNELS',
    defaultText: '(seed 3.1)',
    description: 'Channels per severity, e.g. `P0=phone+sms+email+slack,P1=sms+email+slack`.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'incidentEscalation',
    env: 'CB_INCIDENT_ESCALATION',
    defaultText: '(one step: the CB_ONCALL_* lists)',
    description: 'Escalation policy steps (see docs/incidents.md).',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'oncallEmail',
    env: 'CB_ONCALL_EMAIL',
    defaultText: '(unset)',
    description: 'On-call e-mail addresses, comma-separated.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'oncallSms',
    env: 'CB_ONCALL_SMS',
    defaultText: '(unset)',
    description: 'On-call SMS numbers (E.164), comma-separated.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'oncallPhone',
    env: 'CB_ONCALL_PHONE',
    defaultText: '(unset)',
    description: 'On-call phone numbers for voice calls (E.164), comma-separated.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'smtpUrl',
    env: 'CB_SMTP_URL',
    defaultText: '(unset: no e-mail)',
    description: 'SMTP server, `smtp://user:pass@host:587` (STARTTLS) or `smtps://…`; password never logged.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'smtpFrom',
    env: 'CB_SMTP_FROM',
    defaultText: '(unset)',
    description: 'From address of incident e-mails.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'slackWebhookUrls',
    env: 'CB_SLACK_WEBHOOK_URLS',
    secret: true,
    defaultText: '(unset: no Slack)',
    description:
      'Slack incoming-webhook URLs, `default=https://hooks…` (comma-separated, named); never logged.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'externalHeartbeatUrl',
    env: 'CB_EXTERNAL_HEARTBEAT_URL',
    secret: true,
    defaultText: '(unset: none)',
    description:
      "An external dead man's switch (a healthchecks.io, Dead Man's Snitch or Cronitor check's ping URL): `cb monitor up` has Alertmanager POST the always-firing AlertingHeartbeat there every minute, so the outside service pages when cb's host and its monitoring stop together. Set the check's period to a few minutes. Never logged.",
    default: () => undefined,
    parse: url(['http:', 'https:']),
  }),
  setting({
    key: 'twilioBaseUrl',
    env: 'CB_TWILIO_BASE_URL',
    defaultText: 'https://api.twilio.com',
    description: 'Base URL of the Twilio-style SMS/voice API.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'twilioAccountSid',
    env: 'CB_TWILIO_ACCOUNT_SID',
    defaultText: '(unset: no SMS/voice)',
    description: 'Account SID of the SMS/voice provider.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'twilioAuthToken',
    env: 'CB_TWILIO_AUTH_TOKEN',
    secret: true,
    defaultText: '(unset)',
    description: 'Auth token of the SMS/voice provider; never logged.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'twilioFrom',
    env: 'CB_TWILIO_FROM',
    defaultText: '(unset)',
    description: 'Sender number of SMS and calls.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'twilioVoiceUrl',
    env: 'CB_TWILIO_VOICE_URL',
    defaultText: '(unset)',
    description: 'TwiML URL for voice calls (else a spoken summary is sent inline).',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'notifyRetryLimit',
    env: 'CB_NOTIFY_RETRY_LIMIT',
    defaultText: '5',
    description: 'Retries of a failed notification delivery before it is recorded failed and dead-lettered.',
    default: () => 5,
    parse: int(0, 100),
  }),
  setting({
    key: 'notifyRetryDelaySeconds',
    env: 'CB_NOTIFY_RETRY_DELAY_SECONDS',
    defaultText: '10',
    description: 'Base of the exponential backoff between delivery retries (seconds × 2ⁿ × 1–2).',
    default: () => 10,
    parse: int(1, 86_400),
  }),
  setting({
    key: 'alertHeartbeatTimeoutMinutes',
    env: 'CB_ALERT_HEARTBEAT_TIMEOUT_MINUTES',
    defaultText: '10',
    description:
      "Minutes without an AlertingHeartbeat (Alertmanager sends it every minute) after which cb opens AlertingPipelineSilent (P1) through its own channels: the alerting pipeline's dead man's switch. A deployment that never sent a heartbeat is not paged.",
    default: () => 10,
    parse: int(2, 1440),
  }),
  setting({
    key: 'backupDir',
    env: 'CB_BACKUP_DIR',
    defaultText: '(CB_DATA_DIR/backups)',
    description:
      'Where `cb backup` writes backups, their manifests and drill reports (created 0700). Keep it on another disk, or copy it off the host.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'backupSchedule',
    env: 'CB_BACKUP_SCHEDULE',
    defaultText: '(unset: none)',
    description:
      "Cron (five fields, UTC) of automatic full backups run by a worker (`cb backup create`'s work, into CB_BACKUP_DIR), e.g. `0 3 * * *` for daily at 03:00; unset, schedule `cb backup create` yourself.",
    default: () => undefined,
    parse: cron,
  }),
  setting({
    key: 'auditRetentionDays',
    env: 'CB_AUDIT_RETENTION_DAYS',
    defaultText: '400',
    description:
      'Days the audit trail of administrative operations is kept (the daily job `ops.audit` deletes older records, then verifies the hash chain); 0 keeps every record.',
    default: () => 400,
    parse: int(0, 36_500),
  }),
  setting({
    key: 'capacitySchedule',
    env: 'CB_CAPACITY_SCHEDULE',
    defaultText: '47 5 * * *',
    description:
      "Cron (five fields, UTC) of the daily capacity sample (job `ops.capacity`: database and table sizes, the database's disk and the watched mounts, a worker's CPU, memory and network peaks of the last 24 h, kept 400 days) that `cb capacity` and GET /v1/ops/capacity forecast from (cb_capacity_disk_full_days, alert CapacityDiskFullSoon); `off` disables it.",
    default: () => '47 5 * * *',
    parse: (raw) => (switchValue(raw) === false ? undefined : cron(raw)),
  }),
  setting({
    key: 'crossSystemSchedule',
    env: 'CB_CROSS_SYSTEM_SCHEDULE',
    defaultText: '23 * * * *',
    description:
      "Cron (five fields, UTC) of the comparison of the achievement system with governance (job `ops.cross-system`, `cb reconcile systems`'s check run by a worker: every earned achievement held as one badge, every badge governance counts earned). Its result is exported as cb_cross_system_differences (alert CrossSystemInconsistent); `off` disables it. CrossSystemCheckOverdue fires when no comparison finished for 3 h, so a schedule less often than that (or off, with nobody running cb reconcile systems) keeps it firing.",
    default: () => '23 * * * *',
    parse: (raw) => (switchValue(raw) === false ? undefined : cron(raw)),
  }),
  setting({
    key: 'backupKeep',
    env: 'CB_BACKUP_KEEP',
    defaultText: '14',
    description: '`cb backup create` then deletes all but the newest N backups (0 keeps every one).',
    default: () => 14,
    parse: int(0, 100_000),
  }),
  setting({
    key: 'backupEncryptionKeyFile',
    env: 'CB_BACKUP_ENCRYPTION_KEY_FILE',
    defaultText: '(unset: backups not encrypted)',
    description:
      'File holding a 32-byte key (64 hex digits or base64, e.g. `openssl rand -hex 32`; mode 0600 or 0400: refused when group or others have access). Set, every new backup file is encrypted with AES-256-GCM (authenticated 64 KiB records; the manifest names the key by id), and checks, restores and drills decrypt with it. Keep a copy of the key off the host: a backup cannot be restored without the key it was taken with.',
    default: () => undefined,
    parse: nonEmpty,
  }),
  setting({
    key: 'rtoSeconds',
    env: 'CB_RTO_SECONDS',
    defaultText: '3600',
    description:
      'Recovery time objective: the longest a restore may take. `cb backup drill` fails when its restore and checks take longer.',
    default: () => 3600,
    parse: int(1, 604_800),
  }),
  setting({
    key: 'rpoSeconds',
    env: 'CB_RPO_SECONDS',
    defaultText: '93600',
    description:
      'Recovery point objective: the most data, in seconds, a restore may lose, i.e. the oldest the newest backup may be (26 h: a daily backup and slack). `cb backup drill` fails beyond it; the BackupTooOld alert fires.',
    default: () => 93_600,
    parse: int(60, 31_536_000),
  }),
  setting({
    key: 'walArchiveMaxAgeSeconds',
    env: 'CB_WAL_ARCHIVE_MAX_AGE_SECONDS',
    defaultText: '3600',
    description:
      "PostgreSQL archiving its WAL (archive_mode on, an archive tool such as pgBackRest in archive_command): the oldest the newest archived segment may be before the WalArchiveBehind alert fires (1 h: the seed's hourly incremental backup). Set PostgreSQL's archive_timeout at or below it, so a quiet database still archives its newest changes. Without archiving it has no effect.",
    default: () => 3600,
    parse: int(60, 604_800),
  }),
] as const;

/** One setting as a snapshot shows it (`cb config show`, backup manifests). */
export interface SettingSnapshot {
  env: string;
  /** Secrets as `[REDACTED]`; URLs as scheme://host[:port] (no credentials, path or query). */
  value: string;
  source: 'env' | 'default';
}

const REDACTED_VALUE = '[REDACTED]';
const NAME_PREFIX = /^([A-Za-z0-9_.-]{1,64})=(.*)$/s;

/**
 * A value holding URLs, as a snapshot may show it: each comma-separated part (optionally `name=`)
 * must parse as a whole URL and is cut to scheme://host[:port]; a part that does not (a password
 * with a comma or an `@` splits or confuses it) is hidden whole, never guessed at.
 */
function urlsShown(raw: string): string {
  return raw
    .split(',')
    .map((part) => {
      const trimmed = part.trim();
      const named = NAME_PREFIX.exec(trimmed);
      const [name, text] = named && !named[1]!.includes(':') ? [`${named[1]}=`, named[2]!] : ['', trimmed];
      if (!text.includes('://')) return REDACTED_VALUE;
      try {
        const u = new URL(text);
        if (!u.host) return REDACTED_VALUE;
        const more = (u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '';
        return `${name}${u.protocol}//${u.host}${more ? '/…' : ''}`;
      } catch {
        return REDACTED_VALUE;
      }
    })
    .join(',');
}

/**
 * The effective settings, safe to print or keep (seed 5.3: 配置：定期快照): secret settings are
 * hidden whole; a value holding a URL shows each URL cut to its scheme and host (credentials, and a
 * provider's API key in an RPC URL's path, stay out), or is hidden when it does not parse; the rest
 * as given. Unset settings show their documented default.
 */
export function settingsSnapshot(env: Readonly<Record<string, string | undefined>>): SettingSnapshot[] {
  return SETTINGS.map((s) => {
    const raw = env[s.env];
    const set = raw !== undefined && raw !== '';
    const shown = !set
      ? s.defaultText
      : s.secret
        ? REDACTED_VALUE
        : raw.includes('://') || raw.includes('@')
          ? urlsShown(raw)
          : raw;
    return { env: s.env, value: shown, source: set ? 'env' : 'default' };
  });
}

/** Parses the whole configuration; throws one ConfigError listing every bad setting. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Config> = {},
): Readonly<Config> {
  const out: Record<string, unknown> = {};
  const issues: { setting: string; message: string }[] = [];
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || (raw === '' && s.env !== 'CB_LOG_PRETTY')) {
      out[s.key] = s.default();
      continue;
    }
    try {
      out[s.key] = (s.parse as Parser<unknown>)(raw);
    } catch (e) {
      if (!(e instanceof SettingProblem)) throw e;
      issues.push({ setting: s.env, message: e.message });
    }
  }
  issues.push(...logTierProblems(out as Partial<Config>, issues));
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze({ ...(out as unknown as Config), ...overrides });
}

/**
 * The log tiers need each other and must not share a directory: an archive expiring into itself
 * (CB_LOG_COLD_DIR = CB_LOG_ARCHIVE_DIR) would delete what it just moved.
 */
function logTierProblems(
  c: Partial<Config>,
  already: readonly { setting: string }[],
): { setting: string; message: string }[] {
  const failed = new Set(already.map((i) => i.setting));
  const problems: { setting: string; message: string }[] = [];
  const tiers = [
    ['CB_LOG_DIR', c.logDir],
    ['CB_LOG_ARCHIVE_DIR', c.logArchiveDir],
    ['CB_LOG_COLD_DIR', c.logColdDir],
  ] as const;
  for (const [i, [env, dir]] of tiers.entries()) {
    if (dir === undefined || failed.has(env)) continue;
    const before = tiers[i - 1];
    if (before && before[1] === undefined && !failed.has(before[0]))
      problems.push({ setting: env, message: `needs ${before[0]} (the tier it takes files from)` });
    const same = tiers.slice(0, i).find(([, d]) => d !== undefined && resolve(d) === resolve(dir));
    if (same) problems.push({ setting: env, message: `must be a directory of its own, not ${same[0]}'s` });
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
