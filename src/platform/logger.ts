/**
 * Structured logs in the seed's exact shape (section 4.2), one JSON object per line on stdout:
 * `timestamp level service instance traceId [userId] message context metrics` — nothing else.
 *
 * The traceId and userId come from the current trace (AsyncLocalStorage); lines logged outside any
 * trace carry the process's boot trace. Secrets are redacted from the message and the context.
 * `pretty` prints one readable line per entry for a terminal instead.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { LogLevel } from './config.ts';
import { describeError } from './errors.ts';
import { createLogFileStream, type LogFileStream, type LogFilesOptions } from './logs/log-files.ts';
import { type LogMaintenanceReport, type LogTier, reportIsQuiet, type TierMoves } from './logs/log-tiers.ts';
import { redact, redactString } from './redact.ts';
import { currentTrace, newTraceId } from './trace.ts';

export interface LogFields {
  /** Related identifiers and facts (achievementId, txHash…). */
  context?: Record<string, unknown> | undefined;
  /** Numbers about the operation (processingTime in ms, retryCount…). */
  metrics?: Record<string, number> | undefined;
  /** Overrides the trace's user. */
  userId?: string | undefined;
  /** An error: described into `context.error` (name, code, message, stack). */
  err?: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  fatal(message: string, fields?: LogFields): void;
  /** A logger for another subsystem (`service` field). */
  child(service: string): Logger;
  isLevelEnabled(level: LogLevel): boolean;
  /** Flushes buffered lines (before exit). */
  flush(): Promise<void>;
  /**
   * Writes `message` (INFO, if enabled) as the process's last line, then drops every later line of this logger
   * and all its children, and flushes. At exit a close function that outlived the grace period may
   * still be running; its lines must not come after the line that says the process stopped.
   */
  end(message: string, fields?: LogFields): Promise<void>;
  /**
   * Tells `observer` of every line written from now on, by this logger or any other of its tree,
   * and of every service (this logger's and its children's, past and future), so a metric can
   * count the lines by level and service (cb_log_lines_total: alerts on what the logs say, seed
   * 4.4), and of the log files' moves between tiers (cb_log_tier_moves_total). Returns the
   * function that stops it.
   */
  observe(observer: LineObserver): () => void;
}

/** Watches the lines a logger tree writes, and its log files' tiers (`Logger.observe`). */
export interface LineObserver {
  /** A line was written. */
  line(level: LogLevelLabel, service: string): void;
  /** A service has a logger (called at once for the existing ones). */
  service?(service: string): void;
  /**
   * `count` log files were moved into `tier` (`ok`) or failed to be (`failed`) by a maintenance run
   * of the files' tiers (logs/log-tiers.ts). Called at once, for each tier the files have and each
   * result, with the moves so far (0 at the start: the series exist before the first failure).
   */
  tierMoves?(tier: LogTier, result: keyof TierMoves, count: number): void;
}

/** A line's `level` field. */
export type LogLevelLabel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

export interface LoggerOptions {
  service: string;
  instance: string;
  level: LogLevel;
  pretty?: boolean | undefined;
  /** Where lines go; stdout by default. */
  destination?: NodeJS.WritableStream | undefined;
  /**
   * Also write every line, as JSON, to daily files (CB_LOG_DIR; logs/log-files.ts); what moving
   * them between tiers did is logged by this logger (service `log-files`).
   */
  files?: LogFilesOptions | undefined;
}

const LEVEL_LABEL: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
};

