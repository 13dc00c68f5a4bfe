/**
 * Searching and clustering cb's JSON log lines (seed 4.4: full text, field filters, compound
 * queries, time ranges; error clustering), for `cb logs search|errors`. The lines come from the log
 * files (log-files.ts: the hot files, and the archive's `.jsonl.gz` for days past them;
 * log-tiers.ts), files given by name (`.gz` ones decompressed), or a pipe
 * (`journalctl -u cb -o cat | cb logs …`); lines that are not cb's JSON are counted and skipped.
 *
 * Everything streams: a file of any size is read (and decompressed) line by line, and only the
 * newest `limit` matches (search) or one entry per cluster (errors) are held.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ARCHIVED_LOG_FILE, type DayFile, LOG_FILE, listDayFiles } from './log-file-names.ts';
import type { ColdTierNote, ErrorCluster, LogEntry, ReadStats } from './log-shape.ts';
import { gzipContentBytes, type LogArchiveOptions, tierWindows } from './log-tiers.ts';

export const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type Level = (typeof LEVELS)[number];

/** One condition of a compound query: a field (dot path) compared with a value. */
export interface FieldCondition {
  path: string[];
  /** `=` equals, `!=` differs (or is missing), `~` contains (case-insensitive), `>` `<` numbers. */
  op: '=' | '!=' | '~' | '>' | '<';
  value: string;
}

export interface LogFilter {
  since?: Date | undefined;
  until?: Date | undefined;
  /** The lowest level shown. */
  level?: Level | undefined;
  /** Any of these services. */
  services?: readonly string[] | undefined;
  instance?: string | undefined;
  traceId?: string | undefined;
  userId?: string | undefined;
  /** Words that must all appear somewhere in the line (case-insensitive). */
  text?: readonly string[] | undefined;
  /** All must hold. */
  where?: readonly FieldCondition[] | undefined;
}

/** `context.route=/v1/events`, `metrics.durationMs>500`, `context.error.code!=X`, `message~timeout`. */
export function parseCondition(text: string): FieldCondition | undefined {
  const m = /^([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*(!=|=|~|>|<)(.*)$/.exec(text);
  if (!m) return undefined;
  const op = m[2] as FieldCondition['op'];
  if ((op === '>' || op === '<') && !Number.isFinite(Number(m[3]))) return undefined;
  return { path: m[1]!.split('.'), op, value: m[3]! };
}

function fieldOf(entry: LogEntry, path: readonly string[]): unknown {
  let v: unknown = entry;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v));

function holds(entry: LogEntry, c: FieldCondition): boolean {
  const v = fieldOf(entry, c.path);
  switch (c.op) {
    case '=':
      return text(v) === c.value;
    case '!=':
      return text(v) !== c.value;
    case '~':
      return text(v)?.toLowerCase().includes(c.value.toLowerCase()) ?? false;
    case '>':
    case '<': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      if (!Number.isFinite(n)) return false;
      return c.op === '>' ? n > Number(c.value) : n < Number(c.value);
    }
  }
}

/** Whether `entry` (parsed from `line`) passes `filter`. */
export function matches(entry: LogEntry, line: string, filter: LogFilter): boolean {
  if (filter.since || filter.until) {
    const t = Date.parse(entry.timestamp);
    if (filter.since && !(t >= filter.since.getTime())) return false;
    if (filter.until && !(t < filter.until.getTime())) return false;
  }
  if (filter.level && LEVELS.indexOf(entry.level as Level) < LEVELS.indexOf(filter.level)) return false;
  if (filter.services && !filter.services.includes(entry.service ?? '')) return false;
  if (filter.instance !== undefined && entry.instance !== filter.instance) return false;
  if (filter.traceId !== undefined && entry.traceId !== filter.traceId.toLowerCase()) return false;
  if (filter.userId !== undefined && entry.userId?.toLowerCase() !== filter.userId.toLowerCase())
    return false;
  if (filter.text) {
    const lower = line.toLowerCase();
    if (!filter.text.every((w) => lower.includes(w.toLowerCase()))) return false;
  }
  return (filter.where ?? []).every((c) => holds(entry, c));
}

