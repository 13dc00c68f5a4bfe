/**
 * Where each component keeps its keys in Redis, under the deployment's `CB_REDIS_KEY_PREFIX`
 * (`config.redisKeyPrefix`, `cb:` by default). Every component that writes to Redis takes its
 * prefix from here, so one setting keeps two deployments sharing a Redis (staging and production,
 * two communities) apart, keys and pub/sub channels alike; with the default they are the names cb
 * has always used, and an upgrade keeps its keys.
 */
export interface RedisKeyPrefixes {
  /** The shared cache: entries, namespace versions and the invalidation channel (cache/redis-keys.ts). */
  cache: string;
  /** The API's rate-limit counters (@fastify/rate-limit's `nameSpace`). */
  rateLimit: string;
}

export function redisKeyPrefixes(redisKeyPrefix: string): RedisKeyPrefixes {
  return { cache: `${redisKeyPrefix}c:`, rateLimit: `${redisKeyPrefix}ratelimit:` };
}
