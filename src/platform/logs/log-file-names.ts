/**
 * The names of log files in each tier (seed 4.3): `cb-<instance>-<YYYY-MM-DD>.jsonl` in CB_LOG_DIR
 * (hot), the same name plus `.gz` in CB_LOG_ARCHIVE_DIR (warm) and CB_LOG_COLD_DIR (cold). The day
 * is the UTC day of the file's lines; the name alone says which tier window a file is in.
 */
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** `cb-<instance>-<YYYY-MM-DD>.jsonl`: the instance, and the UTC day of its lines. */
export const LOG_FILE = /^cb-(.+)-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** `cb-<instance>-<YYYY-MM-DD>.jsonl.gz`: a day's file, compressed, in the archive or cold tier. */
export const ARCHIVED_LOG_FILE = /^cb-(.+)-(\d{4}-\d{2}-\d{2})\.jsonl\.gz$/;

export const DAY_MS = 86_400_000;

/** A day's file in a tier's directory. */
export interface DayFile {
  /** The file's name, e.g. `cb-web-1-2026-11-27.jsonl`. */
  file: string;
  path: string;
  instance: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
}

/** The file of `instance`'s lines on the UTC day of `at`. */
export function logFileName(instance: string, at: number): string {
  return `cb-${safeInstance(instance)}-${utcDay(at)}.jsonl`;
}

/** YYYY-MM-DD of `at` (UTC). */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** An instance name fit for a file name (CB_INSTANCE is free text). */
function safeInstance(instance: string): string {
  return instance.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'cb';
}

function dayFiles(dir: string, names: readonly string[], pattern: RegExp): DayFile[] {
  return names
    .map((file) => ({ file, m: pattern.exec(file) }))
    .filter((f): f is { file: string; m: RegExpExecArray } => f.m !== null)
    .map(({ file, m }) => ({ file, path: join(dir, file), instance: m[1]!, day: m[2]! }))
    .sort((a, b) => a.day.localeCompare(b.day) || a.file.localeCompare(b.file));
}

/** The days' files in `dir`, oldest day first (none when the directory is missing). */
export function listLogFiles(dir: string): DayFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return dayFiles(dir, names, LOG_FILE);
}

/**
 * The files in `dir` named like `pattern` (LOG_FILE, ARCHIVED_LOG_FILE), oldest day first, without
 * blocking the event loop (the directory may be a slow mounted bucket); none when it is missing.
 * Temporary files of a move in progress (`.…tmp`) never match.
 */
export async function listDayFiles(dir: string, pattern: RegExp): Promise<DayFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return dayFiles(dir, names, pattern);
}
