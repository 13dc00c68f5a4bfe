/**
 * Waits up to `timeoutMs` for a client to be connected. Our clients refuse commands while
 * (re)connecting instead of queueing them, so a check made during start-up or a reconnect backoff
 * would fail although Redis is fine; a readiness probe or a sample waits for it instead.
 */
import type { Redis } from 'ioredis';

export async function whenReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  let onReady = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      client.once('ready', onReady);
      timer = setTimeout(
        () => reject(new Error(`not connected within ${timeoutMs} ms (${client.status})`)),
        timeoutMs,
      );
    });
  } finally {
    clearTimeout(timer);
    client.off('ready', onReady);
  }
}
