/**
 * Log files (seed 4.3: persistent storage, rotation and expiry): with CB_LOG_DIR set, every line a
 * `cb start` process writes on stdout also goes to `<dir>/cb-<instance>-<YYYY-MM-DD>.jsonl` (UTC
 * day), the same JSON. A new file starts at midnight UTC; the current day's files and those of the
 * CB_LOG_RETENTION_DAYS days before it are kept (hot), older ones deleted, or compressed into
 * CB_LOG_ARCHIVE_DIR and later moved to CB_LOG_COLD_DIR (log-tiers.ts), at start-up and when a day
 * starts, in the background, and every RETRY_MAINTENANCE_AFTER_MS while a run leaves a file it could
 * not handle (a mount back, space freed: the files move without waiting for midnight, and a failure
 * that lasts is seen failing again and again by LogTierMoveFailing). `cb logs search|errors` reads
 * them (log-query.ts).
 *
 * Writes are asynchronous: a slow disk delays the file, never the request; past 16 MiB waiting,
 * or while the file is failing (reopened a minute after an error), lines are dropped and the next
 * line written says how many. A shipper (Fluent Bit, Filebeat: seed 4.3) can tail the same files; stdout stays the
 * primary stream.
 */
import { appendFileSync, closeSync, createWriteStream, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { DAY_MS, logFileName } from './log-file-names.ts';
import { type LogArchiveOptions, type LogMaintenanceReport, runLogMaintenance } from './log-tiers.ts';

export { LOG_FILE, listLogFiles, logFileName } from './log-file-names.ts';

export interface LogFilesOptions {
  dir: string;
  /** This process's CB_INSTANCE: each process writes its own files. */
  instance: string;
  retentionDays: number;
  /** The warm and cold tiers (CB_LOG_ARCHIVE_DIR…); unset, days leaving the hot window are deleted. */
  archive?: LogArchiveOptions | undefined;
  /** Told what each maintenance run did (the logger logs it); without it, failures go to stderr. */
  report?: ((report: LogMaintenanceReport) => void) | undefined;
  /** The clock (tests). */
  now?: (() => number) | undefined;
  /**
   * After a run that left a file it could not handle, how long until the next run (ms).
   * @defaultValue RETRY_MAINTENANCE_AFTER_MS
   */
  retryAfterMs?: number | undefined;
}

/**
 * Creates `dir` (0750) if needed and proves it writable by creating and deleting a file in it.
 * @throws ConfigError naming `setting` when it cannot be (`cb start` says so and stops).
 */
export function ensureWritableDir(setting: string, dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    // access(W_OK) can say yes on a read-only or full mount (s3fs, NFS): write for real.
    const probe = join(dir, `.cb-write-check-${process.pid}`);
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
  } catch (err) {
    throw new ConfigError([{ setting, message: `${dir} cannot be written: ${(err as Error).message}` }]);
  }
}

export interface LogFileStream {
  /** pino's destination contract: one or more whole lines. */
  write(chunk: string): boolean;
  /** Calls back once everything written before is on disk (or failed to be). */
  flush(cb: () => void): void;
  end(): void;
  /** Resolves once the tiers' maintenance started so far (and any asked meanwhile) has finished. */
  maintained(): Promise<void>;
}

/** Lines waiting for a slow disk beyond this are dropped (and counted) rather than held. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** After a write error (disk full, the directory gone), how long until the file is opened again. */
export const REOPEN_AFTER_MS = 60_000;

/**
 * After a maintenance run that left a file where it was (a failed move or delete), how long until
 * the tiers are maintained again: 15 minutes. LogTierMoveFailing (deploy/prometheus/rules/logs.yml)
 * looks for a failed move in every 30 minutes, so it sees each retry of a lasting failure; keep this
 * well under that window (a test checks).
 */
export const RETRY_MAINTENANCE_AFTER_MS = 15 * 60_000;

/**
 * The destination that writes today's file and moves to the next at midnight UTC. Files are
 * created 0640 (lines carry members' addresses). After a write error the file is opened again a
 * minute later; the lines meanwhile are dropped and counted, and the first line written after says
 * how many. At exit, lines still waiting for the disk are appended synchronously (at worst one
 * line twice, never the last lines lost: they say why the process stopped). The tiers are
 * maintained at start-up and as each day starts, off the write path (one run at a time), and again
 * `retryAfterMs` after a run that left a file it could not handle.
 * @throws Error when a directory cannot be created or written (a bad CB_LOG_DIR,
 * CB_LOG_ARCHIVE_DIR or CB_LOG_COLD_DIR stops the start).
 */
