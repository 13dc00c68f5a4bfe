/**
 * Searching and clustering cb's JSON log lines (seed 4.4: full text, field filters, compound
 * queries, time ranges; error clustering), for `cb logs search|errors`. The lines come from the log
 * files (log-files.ts), files given by name, or a pipe (`journalctl -u cb -o cat | cb logs …`);
 * lines that are not cb's JSON are counted and skipped.
 *
 * Everything streams: a file of any size is read line by line, and only the newest `limit` matches
 * (search) or one entry per cluster (errors) are held.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { listLogFiles } from './log-files.ts';
import type { ErrorCluster, LogEntry, ReadStats } from './log-shape.ts';

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

/** Where lines come from: files, or one stream (stdin). */
export type LogSource = { path: string } | { stream: Readable; name: string };

/**
 * The files of `dir` whose UTC day can hold lines of [since, until) (file days are whole, so one
 * day either side is read and the lines filtered). With `maxBytes`, the newest days' files that fit
 * in it: `skipped` says how many older files were left out (the caller says the answer is partial).
 */
export function logFilesFor(
  dir: string,
  since?: Date,
  until?: Date,
  maxBytes = Number.POSITIVE_INFINITY,
): LogSource[] & { skipped: number } {
  const from = since ? since.toISOString().slice(0, 10) : '';
  const to = until ? until.toISOString().slice(0, 10) : '9999';
  const files = listLogFiles(dir).filter((f) => f.day >= from && f.day <= to);
  const kept: LogSource[] = [];
  let bytes = 0;
  // Newest first while the budget lasts, then back in day order for reading.
  for (let i = files.length - 1; i >= 0; i--) {
    const size = sizeOf(files[i]!.path);
    if (bytes + size > maxBytes && kept.length > 0) break;
    bytes += size;
    kept.unshift({ path: files[i]!.path });
  }
  return Object.assign(kept, { skipped: files.length - kept.length });
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // deleted by retention meanwhile: nothing to read
  }
}

/** Calls `onEntry` for every line of every source that passes `filter`. */
export async function scanLogs(
  sources: readonly LogSource[],
  filter: LogFilter,
  onEntry: (entry: LogEntry, line: string) => void,
): Promise<ReadStats> {
  const stats: ReadStats = { files: 0, lines: 0, skipped: 0, matched: 0 };
  for (const source of sources) {
    stats.files++;
    const input = 'path' in source ? createReadStream(source.path, { encoding: 'utf8' }) : source.stream;
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
      // A day's file deleted by retention between listing and reading holds nothing to find.
      if (!('path' in source && (err as NodeJS.ErrnoException).code === 'ENOENT')) throw err;
    }
  }
  return stats;
}

/** The newest `limit` matches, oldest first (lines of several files are put in time order). */
export async function searchLogs(
  sources: readonly LogSource[],
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
  sources: readonly LogSource[],
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
