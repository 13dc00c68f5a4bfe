/**
 * Log files (seed 4.3: persistent storage, rotation and expiry): with CB_LOG_DIR set, every line a
 * `cb start` process writes on stdout also goes to `<dir>/cb-<instance>-<YYYY-MM-DD>.jsonl` (UTC
 * day), the same JSON. A new file starts at midnight UTC; the current day's files and those of the
 * CB_LOG_RETENTION_DAYS days before it are kept, older ones deleted when a day starts and at
 * start-up. `cb logs search|errors`
 * reads them (log-query.ts).
 *
 * Writes are asynchronous: a slow disk delays the file, never the request; past 16 MiB waiting,
 * or while the file is failing (reopened a minute after an error), lines are dropped and the next
 * line written says how many. A shipper (Fluent Bit, Filebeat: seed 4.3) can tail the same files; stdout stays the
 * primary stream.
 */
import {
  accessSync,
  appendFileSync,
  constants,
  createWriteStream,
  mkdirSync,
  readdirSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';

export interface LogFilesOptions {
  dir: string;
  /** This process's CB_INSTANCE: each process writes its own files. */
  instance: string;
  retentionDays: number;
  /** The clock (tests). */
  now?: (() => number) | undefined;
}

/** `cb-<instance>-<YYYY-MM-DD>.jsonl`: the instance, and the UTC day of its lines. */
export const LOG_FILE = /^cb-(.+)-(\d{4}-\d{2}-\d{2})\.jsonl$/;

const DAY_MS = 86_400_000;

/** The file of `instance`'s lines on the UTC day of `at`. */
export function logFileName(instance: string, at: number): string {
  return `cb-${safeInstance(instance)}-${new Date(at).toISOString().slice(0, 10)}.jsonl`;
}

/** An instance name fit for a file name (CB_INSTANCE is free text). */
function safeInstance(instance: string): string {
  return instance.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'cb';
}

/** The days' files in `dir`, oldest day first (none when the directory is missing). */
export function listLogFiles(dir: string): { file: string; path: string; instance: string; day: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((file) => ({ file, m: LOG_FILE.exec(file) }))
    .filter((f): f is { file: string; m: RegExpExecArray } => f.m !== null)
    .map(({ file, m }) => ({ file, path: join(dir, file), instance: m[1]!, day: m[2]! }))
    .sort((a, b) => a.day.localeCompare(b.day) || a.file.localeCompare(b.file));
}

/**
 * Deletes the files of days before the retention (any instance's: a process that is gone leaves
 * its files to the others). Returns the names deleted.
 */
export function pruneLogFiles(dir: string, retentionDays: number, now = Date.now()): string[] {
  const oldestKept = new Date(now - retentionDays * DAY_MS).toISOString().slice(0, 10);
  const deleted: string[] = [];
  for (const f of listLogFiles(dir)) {
    if (f.day >= oldestKept) continue;
    try {
      unlinkSync(f.path);
      deleted.push(f.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return deleted;
}

export interface LogFileStream {
  /** pino's destination contract: one or more whole lines. */
  write(chunk: string): boolean;
  /** Calls back once everything written before is on disk (or failed to be). */
  flush(cb: () => void): void;
  end(): void;
}

/** Lines waiting for a slow disk beyond this are dropped (and counted) rather than held. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** After a write error (disk full, the directory gone), how long until the file is opened again. */
export const REOPEN_AFTER_MS = 60_000;

/**
 * The destination that writes today's file and moves to the next at midnight UTC. Files are
 * created 0640 (lines carry members' addresses). After a write error the file is opened again a
 * minute later; the lines meanwhile are dropped and counted, and the first line written after says
 * how many. At exit, lines still waiting for the disk are appended synchronously (at worst one
 * line twice, never the last lines lost: they say why the process stopped).
 * @throws Error when the directory cannot be created or written (a bad CB_LOG_DIR stops the start).
 */
export function createLogFileStream(options: LogFilesOptions): LogFileStream {
  const now = options.now ?? Date.now;
  const dayStart = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
  try {
    mkdirSync(options.dir, { recursive: true, mode: 0o750 });
    accessSync(options.dir, constants.W_OK);
  } catch (err) {
    throw new Error(`CB_LOG_DIR ${options.dir} cannot be written: ${(err as Error).message}`);
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
  const prune = () => {
    try {
      pruneLogFiles(options.dir, options.retentionDays, now());
    } catch (err) {
      problem('retention not applied', err);
    }
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
  prune();
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
        prune();
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
      process.removeListener('exit', atExit);
      file.end();
    },
  };
}
