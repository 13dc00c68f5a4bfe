/**
 * `cb_capacity_disk_full_days`, exported by every process from the capacity history (not only the
 * worker that took the sample, and across restarts): the days until the disk holding the database
 * is full at the database's growth over the last 30 days — the report's figure (capacity-report.ts).
 * No sample while there is none: fewer than 3 daily samples, a database not growing, or a disk
 * that cannot be seen from the recording host. Alert CapacityDiskFullSoon reads it.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { sampleEvery } from '../../platform/sample-every.ts';
import { DEFAULT_CAPACITY_WINDOW_DAYS, diskForecast, windowStart } from './capacity-report.ts';
import { readCapacitySamples } from './capacity-samples.ts';

/** Sets (or removes) the gauge from the samples of the last 30 days. */
export async function sampleCapacity(db: Queryable, metrics: Metrics, now = new Date()): Promise<void> {
  const days = DEFAULT_CAPACITY_WINDOW_DAYS;
  const samples = await readCapacitySamples(db, { sinceDay: windowStart(days, now), tables: false });
  const { daysUntilFull } = diskForecast(samples, { days, now });
  if (daysUntilFull === null) metrics.capacityDiskFullDays.remove();
  else metrics.capacityDiskFullDays.set(daysUntilFull);
}

/** Samples every `intervalMs` (and once now); returns the stop function. */
export function startCapacitySampler(options: {
  db: Queryable;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
}): () => void {
  return sampleEvery(options.intervalMs, () => sampleCapacity(options.db, options.metrics), {
    logger: options.logger,
    message: 'capacity sampling failed',
  });
}
