/**
 * What a handler receives. A handler signals the outcome by returning (completed) or throwing
 * (failed: retried when the error is retryable and retries are left, otherwise dead-lettered).
 * Delivery is at least once — a job can run again after a crash, a timeout or a shutdown — so
 * handlers must be idempotent.
 */
import type { TraceContext } from '../trace.ts';

export interface Job<P> {
  readonly id: string;
  readonly queue: string;
  readonly payload: P;
  /** Retries already made: 0 on the first attempt. */
  readonly retryCount: number;
  /** Retries allowed after the first attempt. */
  readonly retryLimit: number;
  readonly createdAt: Date;
  /** When the job became due (enqueue, or the end of its startAfter / retry delay). */
  readonly startAfter: Date;
  /** The job's trace: the sender's traceId (a new one when sent outside a trace), a new span. */
  readonly trace: TraceContext;
  /** Name of the schedule that started this run, when cron did. */
  readonly schedule: string | undefined;
  /** Aborted when the job times out (`expireInSeconds`) or the grace period of a stop ran out. */
  readonly signal: AbortSignal;
}

/** Handles one job; see `Job`. */
export type JobHandler<P> = (job: Job<P>) => Promise<void> | void;

/** Per-job failures of a batch; jobs not listed are completed. */
export interface BatchResult {
  failed?: readonly { id: string; error: unknown }[];
}

/**
 * Handles the jobs of one fetch at once. Throwing fails them all; returning `{ failed }` fails
 * only those. Runs in the senders' trace when they all share one, else in a new trace (each
 * `job.trace` is there for per-job work).
 */
export type BatchJobHandler<P> = (jobs: readonly Job<P>[], context: { signal: AbortSignal }) => BatchReturn;

// biome-ignore lint/suspicious/noConfusingVoidType: lets a handler declared `Promise<void>` return nothing
type BatchReturn = Promise<BatchResult | undefined | void> | BatchResult | undefined;
