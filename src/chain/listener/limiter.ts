/**
 * At most `concurrency` calls of the returned function run at once; the rest wait in order of
 * arrival — except `urgent` calls, which wait ahead of the others (the small reads that complete a
 * range already fetched, so it is not held up behind the next ranges' big eth_getLogs).
 */
export type Limiter = <T>(fn: () => Promise<T>, options?: { urgent?: boolean }) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  const max = Math.max(1, Math.floor(concurrency));
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>, options: { urgent?: boolean } = {}): Promise<T> => {
    if (running >= max)
      await new Promise<void>((resolve) =>
        options.urgent ? waiting.unshift(resolve) : waiting.push(resolve),
      );
    else running++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot take it in between.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
