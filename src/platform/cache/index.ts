/**
 * The cache subsystem: the only way in is this file.
 *
 * Design
 * - Two levels per namespace: an in-process LRU (L1, `lru-cache`, `config.cacheMaxEntries` entries,
 *   `config.cacheTtlMs` lifetime) and, when `REDIS_URL` is set, Redis (L2) shared by every instance.
 *   `getOrLoad` reads L1, then L2, then calls the loader once per key per process (single flight)
 *   and fills both levels.
 * - Whole-namespace invalidation is a version bump: entries live at `cb:c:{ns}:v{version}:{key}`, the
 *   version at `cb:c:{ns}:version` (INCR; `cb:` is CB_REDIS_KEY_PREFIX's default, redis-keys.ts). Old entries are never deleted, just unreachable, and expire
 *   by TTL. Each instance caches the version and forgets it when told of a bump.
 * - Every `set`, `delete` and `invalidateAll` is announced on the pub/sub channel `cb:c:invalidate`,
 *   read by a second connection, so every other instance drops its L1 copy as the message arrives.
 *   A load that was in flight when its key was invalidated answers its caller but stores nothing.
 * - Redis failing never fails a caller: the operation is counted in
 *   `cb_cache_redis_errors_total{cache,operation}`, logged at most every 30 s, and the cache runs on
 *   L1 + the source. Invalidations that could not be sent are replayed when Redis answers again
 *   (past 1000 keys per namespace, the namespace is bumped instead), and until then the affected
 *   keys skip L2. When a connection comes back every L1 is dropped, since messages sent meanwhile
 *   were lost. During an outage L1 copies can be stale for at most their TTL.
 * - A value loaded from the source just before another instance changed the source can reach L2
 *   after that instance's invalidation (the classic cache-aside race); it lives at most one TTL.
 *   Keep TTLs short for data that must never be stale, or `set` the new value after writing it.
 * - Values go through the namespace codec on every store (default JSON + bigint), so all levels and
 *   instances return the same shape. Voting power and amounts: bigint or decimal strings, both exact.
 * - Metrics: `cb_cache_requests_total{cache,level,result}` (a `redis` look-up is counted only when
 *   Redis answered), `cb_cache_evictions_total{cache,reason}` (memory only; `invalidated` includes
 *   drops on reconnect), `cb_cache_redis_errors_total{cache,operation}` (`cache="*"` for the
 *   subscriber). `createRedisSampler` fills `cb_redis_*` from INFO; one process per deployment runs it.
 * - `close` is the caller's to register with shutdown; nothing here is global or starts a timer.
 * - Reconciliation (`cb reconcile cache`): `namespace.shared` reads the entries Redis holds at the
 *   current version and repairs one; `reconcileShared` compares them with a source the caller
 *   recomputes and, with `fix`, rewrites the stale ones from it (reconcile-shared.ts).
 *
 * Errors: CB_CACHE_INVALID_ARGUMENT (bad namespace name/options/key, namespace declared twice),
 * CB_CACHE_VALUE_UNSERIALIZABLE (a value the codec cannot store), CB_REDIS_UNAVAILABLE (`ping`).
 */
export type { CacheNamespace, NamespaceOptions } from './cache-namespace.ts';
export { CacheArgumentError, MAX_PENDING_KEYS } from './cache-namespace.ts';
export { type Cache, type CreateCacheOptions, createCache } from './create-cache.ts';
export {
  type CreateRedisSamplerOptions,
  createRedisSampler,
  type RedisSampler,
} from './create-redis-sampler.ts';
export { CacheValueError, deserializeJson, serializeJson } from './json-codec.ts';
export {
  type CacheDifference,
  type Recomputed,
  type ReconcileSharedOptions,
  reconcileShared,
  type SharedReconcileReport,
  type StaleCacheEntry,
} from './reconcile-shared.ts';
export type { RepairOutcome, SharedEntries, SharedEntry, SharedScan } from './shared-entries.ts';
