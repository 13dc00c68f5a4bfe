/**
 * Jobs: background work, retries, dead letters and cron schedules on pg-boss 10, over our `Db`
 * (PostgreSQL or the embedded PGlite; pg-boss's `db: { executeSql }` option), so jobs live in the
 * same database as the data they act on and every statement is timed like the rest.
 *
 * Design note
 * - A job is described once with `defineJob` (queue, payload check, retries/backoff, dead-letter
 *   queue, cron, batch size, concurrency) and used on both sides: `jobs.send(def, payload)` and
 *   `jobs.register(def, handler)` / `jobs.registerBatch(def, handler)`.
 * - The worker loop is ours (over pg-boss's fetch/complete/fail), not pg-boss's `work()`: each job
 *   gets its own outcome, trace and time limit. The handler's error decides: a `BaseError` with
 *   `retryable: false` (or a payload failing validation) is dead-lettered at once without spending
 *   retries; anything else is retried with backoff until `retryLimit`, then dead-lettered. The
 *   error (`describeError`) is stored as the job's output.
 * - Trace: `send` stores the caller's `traceparent` (and user) in the job; the handler runs in
 *   that trace, so the job's log lines carry the request's traceId. Sent outside a trace → new trace.
 * - Delivery is at least once; handlers must be idempotent. `stop()` stops fetching, lets handlers
 *   finish within `config.shutdownGraceMs`, then aborts the rest (`job.signal`) and hands their jobs
 *   back to the queue without spending a retry. A process that dies leaves its jobs active until
 *   `expireInSeconds` passes; pg-boss's maintenance in any instance then retries them.
 * - `start()` registers `stop()` with `common.shutdown` (as `jobs`), so it runs before the
 *   database closes when the database was registered first (opt out: `registerShutdown: false`).
 * - Roles: `start()` runs workers, schedules, pg-boss maintenance, heartbeats and the missed-run
 *   check; `start({ workers: false })` (API role) only sends, serves operator reads and samples.
 * - Metrics: counters and histograms per attempt; the gauges (depth, dead-letter depth by source
 *   queue, live consumers by heartbeat, last schedule success) are sampled from the database, so
 *   every instance reports the cluster-wide value. Missed runs are counted once across instances.
 *   The exception, `cb_job_oldest_active_seconds` (the age of the oldest job running, per queue),
 *   is read from each worker process's own running jobs, without a query; the rules take the max.
 * - Needs migrations applied (`cb_job_consumers`, `cb_schedules` in 0001); pg-boss creates and
 *   migrates its own schema (`config.jobsSchema`) on start.
 */

export {
  type CreateJobsParameters,
  createJobs,
  type Jobs,
  type JobsOptions,
  type JobsStartOptions,
  type SendOptions,
} from './create-jobs.ts';
export type { DeadLetter } from './dead-letters.ts';
export {
  cronProblem,
  defineJob,
  type JobDefinition,
  type JobScheduleSpec,
  type JobSpec,
  type PayloadOf,
  type PayloadValidator,
} from './define-job.ts';
export { lastExpectedRun } from './detect-missed-runs.ts';
export type { BatchJobHandler, BatchResult, Job, JobHandler } from './job.ts';
export { JobDefinitionError, JobsLifecycleError, JobsStoppingError, JobTimeoutError } from './job-errors.ts';
export type { QueueStats } from './queue-stats.ts';
export { isRetryable } from './settle-job.ts';
