/**
 * Samples Redis `INFO` into the `cb_redis_*` metrics: memory used and its limits (maxmemory, and the
 * host's memory, the limit when maxmemory is 0), clients connected
 * and allowed, and the server's expired-keys / keyspace hit and miss counters (mirrored as
 * increments). `cb_redis_up` is 1 after a successful sample and 0 after a failed one.
 *
 * The gauges describe the server, not this process: one process per deployment (e.g. the worker)
 * is enough to run it. It owns its own connection so a slow INFO never delays cache commands.
 */
import type { Common } from '../common.ts';
import { closeRedis, createRedis } from '../redis.ts';
import { createLogThrottle } from './log-throttle.ts';
import { counterIncrement, parseRedisInfo } from './parse-redis-info.ts';
import { whenReady } from './when-ready.ts';

export interface CreateRedisSamplerOptions {
  common: Common;
  /** The Redis to sample (usually `config.redisUrl`; create no sampler without one). */
  redisUrl: string;
  /** Time between samples, ms. @defaultValue `config.dbSampleIntervalMs` */
  intervalMs?: number | undefined;
  /** A sample not connected and answered within this many ms (each) fails. @defaultValue 2000 */
  commandTimeoutMs?: number | undefined;
}

export interface RedisSampler {
  /** Takes one sample now; resolves true when it succeeded (never throws). */
  sample(): Promise<boolean>;
  /** Samples now and then every `intervalMs` (the timer does not keep the process alive). */
  start(): void;
  /** Stops the timer and quits the connection. */
  close(): Promise<void>;
}

type MirroredCounter = 'expired_keys' | 'keyspace_hits' | 'keyspace_misses';

export function createRedisSampler(options: CreateRedisSamplerOptions): RedisSampler {
  const { common } = options;
  const { metrics } = common;
  const logger = common.logger.child('redis-sampler');
  const intervalMs = options.intervalMs ?? common.config.dbSampleIntervalMs;
  const commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  const client = createRedis({
    url: options.redisUrl,
    name: 'sampler',
    logger,
    commandTimeoutMs,
  });
  const throttle = createLogThrottle(Math.max(30_000, intervalMs));
  const counters = {
    expired_keys: metrics.redisExpiredKeys,
    keyspace_hits: metrics.redisKeyspaceHits,
    keyspace_misses: metrics.redisKeyspaceMisses,
  } satisfies Record<MirroredCounter, unknown>;
  const previous = new Map<MirroredCounter, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  let closed = false;

  const number = (fields: Map<string, string>, name: string): number | undefined => {
    const raw = fields.get(name);
    const n = raw === undefined ? Number.NaN : Number(raw);
    return Number.isFinite(n) ? n : undefined;
  };

  const sampleOnce = async (): Promise<boolean> => {
    try {
      await whenReady(client, commandTimeoutMs);
      // Plain INFO (a few kB): several sections in one INFO call need Redis 7.
      const fields = parseRedisInfo(await client.info());
      const used = number(fields, 'used_memory');
      if (used === undefined) throw new Error('INFO has no used_memory field');
      metrics.redisMemoryUsed.set(used);
      metrics.redisMemoryMax.set(number(fields, 'maxmemory') ?? 0);
      // With maxmemory 0 (Redis's default) the host's memory is the limit: RedisMemoryHigh divides
      // by it then. INFO has it since Redis 3.2; 0 when the platform cannot tell.
      metrics.redisTotalSystemMemory.set(number(fields, 'total_system_memory') ?? 0);
      const connected = number(fields, 'connected_clients');
      if (connected !== undefined) metrics.redisConnectedClients.set(connected);
      // INFO lists maxclients since Redis 7; older servers answer CONFIG GET (unless it is renamed away).
      let maxClients = number(fields, 'maxclients');
      if (maxClients === undefined) {
        const answer = (await client.config('GET', 'maxclients').catch(() => [])) as string[];
        const n = Number(answer[1]);
        if (Number.isFinite(n)) maxClients = n;
      }
      if (maxClients !== undefined) metrics.redisMaxClients.set(maxClients);
      for (const [field, counter] of Object.entries(counters) as [
        MirroredCounter,
        (typeof counters)[MirroredCounter],
      ][]) {
        const current = number(fields, field);
        if (current === undefined) continue;
        const increment = counterIncrement(previous.get(field), current);
        if (increment > 0) counter.inc(increment);
        previous.set(field, current);
      }
      metrics.redisUp.set(1);
      return true;
    } catch (err) {
      metrics.redisUp.set(0);
      throttle.run((suppressed) =>
        logger.warn('redis INFO sample failed', { metrics: { suppressedWarnings: suppressed }, err }),
      );
      return false;
    }
  };

  const sample = (): Promise<boolean> => {
    if (closed) return Promise.resolve(false);
    // A sample slower than the interval is not stacked with the next one.
    running ??= sampleOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    sample,
    start() {
      if (timer || closed) return;
      void sample();
      timer = setInterval(() => void sample(), intervalMs);
      timer.unref();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
      await closeRedis(client);
    },
  };
}
