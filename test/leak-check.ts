/**
 * Set up before every test file (vitest.config.ts `setupFiles`), for what a file leaves behind:
 *
 * - **Temporary files.** The file runs with `TMPDIR` pointing at a directory of its own (node's
 *   `os.tmpdir()` and the processes it starts follow it), removed with everything in it after the
 *   file. Full runs used to leave hundreds of `cb-*` directories in /tmp, up to ~80 MB each. The
 *   directories of files that ran no afterAll (all tests skipped, or the run killed) go when a later
 *   file starts (test/stale-test-dirs.ts).
 * - **PostgreSQL databases.** After the file's own hooks, it fails the file if it left a database
 *   from createTestDatabase behind (test/services.ts), and drops it. Every full run used to leave
 *   one `cb_test_…` database on the shared server (slow-queries.test.ts made a second database and
 *   never dropped it).
 *
 * Hooks run in stack order (vitest's default `sequence.hooks`), so these afterAll hooks, registered
 * before the file's, run after them. services.ts (and pg) is loaded only when a database was made.
 * Each file runs in a process of its own (`pool: 'forks'`, isolated), so `TMPDIR` is the file's.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { removeStaleTestDirs, testDirPrefix } from './stale-test-dirs.ts';

const systemTmp = tmpdir();
removeStaleTestDirs(systemTmp);
const ownTmp = mkdtempSync(join(systemTmp, testDirPrefix(process.pid)));
// Traversable by other users: a scratch PostgreSQL server runs as `postgres` in a directory of its own
// under here (test/services.ts startScratchPostgres).
chmodSync(ownTmp, 0o711);
process.env.TMPDIR = ownTmp;

afterAll(() => {
  process.env.TMPDIR = systemTmp;
  rmSync(ownTmp, { recursive: true, force: true, maxRetries: 3 });
});

afterAll(async () => {
  const made = (globalThis as Record<symbol, unknown>)[Symbol.for('cb.test.undroppedDatabases')] as
    | Set<string>
    | undefined;
  if (!made || made.size === 0) return;
  const { dropUndroppedTestDatabases } = await import('./services.ts');
  const left = await dropUndroppedTestDatabases();
  if (left.length > 0)
    throw new Error(
      `this test file left PostgreSQL database(s) ${left.join(', ')} behind (now dropped): call drop() on every database it creates`,
    );
});
