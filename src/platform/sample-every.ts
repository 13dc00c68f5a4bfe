/**
 * The loop of a metrics sampler: `sample` now and every `intervalMs`, on a timer that does not
 * hold the process open. A failure is logged once per streak (`message`, with the error), not at
 * every interval while a dependency is down. Returns the stop function.
 */
import type { Logger } from './logger.ts';

export function sampleEvery(
  intervalMs: number,
  sample: () => Promise<unknown>,
  failure: { logger: Logger; message: string },
): () => void {
  let failing = false;
  const tick = async () => {
    try {
      await sample();
      failing = false;
    } catch (err) {
      if (!failing) failure.logger.warn(failure.message, { err });
      failing = true;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
