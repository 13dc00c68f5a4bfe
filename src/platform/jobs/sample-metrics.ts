/**
 * One sample of the jobs gauges, all read from the database so every instance reports the same
 * cluster-wide values: queue depth, dead-letter depth (labelled with the source queue), live
 * consumers by heartbeat, and each schedule's last success. Gauges are reset and refilled in one
 * synchronous step, so a queue that disappeared stops being reported and a scrape never sees half.
 */
import type { Db } from '../db/create-db.ts';
import type { Metrics } from '../metrics.ts';
import { liveConsumers } from './heartbeat.ts';
import { readQueueStats } from './queue-stats.ts';
import { readScheduleSuccesses } from './schedules.ts';

export interface SampleJobMetricsOptions {
  db: Db;
  schema: string;
  metrics: Metrics;
  /** A consumer whose heartbeat is older than this is not counted. */
  staleAfterMs: number;
}

export async function sampleJobMetrics(options: SampleJobMetricsOptions): Promise<void> {
  const { db, metrics } = options;
  const stats = await readQueueStats(db, options.schema, { waitingOnly: true });
  const consumers = await liveConsumers(db, options.staleAfterMs);
  const successes = await readScheduleSuccesses(db);

  metrics.queueDepth.reset();
  metrics.queueDeadLetterDepth.reset();
  metrics.queueConsumers.reset();
  for (const s of stats) {
    metrics.queueDepth.set({ queue: s.queue }, s.created + s.retry);
    metrics.queueDeadLetterDepth.set({ queue: s.queue }, s.deadLettered);
    metrics.queueConsumers.set({ queue: s.queue }, consumers.get(s.queue) ?? 0);
  }
  for (const [queue, workers] of consumers) {
    if (!stats.some((s) => s.queue === queue)) metrics.queueConsumers.set({ queue }, workers);
  }
  for (const s of successes) {
    metrics.scheduledJobLastSuccess.set({ schedule: s.name }, s.lastSuccessAt.getTime() / 1000);
  }
}
