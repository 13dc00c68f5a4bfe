/**
 * One namespace of the cache: an in-process LRU (L1) in front of Redis (L2, when configured).
 *
 * Consistency rules, each guarding a race found while designing this:
 * - Every value is stored as what its codec returns (`deserialize(serialize(v))`), so a memory hit
 *   and a Redis hit return the same shape on every instance.
 * - A load or read in flight holds a token; an invalidation of its key (local, or from another
 *   instance) marks the token stale, and a stale operation still answers its caller but stores
 *   nothing — it may have read the value that was just invalidated.
 * - While an invalidation of a key (or of the namespace) has not been confirmed by Redis — in
 *   flight, or failed and waiting for replay — that key (or the whole namespace) bypasses Redis:
 *   Redis may still hold the old value.
 * - The namespace version is cached; a bump from another instance makes this one forget it and
 *   read it again, and an answer that arrives after the version was forgotten is discarded.
 */
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { BaseError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { CacheValueError, deserializeJson, serializeJson } from './json-codec.ts';
import type { CacheKeys } from './redis-keys.ts';
import { execAll, type RedisLink } from './redis-link.ts';
import { createSharedEntries, type SharedEntries } from './shared-entries.ts';

/** Options of one namespace; fields left out take the Cache's defaults. */
export interface NamespaceOptions<T> {
  /** Default entry lifetime in memory and in Redis, ms. @defaultValue `config.cacheTtlMs` */
  ttlMs?: number | undefined;
  /** Entries kept in memory by this process (least recently used go first). @defaultValue `config.cacheMaxEntries` */
  maxEntries?: number | undefined;
  /** Value → text. @defaultValue `serializeJson` (JSON + bigint) */
  serialize?: ((value: T) => string) | undefined;
  /** Text → value, the inverse of `serialize`. @defaultValue `deserializeJson` */
  deserialize?: ((text: string) => T) | undefined;
}

/**
 * Cached values of one kind. Values are shared between callers: treat them as immutable.
 * `undefined` means "not cached", so it cannot be a value (use `null`).
 */
export interface CacheNamespace<T> {
  readonly name: string;
  /** The cached value (memory, then Redis), or undefined. Never throws a Redis error. */
  get(key: string): Promise<T | undefined>;
  /**
   * Stores `value` for `ttlMs` (namespace default when omitted) in memory and Redis, and tells the
   * other instances to drop their copy. A Redis failure is counted and the write replayed later.
   */
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  /**
   * The cached value, or the loader's (then cached). Concurrent misses of one key in this process
   * share one loader call. Throws only what the loader throws (or CB_CACHE_VALUE_UNSERIALIZABLE).
   */
  getOrLoad(key: string, loader: () => Promise<T> | T, ttlMs?: number): Promise<T>;
  /** Drops `key` here, in Redis and (through pub/sub) on every other instance. */
  delete(key: string): Promise<void>;
  /** Drops the whole namespace everywhere by bumping its version in Redis. */
  invalidateAll(): Promise<void>;
  /** The value in this process's memory, without touching Redis, recency or metrics (reconciliation, tests). */
  peekLocal(key: string): T | undefined;
  /**
   * The namespace's entries in Redis as stored, to check them against the source and repair them
   * (`cb reconcile cache`); undefined without Redis. See shared-entries.ts.
   */
  readonly shared: SharedEntries<T> | undefined;
}

/** What the Cache gives each namespace. */
export interface NamespaceContext {
  metrics: Metrics;
  ttlMs: number;
  maxEntries: number;
  /** Undefined when Redis is not configured: memory only. */
  link: RedisLink | undefined;
  keys: CacheKeys;
}

/** The Cache's handle on a namespace: reactions to pub/sub and to connection changes. */
export interface NamespaceControl {
  /** Another instance invalidated these keys, or (all) bumped the version. */
  receive(keys: readonly string[] | undefined, all: boolean): void;
  /** A Redis connection came back: forget memory copies and the cached version. */
  restored(): void;
  /** Sends the invalidations that failed earlier; resolves when done or failed again. */
  replay(): Promise<void>;
}

/** A failed key invalidation is remembered for replay; beyond this many, the namespace is bumped instead. */
export const MAX_PENDING_KEYS = 1000;

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const MAX_KEY_LENGTH = 1024;

/** Bad input to the cache API (a programming error: do not retry). */
export class CacheArgumentError extends BaseError {
  override name = 'CacheArgumentError';
  constructor(message: string) {
    super('CB_CACHE_INVALID_ARGUMENT', message);
  }
}

export function assertNamespaceName(name: string): void {
  if (!NAME.test(name)) {
    throw new CacheArgumentError(
      `cache namespace "${name}" must be 1-63 of a-z 0-9 _ -, starting with a letter (it is a metric label)`,
    );
  }
}

export function assertTtl(ttlMs: number, what = 'ttlMs'): void {
  // lru-cache reads 0 as "never expires": refuse it rather than cache forever by accident.
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new CacheArgumentError(`${what} must be a whole number of milliseconds ≥ 1, got ${ttlMs}`);
  }
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new CacheArgumentError(`cache key must be a string of 1-${MAX_KEY_LENGTH} characters`);
  }
}

