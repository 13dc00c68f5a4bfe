import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../src/platform/process-alive.ts';

/** The prefix of a test file's own temporary directory: `cb-test-<pid>-` (test/leak-check.ts). */
export const testDirPrefix = (pid: number): string => `cb-test-${pid}-`;

/**
 * Removes from `root` the test directories ({@link testDirPrefix}) whose process is gone: a file
 * whose tests were all skipped runs no afterAll, and a killed run none at all. Returns their names.
 */
export function removeStaleTestDirs(root: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const owner = /^cb-test-(\d+)-/.exec(name);
    if (!owner || processAlive(Number(owner[1]))) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
