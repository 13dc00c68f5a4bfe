/**
 * Set up before every test file (vitest.config.ts `setupFiles`): after the file's own hooks, fails
 * the file if it left a PostgreSQL database from createTestDatabase behind (test/services.ts), and
 * drops it. Every full run used to leave one `cb_test_…` database on the shared server
 * (slow-queries.test.ts made a second database and never dropped it).
 *
 * Hooks run in stack order (vitest's default `sequence.hooks`), so this afterAll, registered before
 * the file's, runs after them. services.ts (and pg) is loaded only when a database was made.
 */
import { afterAll } from 'vitest';

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
