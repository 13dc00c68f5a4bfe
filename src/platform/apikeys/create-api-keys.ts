/**
 * API keys of integrators and operators, in `cb_api_keys` (migrations/0001_platform.sql).
 *
 * A key is shown once, at creation; only its sha256 is stored (see `key-format.ts`). Verification
 * results are cached in this process for `cacheTtlMs` (default 5 s) so a busy integrator costs no
 * query per request; the cache is keyed by the public id and every presented secret is still
 * hashed and compared in constant time.
 *
 * Logs name a key by `context.keyId` / `context.keyName`: field names containing "apiKey" are
 * blanked by the log redaction, and the key itself is never logged.
 *
 * Revocation takes effect at once on the instance that revoked the key. Other processes (other API
 * instances, or the API when the CLI revoked the key) keep accepting it until their cached entry
 * expires: at most `cacheTtlMs` after the revoke commits.
 */
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/create-db.ts';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { generateApiKey, hashApiKey, hashesEqual, parseApiKey } from './key-format.ts';
import { parseScopes, type Scope, scopeAllows } from './scopes.ts';

/** A key as listed: everything but the secret. */
export interface ApiKeySummary {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  /** When it stopped working — or, after a rotation's grace period, will (a future time). */
  revokedAt: Date | null;
}

/** What `rotate` returns: the new key (shown once) and the old one, working until its `revokedAt`. */
export interface RotatedApiKey {
  created: CreatedApiKey;
  previous: ApiKeySummary;
}

/** What `create` returns; `key` is the only copy of the full key there will ever be. */
export interface CreatedApiKey {
  id: string;
  /** `cbk_<id>_<secret>`: hand it to the integrator now, it cannot be shown again. */
  key: string;
  name: string;
  scopes: Scope[];
}

/** The identity behind a valid key. */
export interface VerifiedApiKey {
  id: string;
  name: string;
  scopes: readonly Scope[];
}

export interface ApiKeys {
  /**
   * Creates a key. `name`: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit, unique
   * among active keys (ConflictError `CB_APIKEY_NAME_TAKEN`). `scopes`: see `scopes.ts`.
   */
  create(input: { name: string; scopes: readonly string[] }): Promise<CreatedApiKey>;
  /** Active keys (and revoked ones with `includeRevoked`), oldest first; never a secret. */
  list(options?: { includeRevoked?: boolean }): Promise<ApiKeySummary[]>;
  /**
   * Revokes the working key with this id (preferred) or name — the one without a scheduled
   * revocation first; NotFoundError `CB_APIKEY_NOT_FOUND`.
   */
  revoke(idOrName: string): Promise<ApiKeySummary>;
  /**
   * Rotates a key (seed 7.1 定期轮换密钥): a new key with the same name and scopes, and the old one
   * revoked `graceSeconds` from now (0: at once), so its holder can switch without an outage. In one
   * transaction. NotFoundError `CB_APIKEY_NOT_FOUND` when no key without a scheduled revocation has
   * this id or name.
   *
   * `scopes` narrows the new key (seed 7.1 最小权限原则): each must be granted by the old key's
   * scopes (`scopeAllows`: `admin` grants all, `<resource>:admin` its resource), else
   * ValidationError `CB_APIKEY_SCOPE_WIDER` and nothing changes; malformed ones are
   * `CB_APIKEY_SCOPE_INVALID`. @defaultValue the old key's scopes
   */
  rotate(
    idOrName: string,
    options?: { graceSeconds?: number | undefined; scopes?: readonly string[] | undefined },
  ): Promise<RotatedApiKey>;
  /**
   * The key's identity, or undefined when it is malformed, unknown or revoked. Throws
   * UnavailableError `CB_DB_UNAVAILABLE` when the database cannot be asked (so an outage is a 503,
   * not a wave of 401s). Records `last_used_at` at most once per `touchIntervalMs` per key.
   */
  verify(presentedKey: string): Promise<VerifiedApiKey | undefined>;
}

