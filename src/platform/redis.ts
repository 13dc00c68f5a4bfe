/**
 * Redis clients with settings that fail fast instead of queueing: when Redis is down a command
 * errors within `commandTimeoutMs` and callers degrade (the cache falls back to memory and the
 * source) rather than hang. Reconnects forever in the background with capped backoff. Connection
 * errors are logged at most once per `logEveryMs` per client.
 */
import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export interface CreateRedisOptions {
  url: string;
  /** Client name (CLIENT SETNAME, and in logs). */
  name: string;
  logger: Logger;
  commandTimeoutMs?: number | undefined;
  logEveryMs?: number | undefined;
}

export function createRedis(options: CreateRedisOptions): Redis {
  const { logger } = options;
  const client = new Redis(options.url, {
    connectionName: `cb-${options.name}`,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    lazyConnect: false,
  });
  let lastLog = 0;
  let wasDown = false;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLog < (options.logEveryMs ?? 30_000)) return;
    lastLog = now;
    wasDown = true;
    logger.warn('redis connection failed', { context: { client: options.name }, err });
  });
  client.on('ready', () => {
    if (wasDown) logger.info('redis connection restored', { context: { client: options.name } });
    wasDown = false;
  });
  return client;
}

/** Closes a client without throwing (QUIT when connected, disconnect otherwise). */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}