export function createLogger(options: LoggerOptions): Logger {
  const bootTraceId = newTraceId();
  const primary = options.pretty
    ? prettyStream(options.destination ?? process.stdout)
    : (options.destination ?? pino.destination({ dest: 1, sync: false }));
  const observers = new Set<LineObserver>();
  // Set once the logger exists: the tiers' first run reports after createLogger returns.
  let tiersLogger: Logger | undefined;
  // The moves between tiers so far, by tier: an observer added later hears of them at once.
  const tierMoves = new Map<LogTier, TierMoves>();
  if (options.files?.archive) {
    tierMoves.set('archive', { ok: 0, failed: 0 });
    if (options.files.archive.coldDir) tierMoves.set('cold', { ok: 0, failed: 0 });
  }
  const countMoves = (r: LogMaintenanceReport) => {
    for (const [tier, moves] of Object.entries(r.moves) as [LogTier, TierMoves][]) {
      const total = tierMoves.get(tier) ?? { ok: 0, failed: 0 };
      tierMoves.set(tier, total);
      for (const result of ['ok', 'failed'] as const) {
        if (moves[result] === 0) continue;
        total[result] += moves[result];
        for (const o of observers) o.tierMoves?.(tier, result, moves[result]);
      }
    }
  };
  const destination = options.files
    ? tee(
        primary,
        createLogFileStream({
          report: (r) => {
            countMoves(r);
            if (tiersLogger) logTierMaintenance(tiersLogger, r);
          },
          ...options.files,
        }),
      )
    : primary;
  const root = pino(
    {
      level: options.level,
      messageKey: 'message',
      base: { instance: options.instance },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: LEVEL_LABEL[label] ?? label.toUpperCase() }),
        bindings: (b) => b,
      },
    },
    destination as pino.DestinationStream,
  );

  let ended = false;
  const services = new Set<string>();
  const serviceSeen = (service: string) => {
    if (services.has(service)) return;
    services.add(service);
    for (const o of observers) o.service?.(service);
  };
  const flush = () =>
    new Promise<void>((resolve) => {
      try {
        root.flush(() => resolve());
      } catch {
        resolve();
      }
    });

  const wrap = (p: pino.Logger, service: string): Logger => {
    serviceSeen(service);
    const write =
      (level: 'debug' | 'info' | 'warn' | 'error' | 'fatal') => (message: string, fields?: LogFields) => {
        if (ended || !p.isLevelEnabled(level)) return;
        const trace = currentTrace();
        const context = fields?.context ? (redact(fields.context) as Record<string, unknown>) : {};
        if (fields?.err !== undefined) context.error = redact(describeError(fields.err));
        const userId = fields?.userId ?? trace?.userId;
        p[level](
          {
            traceId: trace?.traceId ?? bootTraceId,
            ...(userId === undefined ? {} : { userId }),
            context,
            metrics: fields?.metrics ?? {},
          },
          redactString(message),
        );
        for (const o of observers) o.line(LEVEL_LABEL[level] as LogLevelLabel, service);
      };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      fatal: write('fatal'),
      child: (child) => wrap(root.child({ service: child }), child),
      isLevelEnabled: (level) => !ended && p.isLevelEnabled(level),
      flush,
      end: async (message, fields) => {
        if (!ended) {
          write('info')(message, fields);
          ended = true;
        }
        await flush();
      },
      observe: (observer) => {
        observers.add(observer);
        for (const s of services) observer.service?.(s);
        for (const [tier, total] of tierMoves) {
          observer.tierMoves?.(tier, 'ok', total.ok);
          observer.tierMoves?.(tier, 'failed', total.failed);
        }
        return () => observers.delete(observer);
      },
    };
  };
  const logger = wrap(root.child({ service: options.service }), options.service);
  if (options.files) tiersLogger = logger.child('log-files');
  return logger;
}

/**
 * One INFO line per maintenance run of the log tiers that changed anything (counts and bytes saved
 * in `metrics`), and an ERROR line per file it could not handle (left where it was, tried again by
 * the next run).
 */
function logTierMaintenance(logger: Logger, r: LogMaintenanceReport): void {
  for (const f of r.failures)
    logger.error('log file not moved between tiers', {
      context: { file: f.file, action: f.action },
      err: f.error,
    });
  const metrics = {
    archived: r.archived,
    archivedBytes: r.archivedBytes,
    compressedBytes: r.compressedBytes,
    bytesSaved: r.archivedBytes - r.compressedBytes,
    deleted: r.deleted,
    expired: r.expired,
    movedToCold: r.movedToCold,
    staleTempFiles: r.staleTempFiles,
    failed: r.failures.length,
    durationMs: r.durationMs,
  };
  if (reportIsQuiet(r)) logger.debug('log files: nothing to move between tiers', { metrics });
  else logger.info('log files moved between tiers', { metrics });
}

type Flushable = { flush?: (cb: (err?: Error | null) => void) => void };

/** Every line to the primary destination and to the files; flushed together. */
function tee(primary: { write(chunk: string): unknown }, files: LogFileStream) {
  const flushOf = (s: Flushable) =>
    new Promise<void>((resolve) => (typeof s.flush === 'function' ? s.flush(() => resolve()) : resolve()));
  return {
    write(chunk: string) {
      primary.write(chunk);
      files.write(chunk);
      return true;
    },
    flush(cb: () => void) {
      void Promise.all([flushOf(primary as Flushable), flushOf(files)]).then(() => cb());
    },
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export function createSilentLogger(): Logger {
  const noop = () => {};
  const silent: Logger = {
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    child: () => silent,
    isLevelEnabled: () => false,
    flush: async () => {},
    end: async () => {},
    observe: () => () => {},
  };
  return silent;
}

const COLORS: Record<string, string> = {
  DEBUG: '\x1b[90m',
  INFO: '\x1b[32m',
  WARN: '\x1b[33m',
  ERROR: '\x1b[31m',
  FATAL: '\x1b[35m',
};

/** Human-readable lines: `12:34:56.789 INFO  api  message  key=value …`. */
function prettyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        out.write(`${formatPretty(line)}\n`);
        nl = pending.indexOf('\n');
      }
      done();
    },
  });
}

export function formatPretty(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(entry.level);
  const time = String(entry.timestamp).slice(11, 23);
  const extras = { ...(entry.context as object), ...(entry.metrics as object) };
  const kv = Object.entries(extras)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const user = entry.userId ? ` user=${String(entry.userId)}` : '';
  return `${time} ${COLORS[level] ?? ''}${level.padEnd(5)}\x1b[0m ${String(entry.service).padEnd(20)} ${String(entry.message)}${user}${kv ? `  \x1b[90m${kv}\x1b[0m` : ''}`;
}
