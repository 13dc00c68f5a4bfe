/**
 * Where the cache keeps things in Redis. With the default prefix `cb:c:` (CB_REDIS_KEY_PREFIX `cb:`,
 * see ../redis-key-prefixes.ts):
 * - an entry:            `cb:c:{namespace}:v{version}:{key}`
 * - a namespace version: `cb:c:{namespace}:version` (an integer, INCR to bump; missing = 0)
 * - invalidations:       channel `cb:c:invalidate` (pub/sub is not per database, so the channel
 *                        carries the prefix too; two deployments sharing a Redis need two
 *                        CB_REDIS_KEY_PREFIX values)
 *
 * Entry keys cannot collide with version keys: namespace names never contain `:` and entry keys
 * always continue with `v<digits>:`.
 */

export interface CacheKeys {
  entry(namespace: string, version: number, key: string): string;
  version(namespace: string): string;
  readonly channel: string;
}

export function cacheKeys(prefix: string): CacheKeys {
  return {
    entry: (namespace, version, key) => `${prefix}${namespace}:v${version}:${key}`,
    version: (namespace) => `${prefix}${namespace}:version`,
    channel: `${prefix}invalidate`,
  };
}
