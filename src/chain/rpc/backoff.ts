/**
 * Delay before the `retry`-th retry (1-based): exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" — half fixed, half random — so that callers failing together do not retry together.
 */
export function backoffDelayMs(
  retry: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