interface Box<T> {
  value: T;
}

interface Token {
  stale: boolean;
  refs: number;
}

interface Flight<T> {
  token: Token;
  promise: Promise<T>;
}

/** An L2 read: `hit` with the value, or a miss at `version` (where the loaded value then goes). */
type L2Read<T> = { hit: true; value: T; ttlMs: number } | { hit: false; version: number };

export function createCacheNamespace<T>(
  context: NamespaceContext,
  name: string,
  options: NamespaceOptions<T> = {},
): { namespace: CacheNamespace<T>; control: NamespaceControl } {
  assertNamespaceName(name);
  const { link, keys, metrics } = context;
  const ttlMs = options.ttlMs ?? context.ttlMs;
  const maxEntries = options.maxEntries ?? context.maxEntries;
  assertTtl(ttlMs);
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new CacheArgumentError(`maxEntries must be a whole number ≥ 1, got ${maxEntries}`);
  }
  const serialize = options.serialize ?? serializeJson;
  const deserialize = options.deserialize ?? (deserializeJson as (text: string) => T);
  const versionKey = keys.version(name);

  const memoryHit = metrics.cacheRequests.labels({ cache: name, level: 'memory', result: 'hit' });
  const memoryMiss = metrics.cacheRequests.labels({ cache: name, level: 'memory', result: 'miss' });
  const redisHit = metrics.cacheRequests.labels({ cache: name, level: 'redis', result: 'hit' });
  const redisMiss = metrics.cacheRequests.labels({ cache: name, level: 'redis', result: 'miss' });
  const dropped = {
    expired: metrics.cacheEvictions.labels({ cache: name, reason: 'expired' }),
    evicted: metrics.cacheEvictions.labels({ cache: name, reason: 'evicted' }),
    invalidated: metrics.cacheEvictions.labels({ cache: name, reason: 'invalidated' }),
  };

  let clearing = false;
  const memory = new LRUCache<string, Box<T>>({
    max: maxEntries,
    ttl: ttlMs,
    updateAgeOnGet: false,
    allowStale: false,
    // 'set' (a value replaced) and 'fetch' (unused) are not drops. Expired entries are found lazily,
    // when read or pushed out, so `expired` counts the ones noticed, not every one that lapsed.
    dispose: (_value, _key, reason) => {
      if (clearing) return;
      if (reason === 'expire') dropped.expired.inc();
      else if (reason === 'evict') dropped.evicted.inc();
      else if (reason === 'delete') dropped.invalidated.inc();
    },
  });

  // ── tokens and single flight ────────────────────────────────────────────
  const tokens = new Map<string, Token>();
  const flights = new Map<string, Flight<T>>();

  const enter = (key: string): Token => {
    let token = tokens.get(key);
    if (!token) {
      token = { stale: false, refs: 0 };
      tokens.set(key, token);
    }
    token.refs++;
    return token;
  };
  const leave = (key: string, token: Token) => {
    token.refs--;
    if (token.refs === 0 && tokens.get(key) === token) tokens.delete(key);
  };

  /** Makes operations in flight on `key` store nothing, and later callers start afresh. */
  const staleKey = (key: string) => {
    const token = tokens.get(key);
    if (token) {
      token.stale = true;
      tokens.delete(key);
    }
    flights.delete(key);
  };
  const dropLocalKey = (key: string) => {
    memory.delete(key);
    staleKey(key);
  };
  const dropLocalAll = () => {
    const count = memory.size;
    clearing = true;
    try {
      memory.clear();
    } finally {
      clearing = false;
    }
    if (count > 0) dropped.invalidated.inc(count);
    for (const token of tokens.values()) token.stale = true;
    tokens.clear();
    flights.clear();
  };

  // ── the namespace version ───────────────────────────────────────────────
  let version: number | undefined;
  let versionLoad: Promise<number | undefined> | undefined;
  let versionEpoch = 0;

  /** Forgets the cached version; answers to reads started before are discarded. */
  const forgetVersion = () => {
    version = undefined;
    versionLoad = undefined;
    versionEpoch++;
    return versionEpoch;
  };

  /** The namespace version (cached), or undefined when Redis cannot say. */
  const currentVersion = (redis: RedisLink): Promise<number | undefined> => {
    if (version !== undefined) return Promise.resolve(version);
    if (versionLoad) return versionLoad;
    const epoch = versionEpoch;
    const load = redis
      .run(name, 'version', (client) => client.get(versionKey))
      .then((result) => {
        if (versionLoad === load) versionLoad = undefined;
        if (!result.ok || epoch !== versionEpoch) return undefined;
        const parsed = result.value === null ? 0 : Number(result.value);
        if (!Number.isSafeInteger(parsed)) return undefined;
        version = parsed;
        return parsed;
      });
    versionLoad = load;
    return load;
  };

  // ── invalidations not yet confirmed by Redis ────────────────────────────
  const keysInFlight = new Map<string, number>();
  let allInFlight = 0;
  /** Failed key invalidations, each with a sequence number so a replay clears only what it sent. */
  const failedKeys = new Map<string, number>();
  let failedAll = false;
  let failureSeq = 0;

  const redisBypassed = (key: string) =>
    failedAll || allInFlight > 0 || failedKeys.has(key) || keysInFlight.has(key);

  const markFailed = (key: string) => {
    if (failedAll) return;
    failedKeys.set(key, ++failureSeq);
    if (failedKeys.size > MAX_PENDING_KEYS) {
      failedAll = true;
      failedKeys.clear();
    }
  };

  /** Runs a key invalidation (or write) against Redis, bypassing Redis for `key` until it is confirmed. */
  const confirmKey = async (
    redis: RedisLink,
    key: string,
    operation: 'set' | 'delete',
    send: (client: Redis, version: number) => Promise<unknown>,
  ) => {
    keysInFlight.set(key, (keysInFlight.get(key) ?? 0) + 1);
    try {
      const v = await currentVersion(redis);
      const result =
        v === undefined ? { ok: false } : await redis.run(name, operation, (client) => send(client, v));
      if (!result.ok) markFailed(key);
    } finally {
      const n = (keysInFlight.get(key) ?? 1) - 1;
      if (n === 0) keysInFlight.delete(key);
      else keysInFlight.set(key, n);
    }
  };

  /** INCR the version and announce it, in one transaction. */
  const bump = async (redis: RedisLink): Promise<boolean> => {
    const epoch = forgetVersion();
    allInFlight++;
    try {
      const [channel, text] = redis.message(name, { all: true });
      const result = await redis.run(name, 'invalidate', (client) =>
        execAll(client.multi().incr(versionKey).publish(channel, text)),
      );
      if (!result.ok) return false;
      const bumped = Number(result.value[0]);
      if (epoch === versionEpoch && Number.isSafeInteger(bumped)) version = bumped;
      return true;
    } finally {
      allInFlight--;
    }
  };

  // ── values ──────────────────────────────────────────────────────────────
  /** The value as every level will return it, and its text for Redis. */
  const encode = (value: T): { value: T; text: string } => {
    if (value === undefined) throw new CacheValueError('undefined cannot be cached (use null)');
    const text = serialize(value);
    if (typeof text !== 'string')
      throw new CacheValueError(`serializer of "${name}" did not return a string`);
    return { value: deserialize(text), text };
  };

  const readRedis = async (redis: RedisLink, key: string): Promise<L2Read<T> | undefined> => {
    if (redisBypassed(key)) return undefined;
    const v = await currentVersion(redis);
    if (v === undefined) return undefined;
    const entryKey = keys.entry(name, v, key);
    const result = await redis.run(name, 'get', (client) =>
      execAll(client.pipeline().get(entryKey).pttl(entryKey)),
    );
    if (!result.ok) return undefined;
    const [text, pttl] = result.value as [string | null, number];
    if (text === null) {
      redisMiss.inc();
      return { hit: false, version: v };
    }
    let value: T;
    try {
      value = deserialize(text);
    } catch {
      // Written by an incompatible version of the code: a miss, and the reload overwrites it.
      redisMiss.inc();
      return { hit: false, version: v };
    }
    redisHit.inc();
    // Memory must not outlive Redis: an entry set with a short TTL elsewhere keeps that TTL here.
    return { hit: true, value, ttlMs: pttl > 0 ? pttl : pttl === -1 ? ttlMs : 0 };
  };

  const readMemory = (key: string): Box<T> | undefined => {
    const box = memory.get(key);
    (box ? memoryHit : memoryMiss).inc();
    return box;
  };

  const namespace: CacheNamespace<T> = {
    name,

    async get(key) {
      assertKey(key);
      const box = readMemory(key);
      if (box) return box.value;
      if (!link) return undefined;
      const token = enter(key);
      try {
        const read = await readRedis(link, key);
        if (!read?.hit) return undefined;
        if (!token.stale && read.ttlMs > 0) memory.set(key, { value: read.value }, { ttl: read.ttlMs });
        return read.value;
      } finally {
        leave(key, token);
      }
    },

    async set(key, value, ttl) {
      assertKey(key);
      const entryTtl = ttl ?? ttlMs;
      assertTtl(entryTtl);
      const encoded = encode(value);
      staleKey(key);
      memory.set(key, { value: encoded.value }, { ttl: entryTtl });
      if (!link) return;
      const [channel, text] = link.message(name, { keys: [key] });
      await confirmKey(link, key, 'set', (client, v) =>
        execAll(
          client
            .pipeline()
            .set(keys.entry(name, v, key), encoded.text, 'PX', entryTtl)
            .publish(channel, text),
        ),
      );
    },

    getOrLoad(key, loader, ttl) {
      const entryTtl = ttl ?? ttlMs;
      try {
        assertKey(key);
        assertTtl(entryTtl);
      } catch (err) {
        return Promise.reject(err); // like the async methods: a rejection, never a synchronous throw
      }
      const box = readMemory(key);
      if (box) return Promise.resolve(box.value);
      const existing = flights.get(key);
      if (existing) return existing.promise;

      const flight = { token: enter(key) } as Flight<T>;
      flight.promise = (async () => {
        try {
          const read = link ? await readRedis(link, key) : undefined;
          if (read?.hit) {
            if (!flight.token.stale && read.ttlMs > 0) {
              memory.set(key, { value: read.value }, { ttl: read.ttlMs });
            }
            return read.value;
          }
          const encoded = encode(await loader());
          if (!flight.token.stale) {
            memory.set(key, { value: encoded.value }, { ttl: entryTtl });
            // Only where the read found a miss at a known version: the value goes under that
            // version, so a bump in the meantime leaves it unreachable instead of stale.
            if (link && read && !redisBypassed(key)) {
              const entryKey = keys.entry(name, read.version, key);
              await link.run(name, 'set', (client) => client.set(entryKey, encoded.text, 'PX', entryTtl));
            }
          }
          return encoded.value;
        } finally {
          leave(key, flight.token);
          if (flights.get(key) === flight) flights.delete(key);
        }
      })();
      flights.set(key, flight);
      return flight.promise;
    },

    async delete(key) {
      assertKey(key);
      dropLocalKey(key);
      if (!link) return;
      const [channel, text] = link.message(name, { keys: [key] });
      await confirmKey(link, key, 'delete', (client, v) =>
        execAll(
          client
            .pipeline()
            .del(keys.entry(name, v, key))
            .publish(channel, text),
        ),
      );
    },

    async invalidateAll() {
      dropLocalAll();
      if (!link) return;
      if (!(await bump(link))) failedAll = true;
    },

    peekLocal(key) {
      return memory.peek(key)?.value;
    },

    shared: link
      ? createSharedEntries<T>({
          name,
          link,
          keys,
          ttlMs,
          serialize: (value) => encode(value).text,
          deserialize,
          onRepaired: dropLocalKey,
        })
      : undefined,
  };

  const control: NamespaceControl = {
    receive(keysToDrop, all) {
      if (all) {
        dropLocalAll();
        forgetVersion();
        return;
      }
      for (const key of keysToDrop ?? []) dropLocalKey(key);
    },

    restored() {
      dropLocalAll();
      forgetVersion();
    },

    async replay() {
      if (!link) return;
      if (failedAll) {
        if (await bump(link)) {
          failedAll = false;
          failedKeys.clear();
        }
        return;
      }
      if (failedKeys.size === 0) return;
      const v = await currentVersion(link);
      if (v === undefined) return;
      const sent = [...failedKeys];
      const [channel, text] = link.message(name, { keys: sent.map(([key]) => key) });
      const result = await link.run(name, 'delete', (client) =>
        execAll(
          client
            .pipeline()
            .del(...sent.map(([key]) => keys.entry(name, v, key)))
            .publish(channel, text),
        ),
      );
      if (!result.ok) return;
      for (const [key, seq] of sent) if (failedKeys.get(key) === seq) failedKeys.delete(key);
    },
  };

  return { namespace, control };
}
