/**
 * Lets a repeated warning through at most once per `everyMs`, reporting how many were held back,
 * so an outage hit by every request logs a line every half-minute instead of thousands a second.
 */
export interface LogThrottle {
  /** Calls `log(suppressed)` unless one went through less than `everyMs` ago. */
  run(log: (suppressed: number) => void): void;
}

export function createLogThrottle(everyMs: number, now: () => number = Date.now): LogThrottle {
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return {
    run(log) {
      const t = now();
      if (t - lastAt < everyMs) {
        suppressed++;
        return;
      }
      lastAt = t;
      const held = suppressed;
      suppressed = 0;
      log(held);
    },
  };
}
