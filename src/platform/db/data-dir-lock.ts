/**
 * One process per embedded data directory. Two PGlite instances on one directory silently lose
 * writes, so the directory is guarded by `cb.lock` (created with O_EXCL, holding pid and host). A
 * lock left by a dead process on this host is taken over; a live one is refused with a clear error.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '../errors.ts';
import { processAlive } from '../process-alive.ts';

export class DataDirLockedError extends BaseError {
  override name = 'DataDirLockedError';
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

/** Takes the lock on `dir` (creating it); returns the release function. */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'cb.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | undefined;
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      holder = undefined; // being written right now, or corrupt: look again
    }
    if (holder && (holder.host !== hostname() || processAlive(holder.pid))) {
      throw new DataDirLockedError(
        'CB_DATA_DIR_LOCKED',
        `data directory ${dir} is in use by process ${holder.pid} on ${holder.host} (since ${holder.startedAt}); ` +
          'the embedded database allows one process: stop it, use another CB_DATA_DIR, or set DATABASE_URL to share PostgreSQL',
        { details: { dir, pid: holder.pid, host: holder.host } },
      );
    }
    if (holder) {
      try {
        unlinkSync(path); // stale: its process is gone
      } catch {
        // someone else removed it first
      }
    } else {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  throw new DataDirLockedError('CB_DATA_DIR_LOCKED', `could not take the lock on data directory ${dir}`);
}
