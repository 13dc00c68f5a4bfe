/**
 * The cache: namespaces of in-process LRU (L1) backed by Redis (L2) when a Redis URL is given.
 * See `index.ts` for the design; this file wires namespaces to the Redis link.
 */
import type { Common } from '../common.ts';
import { redisKeyPrefixes } from '../redis-key-prefixes.ts';
import {
  CacheArgumentError,
  type CacheNamespace,
  createCacheNamespace,
  type NamespaceControl,
  type NamespaceOptions,
} from './cache-namespace.ts';
import { cacheKeys } from './redis-keys.ts';
import { createRedisLink, type RedisLink } from './redis-link.ts';

export interface CreateCacheOptions {
  common: Common;
  /**
   * Redis of the L2 cache and of invalidations. Left out: `common.config.redisUrl`; given as
   * `undefined`: no Redis, memory only.
   */
  redisUrl?: string | undefined;
  /**
   * Prefix of every Redis key and of the invalidation channel (tests give their own).
   * @defaultValue the cache's under `common.config.redisKeyPrefix`: `'cb:c:'` by default
   */
  keyPrefix?: string | undefined;
  /** A Redis command not answered within this many ms fails (and the cache degrades). @defaultValue 500 */
  commandTimeoutMs?: number | undefined;
  /** Warnings about failing Redis commands are logged at most once per this many ms. @defaultValue 30000 */
  logEveryMs?: number | undefined;
}

export interface Cache {
  /**
   * Declares a namespace (its name is the `cache` metric label: 1-63 of a-z 0-9 _ -). Declare each
   * once, at start-up; a second declaration throws CB_CACHE_INVALID_ARGUMENT.
   */
  namespace<T>(name: string, options?: NamespaceOptions<T>): CacheNamespace<T>;
  /** True when Redis is configured (L2 and cross-instance invalidation on). */
  readonly redisEnabled: boolean;
  /**
   * Readiness: resolves when Redis answers and invalidations are being received, within
   * `timeoutMs`; throws UnavailableError CB_REDIS_UNAVAILABLE otherwise. Resolves at once without Redis.
   */
  ping(timeoutMs: number): Promise<void>;
  /** Quits both Redis connections; the namespaces keep working from memory. Idempotent. */
  close(): Promise<void>;
}

/** Builds the cache. Registers nothing: the caller adds `close` to its shutdown. */
export function createCache(options: CreateCacheOptions): Cache {
  const { common } = options;
  const url = 'redisUrl' in options ? options.redisUrl : common.config.redisUrl;
  const keys = cacheKeys(options.keyPrefix ?? redisKeyPrefixes(common.config.redisKeyPrefix).cache);
  const logger = common.logger.child('cache');
  const controls = new Map<string, NamespaceControl>();

  // One replay at a time; a request arriving meanwhile runs another pass (it may carry new failures).
  let replaying = false;
  let replayAgain = false;
  const replayAll = () => {
    if (replaying) {
      replayAgain = true;
      return;
    }
    replaying = true;
    void (async () => {
      try {
        // Bounded: a command that always fails (say a version key someone overwrote with text)
        // next to others that succeed would otherwise re-trigger replays forever.
        for (let pass = 0; pass < 3 && (pass === 0 || replayAgain); pass++) {
          replayAgain = false;
          for (const control of [...controls.values()]) await control.replay();
        }
      } finally {
        replaying = false;
      }
    })();
  };

  const link: RedisLink | undefined = url
    ? createRedisLink({
        url,
        channel: keys.channel,
        logger,
        metrics: common.metrics,
        commandTimeoutMs: options.commandTimeoutMs ?? 500,
        logEveryMs: options.logEveryMs ?? 30_000,
        onMessage: (message) => controls.get(message.namespace)?.receive(message.keys, message.all === true),
        // While a connection was down, invalidations sent by other instances may never have reached
        // us (pub/sub does not queue for absent subscribers) and the version may have been bumped:
        // any memory copy may be stale, so all of them go, and versions are read again.
        onRestored: () => {
          logger.info('cache redis connection restored; dropping in-memory copies');
          for (const control of controls.values()) control.restored();
          replayAll();
        },
        onRecovered: replayAll,
      })
    : undefined;

  return {
    namespace<T>(name: string, namespaceOptions?: NamespaceOptions<T>) {
      if (controls.has(name)) throw new CacheArgumentError(`cache namespace "${name}" is declared twice`);
      const { namespace, control } = createCacheNamespace<T>(
        {
          metrics: common.metrics,
          ttlMs: common.config.cacheTtlMs,
          maxEntries: common.config.cacheMaxEntries,
          link,
          keys,
        },
        name,
        namespaceOptions,
      );
      controls.set(name, control);
      return namespace;
    },
    redisEnabled: link !== undefined,
    async ping(timeoutMs) {
      await link?.ping(timeoutMs);
    },
    async close() {
      await link?.close();
    },
  };
}
