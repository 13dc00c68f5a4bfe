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
  /** Of `files`, gzip-compressed ones: CB_LOG_ARCHIVE_DIR's (the warm tier), or `.gz` files named. */
  archivedFiles: number;
  lines: number;
  /** Lines that were not cb's JSON (another program's output, a cut line). */
  skipped: number;
  matched: number;
  /** The window reaches into days only the cold tier holds, which is never searched; else null. */
  coldNotSearched: ColdTierNote | null;
}

/** Days of a window that only the cold tier (CB_LOG_COLD_DIR) holds: not searched. */
export interface ColdTierNote {
  /** The days before this one (YYYY-MM-DD, UTC) are in the cold tier only. */
  before: string;
  /** The cold tier's files of those days of the window (null: its directory could not be listed). */
  files: number | null;
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
