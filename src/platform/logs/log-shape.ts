/**
 * The shapes of log search answers (log-query.ts), free of server imports: the API answers with
 * them (web/log-routes.ts) and the console's Logs page reads them.
 */

export interface LogEntry {
  timestamp: string;
  level: string;
  service?: string;
  instance?: string;
  traceId?: string;
  userId?: string;
  message: string;
  context?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

export interface ReadStats {
  files: number;
  lines: number;
  /** Lines that were not cb's JSON (another program's output, a cut line). */
  skipped: number;
  matched: number;
}

export interface ErrorCluster {
  service: string;
  /** The message's shape (messageShape). */
  message: string;
  /** `context.error.code`, else its name, else empty. */
  code: string;
  level: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  instances: string[];
  /** The latest occurrence: its trace, and its error's message when it has one. */
  lastTraceId: string | null;
  sample: string;
}