/** A log line as cb writes it, or undefined for anything else. */
export function parseLine(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const e = JSON.parse(line) as Partial<LogEntry>;
    return typeof e.timestamp === 'string' && typeof e.level === 'string' && typeof e.message === 'string'
      ? (e as LogEntry)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Where lines come from: files (`.gz` ones decompressed as they are read), or one stream (stdin). */
export type LogSource = { path: string } | { stream: Readable; name: string };

/** The files for a window: `skipped` older ones left out of the budget, and the cold tier's part. */
export type LogFileList = LogSource[] & { skipped: number; coldNotSearched: ColdTierNote | null };

export interface LogFilesForOptions {
  /** Read the newest days' files that fit in this many bytes (a `.gz` file counts its content). */
  maxBytes?: number | undefined;
  /** CB_LOG_RETENTION_DAYS: with `archive`, which days only the cold tier holds. */
  retentionDays?: number | undefined;
  /** The warm tier, searched for days past the hot files, and the cold tier, never searched. */
  archive?: LogArchiveOptions | undefined;
  /** The clock (tests). */
  now?: number | undefined;
}

/**
 * The files whose UTC day can hold lines of [since, until) (file days are whole, so one day either
 * side is read and the lines filtered): CB_LOG_DIR's, and CB_LOG_ARCHIVE_DIR's `.jsonl.gz` for the
 * days not in CB_LOG_DIR any more. With `maxBytes`, the newest days' files that fit in it: `skipped`
 * says how many older files were left out (the caller says the answer is partial). When the window
 * reaches into days that only CB_LOG_COLD_DIR holds, `coldNotSearched` says so.
 */
export async function logFilesFor(
  dir: string,
  since?: Date,
  until?: Date,
  options: LogFilesForOptions = {},
): Promise<LogFileList> {
  const from = since ? since.toISOString().slice(0, 10) : '';
  const to = until ? until.toISOString().slice(0, 10) : '9999';
  const inWindow = (f: DayFile) => f.day >= from && f.day <= to;
  const hot = await listDayFiles(dir, LOG_FILE);
  const files = hot.filter(inWindow).map((f) => ({ ...f, gzip: false }));
  const archive = options.archive;
  if (archive) {
    // A day both hot and archived (a move that stopped before deleting its source) is read once.
    const hotNames = new Set(hot.map((f) => f.file));
    for (const f of await listDayFiles(archive.dir, ARCHIVED_LOG_FILE))
      if (inWindow(f) && !hotNames.has(f.file.slice(0, -'.gz'.length))) files.push({ ...f, gzip: true });
    files.sort((a, b) => a.day.localeCompare(b.day) || a.file.localeCompare(b.file));
  }
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const kept: LogSource[] = [];
  let bytes = 0;
  // Newest first while the budget lasts, then back in day order for reading.
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i]!;
    const size = Number.isFinite(maxBytes) ? await sizeOf(f.path, f.gzip) : 0;
    if (bytes + size > maxBytes && kept.length > 0) break;
    bytes += size;
    kept.unshift({ path: f.path });
  }
  return Object.assign(kept, {
    skipped: files.length - kept.length,
    coldNotSearched: await coldNote(from, to, options),
  });
}

/** The days of [from, to] before the warm tier's window, when a cold tier holds them. */
async function coldNote(from: string, to: string, options: LogFilesForOptions): Promise<ColdTierNote | null> {
  const coldDir = options.archive?.coldDir;
  if (!coldDir || !options.archive) return null;
  const { oldestWarmDay } = tierWindows(
    { retentionDays: options.retentionDays ?? 0, archive: options.archive },
    options.now ?? Date.now(),
  );
  if (oldestWarmDay === undefined || from >= oldestWarmDay) return null;
  let files: number | null;
  try {
    files = (await listDayFiles(coldDir, ARCHIVED_LOG_FILE)).filter(
      (f) => f.day >= from && f.day <= to && f.day < oldestWarmDay,
    ).length;
  } catch {
    files = null; // an unmounted bucket: the days are still not searched
  }
  return { before: oldestWarmDay, files };
}

async function sizeOf(path: string, gzip: boolean): Promise<number> {
  try {
    return gzip ? await gzipContentBytes(path) : (await stat(path)).size;
  } catch {
    return 0; // deleted or moved to the next tier meanwhile: nothing to read
  }
}

const isGzip = (path: string) => path.endsWith('.gz');

/** Sources to read; a file list (logFilesFor) also says what of the window the cold tier holds. */
export type LogSources = readonly LogSource[] & { coldNotSearched?: ColdTierNote | null };