export interface CreateApiKeysOptions {
  db: Db;
  logger: Logger;
  /** How long a verification result is reused in this process. @defaultValue 5000 */
  cacheTtlMs?: number | undefined;
  /** Keys (known or not) whose result is cached; least recently used go first. @defaultValue 10000 */
  cacheMaxEntries?: number | undefined;
  /** Least time between two `last_used_at` writes of one key. @defaultValue 60000 */
  touchIntervalMs?: number | undefined;
  /** Clock in ms (tests). @defaultValue Date.now */
  now?: (() => number) | undefined;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ID_ATTEMPTS = 3;
/** The longest a rotated key keeps working: 30 days. */
const MAX_GRACE_SECONDS = 30 * 86_400;

interface KeyRow {
  id: string;
  name: string;
  scopes: string[];
  secret_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

interface CacheEntry {
  /** null: no key has this id. */
  row: Pick<KeyRow, 'id' | 'name' | 'scopes' | 'secret_hash' | 'revoked_at'> | null;
  expiresAt: number;
}

export function createApiKeys(options: CreateApiKeysOptions): ApiKeys {
  const { db, logger } = options;
  const now = options.now ?? Date.now;
  const cacheTtlMs = options.cacheTtlMs ?? 5_000;
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const cache = new LRUCache<string, CacheEntry>({ max: options.cacheMaxEntries ?? 10_000 });
  /** One database read per id at a time, however many requests present it. */
  const loading = new Map<string, Promise<CacheEntry['row']>>();
  /** Bumped by every revoke: a read that started before it must not refill the cache. */
  let generation = 0;
  /** When each key's `last_used_at` was last written by this process. */
  const touchedAt = new Map<string, number>();

  const summary = (row: KeyRow): ApiKeySummary => ({
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  });

  const load = (id: string): Promise<CacheEntry['row']> => {
    const pending = loading.get(id);
    if (pending) return pending;
    const startedAt = generation;
    const promise = db
      .query<KeyRow>('select id, name, scopes, secret_hash, revoked_at from cb_api_keys where id = $1', [id])
      .then(
        ({ rows }) => {
          const row = rows[0] ?? null;
          if (startedAt === generation) cache.set(id, { row, expiresAt: now() + cacheTtlMs });
          return row;
        },
        (err: unknown) => {
          throw new UnavailableError('CB_DB_UNAVAILABLE', 'cannot verify API keys: database unreachable', {
            cause: err,
          });
        },
      )
      .finally(() => {
        if (loading.get(id) === promise) loading.delete(id);
      });
    loading.set(id, promise);
    return promise;
  };

  const touch = async (id: string) => {
    const t = now();
    const last = touchedAt.get(id);
    if (last !== undefined && t - last < touchIntervalMs) return;
    touchedAt.set(id, t);
    try {
      // The age condition also spares the write when another instance touched the key just now.
      await db.query(
        `update cb_api_keys set last_used_at = now()
          where id = $1 and (revoked_at is null or revoked_at > now())
            and (last_used_at is null or last_used_at < now() - make_interval(secs => $2))`,
        [id, touchIntervalMs / 1000],
      );
    } catch (err) {
      logger.warn('recording API key use failed', { context: { keyId: id }, err });
    }
  };

  return {
    async create({ name, scopes }) {
      if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
        throw new ValidationError(
          'an API key name is 1-64 of A-Z a-z 0-9 . _ - and starts with a letter or digit',
          [{ path: 'name', message: `invalid name ${JSON.stringify(name)}` }],
          'CB_APIKEY_NAME_INVALID',
        );
      }
      const valid = parseScopes(scopes);
      for (let attempt = 1; ; attempt++) {
        const { id, key } = generateApiKey();
        try {
          await db.query('insert into cb_api_keys (id, name, scopes, secret_hash) values ($1, $2, $3, $4)', [
            id,
            name,
            valid,
            hashApiKey(key),
          ]);
          logger.info('api key created', { context: { keyId: id, keyName: name, scopes: valid } });
          return { id, key, name, scopes: valid };
        } catch (err) {
          const e = err as { code?: unknown; constraint?: unknown };
          if (e.code === '23505' && e.constraint === 'cb_api_keys_active_name') {
            throw new ConflictError(
              'CB_APIKEY_NAME_TAKEN',
              `an active API key is already named "${name}"; revoke it or choose another name`,
              { details: { name } },
            );
          }
          // 71 random bits make an id collision practically impossible; retry it anyway.
          if (e.code === '23505' && e.constraint === 'cb_api_keys_pkey' && attempt < ID_ATTEMPTS) continue;
          throw err;
        }
      }
    },

    async list(listOptions = {}) {
      const { rows } = await db.query<KeyRow>(
        `select id, name, scopes, created_at, last_used_at, revoked_at from cb_api_keys
          ${listOptions.includeRevoked ? '' : 'where revoked_at is null or revoked_at > now()'}
          order by created_at, id`,
      );
      return rows.map(summary);
    },

    async revoke(idOrName) {
      const { rows } = await db.query<KeyRow>(
        `update cb_api_keys set revoked_at = now()
          where id = (select id from cb_api_keys
                       where (revoked_at is null or revoked_at > now()) and (id = $1 or name = $1)
                       order by (id = $1) desc, (revoked_at is null) desc limit 1)
          returning id, name, scopes, created_at, last_used_at, revoked_at`,
        [idOrName],
      );
      const row = rows[0];
      if (!row) {
        throw new NotFoundError(`no active API key has the id or name "${idOrName}"`, 'CB_APIKEY_NOT_FOUND', {
          idOrName,
        });
      }
      generation++;
      cache.delete(row.id);
      loading.delete(row.id);
      touchedAt.delete(row.id);
      logger.info('api key revoked', { context: { keyId: row.id, keyName: row.name } });
      return summary(row);
    },

    async rotate(idOrName, rotateOptions = {}) {
      const grace = rotateOptions.graceSeconds ?? 86_400;
      if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS)
        throw new ValidationError(
          `the grace period is 0 to ${MAX_GRACE_SECONDS / 86_400} days`,
          [{ path: 'graceSeconds', message: `invalid grace period ${grace}` }],
          'CB_APIKEY_GRACE_INVALID',
        );
      const narrowed = rotateOptions.scopes === undefined ? undefined : parseScopes(rotateOptions.scopes);
      const rotated = await db.transaction(async (tx) => {
        // Its revocation is scheduled first: the name is then free for the new key (the unique index
        // covers keys without a revocation).
        const { rows } = await tx.query<KeyRow>(
          `update cb_api_keys set revoked_at = now() + make_interval(secs => $2)
            where id = (select id from cb_api_keys
                         where revoked_at is null and (id = $1 or name = $1)
                         order by (id = $1) desc limit 1)
            returning id, name, scopes, created_at, last_used_at, revoked_at`,
          [idOrName, grace],
        );
        const old = rows[0];
        if (!old)
          throw new NotFoundError(
            `no API key without a scheduled revocation has the id or name "${idOrName}"`,
            'CB_APIKEY_NOT_FOUND',
            { idOrName },
          );
        const scopes = narrowed ?? (old.scopes as Scope[]);
        const wider = scopes.filter((s) => !scopeAllows(old.scopes, s));
        // Thrown inside the transaction: the old key's scheduled revocation is rolled back too.
        if (wider.length > 0)
          throw new ValidationError(
            `a rotation keeps or narrows a key's scopes: "${old.name}" holds ${old.scopes.join(', ')}, which does not grant ${wider.join(', ')}; create a new key for more access`,
            wider.map((s) => ({
              path: 'scopes',
              message: `${s} is not granted by ${old.scopes.join(', ')}`,
            })),
            'CB_APIKEY_SCOPE_WIDER',
          );
        const { id, key } = generateApiKey();
        try {
          await tx.query('insert into cb_api_keys (id, name, scopes, secret_hash) values ($1, $2, $3, $4)', [
            id,
            old.name,
            scopes,
            hashApiKey(key),
          ]);
        } catch (err) {
          const e = err as { code?: unknown; constraint?: unknown };
          // Another rotation of the same key committed first: its new key holds the name.
          if (e.code === '23505' && e.constraint === 'cb_api_keys_active_name')
            throw new ConflictError(
              'CB_APIKEY_NAME_TAKEN',
              `"${old.name}" was rotated by someone else just now; cb apikey list shows its new key`,
              { details: { name: old.name } },
            );
          throw err;
        }
        return {
          created: { id, key, name: old.name, scopes },
          previous: summary(old),
        };
      });
      // The old key's cached row has no revocation: reload it.
      generation++;
      cache.delete(rotated.previous.id);
      loading.delete(rotated.previous.id);
      logger.info('api key rotated', {
        context: {
          keyName: rotated.created.name,
          keyId: rotated.created.id,
          scopes: rotated.created.scopes,
          previousKeyId: rotated.previous.id,
          previousScopes: rotated.previous.scopes,
          previousRevokedAt: rotated.previous.revokedAt?.toISOString(),
        },
      });
      return rotated;
    },

    async verify(presentedKey) {
      const parsed = typeof presentedKey === 'string' ? parseApiKey(presentedKey) : undefined;
      if (!parsed) return undefined;
      const cached = cache.get(parsed.id);
      const row = cached && cached.expiresAt > now() ? cached.row : await load(parsed.id);
      // A future revoked_at is a rotation's grace period: the key works until then. Compared with
      // the wall clock, as the database's now() wrote it (the injected clock times the cache only).
      if (!row || (row.revoked_at !== null && new Date(row.revoked_at).getTime() <= Date.now()))
        return undefined;
      if (!hashesEqual(hashApiKey(presentedKey), row.secret_hash)) return undefined;
      await touch(row.id);
      return { id: row.id, name: row.name, scopes: row.scopes as Scope[] };
    },
  };
}
