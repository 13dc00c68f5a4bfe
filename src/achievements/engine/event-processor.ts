/**
 * The worker role's event processor: `concurrency` loops, each taking batches (see
 * `process-batch.ts`) until no partition has work, then waiting for `wake()` or the poll interval.
 * Database errors back off exponentially (capped) and are logged once per streak. `stop()` lets
 * the batches in flight commit, then returns.
 */
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { type Catalogue, catalogueStamp, loadCatalogue } from './catalogue.ts';
import { type BatchResult, processBatch } from './process-batch.ts';

export interface EventProcessorOptions {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** Parallel batch loops in this process. @defaultValue 2 */
  concurrency?: number | undefined;
  /** Events per batch. @defaultValue 1000 */
  batchSize?: number | undefined;
  /** Idle poll interval. @defaultValue 200 */
  pollIntervalMs?: number | undefined;
  /** How often `cb_events_pending` is sampled. @defaultValue 5000 */
  pendingSampleMs?: number | undefined;
  onBatch?: ((result: BatchResult) => void) | undefined;
}

export interface EventProcessor {
  start(): void;
  /** Waits for in-flight batches to commit. */
  stop(): Promise<void>;
  /** Signals new events (same process): idle loops look at once. */
  wake(): void;
  /** Processes until nothing is pending (tests, CLI). */
  drain(): Promise<number>;
  /** The catalogue, reloaded when its stamp changed. */
  catalogue(q?: Queryable): Promise<Catalogue>;
}

export function createEventProcessor(options: EventProcessorOptions): EventProcessor {
  const { db, metrics, logger } = options;
  const concurrency = options.concurrency ?? 2;
  const batchSize = options.batchSize ?? 1000;
  const pollMs = options.pollIntervalMs ?? 200;
  let cached: Catalogue | undefined;
  let running = false;
  const loops: Promise<void>[] = [];
  let wakers: (() => void)[] = [];
  let pendingTimer: NodeJS.Timeout | undefined;

  const catalogue = async (q: Queryable = db): Promise<Catalogue> => {
    const stamp = await catalogueStamp(q);
    if (!cached || cached.stamp !== stamp) cached = await loadCatalogue(q);
    return cached;
  };
  const deps = { db, metrics, logger, catalogue };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakers = wakers.filter((w) => w !== done);
        resolve();
      }
      wakers.push(done);
    });

  const loop = async (n: number) => {
    let failures = 0;
    while (running) {
      try {
        const result = await processBatch(deps, batchSize);
        options.onBatch?.(result);
        if (failures > 0)
          logger.info('event processing recovered', { context: { loop: n }, metrics: { failures } });
        failures = 0;
        if (result.events === 0) await sleep(pollMs);
      } catch (err) {
        failures++;
        metrics.progressUpdates.inc({ result: 'failed' });
        if (failures === 1)
          logger.error('event batch failed; retrying with backoff', { err, context: { loop: n } });
        await sleep(Math.min(5000, 100 * 2 ** failures));
      }
    }
  };

  const samplePending = async () => {
    try {
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from ach_events where status = 'received'`,
      );
      metrics.eventsPending.set(rows[0]?.n ?? 0);
    } catch {
      // the processor loop logs database trouble
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      for (let i = 0; i < concurrency; i++) loops.push(loop(i));
      void samplePending();
      pendingTimer = setInterval(() => void samplePending(), options.pendingSampleMs ?? 5000);
      pendingTimer.unref();
      logger.info('event processor started', { metrics: { concurrency, batchSize } });
    },
    async stop() {
      running = false;
      clearInterval(pendingTimer);
      for (const w of [...wakers]) w();
      await Promise.all(loops.splice(0));
    },
    wake() {
      for (const w of [...wakers]) w();
    },
    async drain() {
      let total = 0;
      for (;;) {
        const r = await processBatch(deps, batchSize);
        total += r.events;
        if (r.events === 0) break;
      }
      await samplePending();
      return total;
    },
    catalogue,
  };
}