/** Calls `onEntry` for every line of every source that passes `filter`. */
export async function scanLogs(
  sources: LogSources,
  filter: LogFilter,
  onEntry: (entry: LogEntry, line: string) => void,
): Promise<ReadStats> {
  const stats: ReadStats = {
    files: 0,
    archivedFiles: 0,
    lines: 0,
    skipped: 0,
    matched: 0,
    coldNotSearched: sources.coldNotSearched ?? null,
  };
  for (const source of sources) {
    stats.files++;
    let input: Readable;
    if (!('path' in source)) input = source.stream;
    else if (isGzip(source.path)) {
      stats.archivedFiles++;
      // Errors of either stream (a missing file too) end the pipeline and reach the loop below.
      input = pipeline(createReadStream(source.path), createGunzip(), () => {});
    } else input = createReadStream(source.path, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        if (line.length === 0) continue;
        stats.lines++;
        const entry = parseLine(line);
        if (!entry) {
          stats.skipped++;
          continue;
        }
        if (!matches(entry, line, filter)) continue;
        stats.matched++;
        onEntry(entry, line);
      }
    } catch (err) {
      // A day's file deleted or moved to the next tier between listing and reading: nothing to find.
      if (!('path' in source && (err as NodeJS.ErrnoException).code === 'ENOENT')) throw err;
    }
  }
  return stats;
}

/** The newest `limit` matches, oldest first (lines of several files are put in time order). */
export async function searchLogs(
  sources: LogSources,
  filter: LogFilter,
  limit: number,
): Promise<{ lines: { entry: LogEntry; line: string }[]; stats: ReadStats }> {
  let kept: { entry: LogEntry; line: string; t: number }[] = [];
  const trim = () => {
    kept.sort((a, b) => a.t - b.t);
    kept = kept.slice(-limit);
  };
  const stats = await scanLogs(sources, filter, (entry, line) => {
    kept.push({ entry, line, t: Date.parse(entry.timestamp) });
    if (kept.length >= 2 * limit) trim();
  });
  trim();
  return { lines: kept.map(({ entry, line }) => ({ entry, line })), stats };
}

/** A message with what varies between occurrences (numbers, hex, ids) replaced by `?`. */
export function messageShape(message: string): string {
  return message
    .replace(/0x[0-9a-f]+/gi, '0x?')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '?')
    .replace(/\b[0-9a-f]{16,}\b/gi, '?')
    .replace(/\b\d+(\.\d+)?\b/g, '?')
    .replace(/"[^"]*"/g, '"?"')
    .slice(0, 300);
}

/**
 * ERROR and FATAL lines (or from `filter.level`) grouped by service, message shape and error
 * code, most frequent first.
 */
export async function clusterErrors(
  sources: LogSources,
  filter: LogFilter,
): Promise<{ clusters: ErrorCluster[]; stats: ReadStats }> {
  const clusters = new Map<string, ErrorCluster & { instanceSet: Set<string> }>();
  const stats = await scanLogs(sources, { ...filter, level: filter.level ?? 'ERROR' }, (entry) => {
    const error = (entry.context?.error ?? undefined) as
      | { code?: unknown; name?: unknown; message?: unknown }
      | undefined;
    const code = String(error?.code ?? error?.name ?? '');
    const service = entry.service ?? '';
    const message = messageShape(entry.message);
    const key = `${service}\u0000${message}\u0000${code}`;
    let c = clusters.get(key);
    if (!c) {
      c = {
        service,
        message,
        code,
        level: entry.level,
        count: 0,
        firstSeen: entry.timestamp,
        lastSeen: entry.timestamp,
        instances: [],
        instanceSet: new Set(),
        lastTraceId: null,
        sample: '',
      };
      clusters.set(key, c);
    }
    c.count++;
    if (LEVELS.indexOf(entry.level as Level) > LEVELS.indexOf(c.level as Level)) c.level = entry.level;
    if (entry.timestamp < c.firstSeen) c.firstSeen = entry.timestamp;
    if (entry.timestamp >= c.lastSeen) {
      c.lastSeen = entry.timestamp;
      c.lastTraceId = entry.traceId ?? null;
      c.sample = typeof error?.message === 'string' ? error.message.slice(0, 500) : entry.message;
    }
    if (entry.instance) c.instanceSet.add(entry.instance);
  });
  const list = [...clusters.values()]
    .map(({ instanceSet, ...c }) => ({ ...c, instances: [...instanceSet].sort() }))
    .sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen));
  return { clusters: list, stats };
}
