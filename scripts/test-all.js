#!/usr/bin/env node
/**
 * `npm test` after `npm run check`: runs the whole vitest suite twice —
 *   1. embedded: PGlite in-process, no Redis (what `npm start` uses with nothing configured);
 *   2. services: the same suites on the real PostgreSQL and Redis (CB_TEST_DRIVER=pg).
 * Suites that need a service fail when it is missing and CI=true (see test/services.ts).
 * Prints one closing line `tests: N passed, N failed, N skipped` over both passes.
 *
 * Usage: node scripts/test-all.js [--only embedded|services] [vitest args…]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const args = process.argv.slice(2);
let only;
const onlyAt = args.indexOf('--only');
if (onlyAt >= 0) {
  only = args[onlyAt + 1];
  args.splice(onlyAt, 2);
}
if (only && only !== 'embedded' && only !== 'services') {
  console.error(`test-all: --only takes embedded or services, got ${only}`);
  process.exit(2);
}

const passes = [
  { name: 'embedded', env: { CB_TEST_DRIVER: 'pglite' } },
  {
    name: 'services',
    env: {
      CB_TEST_DRIVER: 'pg',
      CB_TEST_PG_URL: process.env.CB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      CB_TEST_REDIS_URL: process.env.CB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15',
    },
  },
].filter((p) => !only || p.name === only);

mkdirSync('.tmp', { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
/** `pass: file › test — first line of its message`, repeated at the very end so a log's tail names them. */
const failures = [];
let exitCode = 0;
for (const pass of passes) {
  const report = join('.tmp', `vitest-${pass.name}.json`);
  console.log(`\n━━ test pass: ${pass.name} ━━`);
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...args,
    ],
    { stdio: 'inherit', env: { ...process.env, ...pass.env } },
  );
  if (result.status !== 0) exitCode = 1;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    totals.failed += json.numFailedTests;
    totals.skipped += json.numPendingTests + json.numTodoTests;
    if (json.numFailedTestSuites > 0 && json.numFailedTests === 0) totals.failed += json.numFailedTestSuites;
    for (const file of json.testResults ?? []) {
      const name = file.name.startsWith(process.cwd())
        ? file.name.slice(process.cwd().length + 1)
        : file.name;
      const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
      for (const t of failed)
        failures.push(`${pass.name}: ${name} › ${t.fullName} — ${firstLine(t.failureMessages?.[0])}`);
      if (failed.length === 0 && file.status === 'failed')
        failures.push(`${pass.name}: ${name} — ${firstLine(file.message)}`);
    }
  } catch {
    totals.failed += 1;
    exitCode = 1;
  }
  console.log(`━━ ${pass.name} pass took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ✗ ${f}`).join('\n')}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(exitCode);

function firstLine(message) {
  return stripVTControlCharacters(String(message ?? ''))
    .split('\n')[0]
    .slice(0, 300);
}
