/**
 * One sample of `cb_job_oldest_active_seconds`: for each queue this process works, how long the
 * oldest job it is running now has run (0 when it runs none of that queue). The duration histogram
 * only learns of a job when it ends, so a hung job would stay unseen until it expires; this gauge
 * grows while it hangs.
 *
 * Read from the worker's own set of running jobs, not the database: no query (the alert must work
 * while the database is what hangs), and each process answers for the jobs it runs, so the rules
 * take the max over instances. A process that dies takes its series with it (CbInstanceDown); its
 * jobs run again once they expire. A job leaves the set when its outcome is recorded, at its
 * timeout too (a handler that ignores the abort is no longer counted: its job is retried).
 */
import type { Metrics } from '../metrics.ts';
import type { RunningJob } from './run-worker.ts';

export interface SampleOldestActiveOptions {
  metrics: Metrics;
  /** The queues this process works: each gets a sample, 0 when idle. */
  queues: Iterable<string>;
  running: Iterable<RunningJob>;
  /** Now, on the clock of `RunningJob.startedAt` (Unix ms). */
  now: number;
}

export function sampleOldestActive({ metrics, queues, running, now }: SampleOldestActiveOptions): void {
  const oldest = new Map<string, number>();
  for (const q of queues) oldest.set(q, now);
  for (const r of running) oldest.set(r.queue, Math.min(oldest.get(r.queue) ?? now, r.startedAt));
  // A clock stepped back must not give a negative age.
  for (const [queue, startedAt] of oldest)
    metrics.jobOldestActive.set({ queue }, Math.max(0, now - startedAt) / 1000);
}
