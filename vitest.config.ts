import { defineConfig } from 'vitest/config';

/**
 * Suites that touch no database or Redis give the same answer on both passes of `npm test`
 * (scripts/test-all.js): they run in the embedded pass only.
 */
const DRIVER_INDEPENDENT = [
  'src/achievements/rules/**',
  'src/achievements/address.test.ts',
  'src/governance/recover-signer.test.ts',
  'src/governance/typed-hash.test.ts',
  'src/governance-settings.test.ts',
  'src/chain/contracts/**',
  'src/chain/dev-chain.test.ts',
  'src/chain/native-amount.test.ts',
  'src/chain/rpc/**',
  'src/platform/config.test.ts',
  'src/platform/logger.test.ts',
  'src/platform/shutdown.test.ts',
  'test/deploy/**',
  'src/platform/host-metrics.test.ts',
  'src/platform/metrics.test.ts',
  'src/web/rum-catalogue.test.ts',
  'src/web/histogram-quantile.test.ts',
  'web/src/**',
  'scripts/**',
  'test/alerting/**',
  'test/browser/**',
];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'web/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(process.env.CB_TEST_DRIVER === 'pg' ? DRIVER_INDEPENDENT : [])],
    // Gives each file a temporary directory of its own, removed after it, and fails a file that
    // leaves a test database behind on the shared PostgreSQL server.
    setupFiles: ['test/leak-check.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    env: {
      CB_LOG_LEVEL: process.env.CB_LOG_LEVEL ?? 'warn',
      // The processes tests start (cb start, the CLI) shed no request on database waits: the suites
      // share 2 cores, and a wait over the limit there is the test machine's load, not cb's. The
      // shedding itself is tested with the setting given (src/api/http-features.test.ts).
      CB_HTTP_MAX_QUEUE_MS: process.env.CB_HTTP_MAX_QUEUE_MS ?? '0',
    },
  },
});
