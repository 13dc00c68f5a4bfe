import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES } from '../src/api/errors.ts';
import { SETTINGS } from '../src/platform/config.ts';
import { staleFiles } from './gen.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('generated files and catalogues', () => {
  test('behavior: generated docs are up to date (npm run gen)', () => {
    expect(staleFiles()).toEqual([]);
  });

  test('behavior: every error code used in the source is in ERROR_CODES (and so in docs/errors.md)', () => {
    const used = new Set<string>();
    for (const file of sourceFiles('src')) {
      for (const m of readFileSync(file, 'utf8').matchAll(
        /['"`]((?:CB|ACH|GOV|CHAIN|OPS|WEB)_[A-Z0-9_]{3,})['"`]/g,
      ))
        used.add(m[1]!);
    }
    const settings = new Set<string>(SETTINGS.map((s) => s.env));
    // Placeholders of the shipped monitoring configs (deploy/), filled in by cb monitor up.
    for (const name of [
      'CB_ALERTMANAGER_TARGETS',
      'CB_ALERTMANAGER_URL',
      'CB_ALERT_WEBHOOK_URL',
      'CB_MONITOR_DIR',
      'CB_PROMETHEUS_DIR',
      'CB_PROMETHEUS_URL',
      'CB_TARGET',
      'CB_TARGETS',
    ])
      settings.add(name);
    const missing = [...used]
      .filter(
        (code) =>
          !(code in ERROR_CODES) &&
          !settings.has(code) &&
          code !== 'CB_LOG_LEVEL' &&
          !code.startsWith('CB_TEST_'),
      )
      .sort();
    expect(missing).toEqual([]);
  });
});
