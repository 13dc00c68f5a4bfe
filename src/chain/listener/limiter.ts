/**
 * At most `concurrency` calls of the returned function run at once; the rest wait in order of
 * arrival — except `urgent` calls, which wait ahead of the others (the small reads that complete a
 * range already fetched, so it is not held up behind the next ranges' big eth_getLogs). A freed
 * slot is handed on only after the finished call's caller has run its synchronous continuation
 * (next macrotask): the header reads a range queues right after its eth_getLogs get that slot,
 * instead of waiting for the next eth_getLogs to finish.
 */
export type Limiter = <T>(fn: () => Promise<T>, options?: { urgent?: boolean }) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  const max = Math.max(1, Math.floor(concurrency));
  let running = 0;
  const waiting: (() => void)[] = [];
  const handOn = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return async <T>(fn: () => Promise<T>, options: { urgent?: boolean } = {}): Promise<T> => {
    if (running >= max)
      await new Promise<void>((resolve) =>
        options.urgent ? waiting.unshift(resolve) : waiting.push(resolve),
      );
    else running++;
    try {
      return await fn();
    } finally {
      // With nobody waiting, the slot is free at once; else it stays taken until handed on, so a
      // newcomer cannot take it in between.
      if (waiting.length === 0) running--;
      else setImmediate(handOn);
    }
  };
}