export function createLogFileStream(options: LogFilesOptions): LogFileStream {
  const now = options.now ?? Date.now;
  const dayStart = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
  ensureWritableDir('CB_LOG_DIR', options.dir);
  if (options.archive) {
    ensureWritableDir('CB_LOG_ARCHIVE_DIR', options.archive.dir);
    if (options.archive.coldDir) ensureWritableDir('CB_LOG_COLD_DIR', options.archive.coldDir);
  }
  // Never throw out of a log write: problems go to stderr, once per streak.
  let failing = false;
  const problem = (what: string, err: unknown) => {
    if (!failing) process.stderr.write(`cb: log file ${what}: ${(err as Error).message}\n`);
    failing = true;
  };
  let dropped = 0;
  let broken = false;
  let reopenAt = 0;
  // Chunks handed to the file and not yet acknowledged, in order (written at exit if still there);
  // each is acknowledged, or counted as dropped, once.
  const waiting: { chunk: string }[] = [];
  let path = '';
  const open = (t: number) => {
    path = join(options.dir, logFileName(options.instance, t));
    const stream = createWriteStream(path, { flags: 'a', mode: 0o640 });
    stream.on('error', (err) => {
      problem('not written', err);
      broken = true;
      reopenAt = now() + REOPEN_AFTER_MS;
      dropped += waiting.length;
      waiting.length = 0;
    });
    broken = false;
    return stream;
  };
  // One run at a time; a day starting during a run gets one more run after it. A run that left a
  // file unhandled sets a retry (cleared by the next run, whatever started it, and at the end).
  let running: Promise<void> | undefined;
  let again = false;
  let retry: NodeJS.Timeout | undefined;
  let ended = false;
  const retryAfterMs = options.retryAfterMs ?? RETRY_MAINTENANCE_AFTER_MS;
  const say = (what: string) => process.stderr.write(`cb: log files: ${what}\n`);
  const report =
    options.report ??
    ((r: LogMaintenanceReport) => {
      for (const f of r.failures) say(`${f.file} not handled (${f.action}): ${f.error.message}`);
    });
  const maintain = () => {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(retry);
    retry = undefined;
    const run = async () => {
      let failed: boolean;
      do {
        again = false;
        const r = await runLogMaintenance(
          { dir: options.dir, retentionDays: options.retentionDays, archive: options.archive },
          now(),
        );
        failed = r.failures.length > 0;
        report(r);
      } while (again);
      if (failed && !ended) {
        retry = setTimeout(maintain, retryAfterMs);
        // A retry never keeps the process alive.
        retry.unref();
      }
    };
    running = run()
      .catch((err: unknown) => {
        say(`tiers not maintained: ${(err as Error).message}`);
      })
      .finally(() => {
        running = undefined;
      });
  };
  const atExit = () => {
    if (waiting.length === 0) return;
    try {
      appendFileSync(path, waiting.map((w) => w.chunk).join(''), { mode: 0o640 });
    } catch {
      // Exiting: nowhere left to say it.
    }
  };
  process.once('exit', atExit);
  let nextDay = dayStart(now()) + DAY_MS;
  let file = open(now());
  maintain();
  const send = (chunk: string) => {
    const token = { chunk };
    waiting.push(token);
    file.write(chunk, (err) => {
      // Usually the first; after a rotation the old file's last ones may come later.
      const i = waiting.indexOf(token);
      if (i < 0) return; // already counted by the error handler
      waiting.splice(i, 1);
      if (err) dropped++;
      else failing = false;
    });
  };
  return {
    write(chunk) {
      const t = now();
      if (t >= nextDay) {
        nextDay = dayStart(t) + DAY_MS;
        file.end();
        file = open(t);
        maintain();
      } else if (broken && t >= reopenAt) {
        file.destroy();
        file = open(t);
      }
      if (broken || file.writableLength > MAX_BUFFERED_BYTES) {
        dropped++;
        return true;
      }
      if (dropped > 0) {
        send(
          `${JSON.stringify({ timestamp: new Date(t).toISOString(), level: 'WARN', service: 'cb', instance: options.instance, message: 'log lines dropped: the disk was too slow or failing', context: {}, metrics: { dropped } })}\n`,
        );
        dropped = 0;
      }
      send(chunk);
      return true;
    },
    flush(cb) {
      // Writes complete in order: this one's callback comes after all before it.
      if (broken || file.destroyed || file.writableEnded) cb();
      else file.write('', () => cb());
    },
    end: () => {
      ended = true;
      clearTimeout(retry);
      process.removeListener('exit', atExit);
      file.end();
    },
    maintained: async () => {
      while (running) await running;
    },
  };
}
