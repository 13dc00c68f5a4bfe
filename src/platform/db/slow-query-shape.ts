/**
 * The slow-query report's shape (slow-queries.ts), free of server imports: the server answers with
 * it and the console reads it.
 */

export interface SlowQueryShape {
  fingerprint: string;
  statement: string;
  operation: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
  /** Share of the window's slow-statement time, 0–1. */
  share: number;
  lastSeen: string;
  lastTraceId: string | null;
  lastInstance: string | null;
  /** Calls in the window of the same length just before (0: a new shape). */
  previousCalls: number;
  previousTotalMs: number;
}

export interface SlowQueryReport {
  /** Start of the window (rounded down to the hour: rows are hourly). */
  since: string;
  until: string;
  /** All slow statements in the window, whatever the limit. */
  calls: number;
  totalMs: number;
  shapes: number;
  /** The same for the window before, of the same length. */
  previous: { calls: number; totalMs: number };
  /** The slowest shapes by total time, at most `limit`. */
  items: SlowQueryShape[];
}
