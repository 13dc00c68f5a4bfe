/**
 * The cache's two Redis connections: one for commands, one subscribed to the invalidation channel
 * (a subscribed connection cannot run other commands). Every command goes through `run`, which
 * never throws: a failure is counted in `cb_cache_redis_errors_total{cache,operation}`, logged at
 * most once per `logEveryMs`, and reported as `{ ok: false }` so the caller degrades to memory and
 * the source.
 *
 * `onRestored` fires when a connection that had been lost is back (for the subscriber: once it is
 * subscribed again), `onRecovered` when a command succeeds after failures — the cache then drops
 * its memory copies and replays the invalidations it could not send.
 */
import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { closeRedis, createRedis } from '../redis.ts';
import { decodeInvalidation, encodeInvalidation, type InvalidationMessage } from './invalidation-message.ts';
import { createLogThrottle } from './log-throttle.ts';
import { whenReady } from './when-ready.ts';

/** Label value of `operation` in `cb_cache_redis_errors_total`. */
export type RedisOperation = 'get' | 'set' | 'delete' | 'invalidate' | 'version' | 'subscribe';

export type RunResult<R> = { ok: true; value: R } | { ok: false };

export interface RedisLink {
  /** Random id of this Cache instance, carried by its invalidation messages. */
  readonly origin: string;
  /** Runs `fn` on the command connection; never throws (see the module note). */
  run<R>(cache: string, operation: RedisOperation, fn: (client: Redis) => Promise<R>): Promise<RunResult<R>>;
  /** The PUBLISH arguments of an invalidation (to add to a pipeline or transaction). */
  message(
    namespace: string,
    body: Pick<InvalidationMessage, 'keys' | 'all'>,
  ): [channel: string, text: string];
  /** PING answered and the subscriber subscribed, within `timeoutMs`; UnavailableError otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface CreateRedisLinkOptions {
  url: string;
  channel: string;
  logger: Logger;
  metrics: Metrics;
  commandTimeoutMs: number;
  logEveryMs: number;
  /** An invalidation sent by another Cache instance. */
  onMessage(message: InvalidationMessage): void;
  /** A connection was lost and is back: memory copies may be stale. */
  onRestored(): void;
  /** Commands succeed again after failures: replay what could not be sent. */
  onRecovered(): void;
}

/** Per-command results of a pipeline or MULTI; throws the first command's error. */
export async function execAll(batch: ChainableCommander): Promise<unknown[]> {
  const results = await batch.exec();
  if (results === null) throw new Error('transaction aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

export function createRedisLink(options: CreateRedisLinkOptions): RedisLink {
  const { logger, metrics } = options;
  const origin = randomBytes(8).toString('hex');
  const clientOptions = { url: options.url, logger, commandTimeoutMs: options.commandTimeoutMs };
  const command = createRedis({ ...clientOptions, name: 'cache' });
  const subscriber = createRedis({ ...clientOptions, name: 'cache-sub' });
  const throttle = createLogThrottle(options.logEveryMs);
  let closed = false;
  let failing = false;

  const failed = (cache: string, operation: RedisOperation, err: unknown) => {
    metrics.cacheDegraded.inc({ cache, operation });
    failing = true;
    throttle.run((suppressed) =>
      logger.warn('cache redis operation failed; serving from memory and the source', {
        context: { cache, operation },
        metrics: { suppressedWarnings: suppressed },
        err,
      }),
    );
  };

  // Command connection: a 'close' after which 'ready' comes again means we were cut off.
  let commandLost = false;
  command.on('close', () => {
    if (!closed) commandLost = true;
  });
  command.on('ready', () => {
    if (!commandLost || closed) return;
    commandLost = false;
    options.onRestored();
  });

  // Subscriber: (re)subscribe on every 'ready' — the first SUBSCRIBE may have failed, since a client
  // without an offline queue refuses commands until connected. Only once subscribed again is it
  // safe to drop memory copies: an invalidation sent between the drop and the subscription would
  // be missed otherwise.
  let subscribed = false;
  let subscriberLost = false;
  let markSubscribed: () => void = () => {};
  let whenSubscribed = new Promise<void>((resolve) => {
    markSubscribed = resolve;
  });
  subscriber.on('close', () => {
    if (closed) return;
    if (subscribed) {
      whenSubscribed = new Promise<void>((resolve) => {
        markSubscribed = resolve;
      });
    }
    subscribed = false;
    subscriberLost = true;
  });
  subscriber.on('ready', () => {
    subscriber.subscribe(options.channel).then(
      () => {
        if (closed) return;
        subscribed = true;
        markSubscribed();
        if (subscriberLost) {
          subscriberLost = false;
          options.onRestored();
        }
      },
      (err: unknown) => failed('*', 'subscribe', err),
    );
  });
  subscriber.on('message', (channel: string, text: string) => {
    if (channel !== options.channel || closed) return;
    const message = decodeInvalidation(text);
    if (message && message.origin !== origin) options.onMessage(message);
  });

  return {
    origin,
    async run(cache, operation, fn) {
      if (closed) return { ok: false };
      try {
        const value = await fn(command);
        if (failing) {
          failing = false;
          logger.info('cache redis operations succeed again', { context: { cache, operation } });
          options.onRecovered();
        }
        return { ok: true, value };
      } catch (err) {
        if (!closed) failed(cache, operation, err);
        return { ok: false };
      }
    },
    message(namespace, body) {
      return [options.channel, encodeInvalidation({ origin, namespace, ...body })];
    },
    async ping(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      try {
        if (closed) throw new Error('the cache is closed');
        await Promise.race([
          Promise.all([
            // A connection still being made (start-up, reconnect backoff) gets the whole timeout.
            whenReady(command, timeoutMs).then(() => command.ping()),
            whenSubscribed,
          ]),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${timeoutMs} ms`)),
              Math.max(0, deadline - performance.now()),
            );
          }),
        ]);
      } catch (err) {
        throw new UnavailableError('CB_REDIS_UNAVAILABLE', `redis unreachable: ${(err as Error).message}`, {
          cause: err,
        });
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([closeRedis(command), closeRedis(subscriber)]);
    },
  };
}
