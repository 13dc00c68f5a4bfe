/**
 * One queue's statistics, as `GET /v1/ops/queues` lists them (read by queue-stats.ts). Types only,
 * with no imports, so the console's browser build (web/) reads the same definition as the server.
 */
export interface QueueStats {
  queue: string;
  deadLetterQueue: string | null;
  /** Waiting for a first attempt (including those whose startAfter is still ahead). */
  created: number;
  /** Waiting for a retry (including those still in their backoff delay). */
  retry: number;
  active: number;
  /** Only filled by the full read; pg-boss archives finished jobs after 12 h. */
  completed: number;
  failed: number;
  cancelled: number;
  /** Jobs of this queue waiting in its dead-letter queue. */
  deadLettered: number;
}
