/**
 * What every subsystem receives: the frozen configuration, a logger, the metrics, and the
 * shutdown registry. Built once by `src/main.ts` (or by a test), passed explicitly — no singletons.
 */
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Shutdown } from './shutdown.ts';

export interface Common {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly shutdown: Shutdown;
}
