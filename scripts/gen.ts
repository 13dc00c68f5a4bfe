/**
 * `npm run gen`: regenerates the files derived from code. `npm run gen -- --check` fails (exit 1)
 * when one of them is stale, and a test runs that check.
 *
 * - README.md and docs/configuration.md: the configuration reference, from `SETTINGS`.
 * - docs/errors.md: the error code table, from `ERROR_CODES`.
 * - src/chain/abi/AchievementBadge.ts: ABI and bytecode, compiled from the contract (~2 s; see
 *   scripts/compile-contracts.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/api/errors.ts';
import { SETTINGS } from '../src/platform/config.ts';
import { BADGE_MODULE, renderAchievementBadgeModule } from './compile-contracts.ts';

export interface GeneratedFile {
  path: string;
  /** Returns the file's expected content from its current content. */
  render(current: string): string;
}

function replaceBetween(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${start} … ${end} not found`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

export function configTable(): string {
  const rows = SETTINGS.map(
    (s) =>
      `| \`${s.env}\` | ${s.defaultText.startsWith('(') ? s.defaultText : `\`${s.defaultText}\``} | ${s.description} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function errorTable(): string {
  const rows = Object.entries(ERROR_CODES)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([code, info]) => `| \`${code}\` | ${info.status} | ${info.meaning.replace(/\|/g, '\\|')} |`);
  return ['| code | HTTP status | meaning and what to do |', '|---|---|---|', ...rows].join('\n');
}

export const GENERATED: GeneratedFile[] = [
  { path: 'docs/errors.md', render: (t) => replaceBetween(t, 'errors', errorTable()) },
  { path: 'README.md', render: (t) => replaceBetween(t, 'config', configTable()) },
  { path: 'docs/configuration.md', render: (t) => replaceBetween(t, 'config', configTable()) },
  { path: BADGE_MODULE, render: () => renderAchievementBadgeModule() },
];

/** Paths whose content differs from what `gen` would write. */
export function staleFiles(): string[] {
  return GENERATED.filter((f) => {
    const current = readFileSync(f.path, 'utf8');
    return f.render(current) !== current;
  }).map((f) => f.path);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  if (check) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`gen: stale generated content in ${stale.join(', ')}; run npm run gen`);
      process.exit(1);
    }
    console.log('gen: generated files are up to date');
  } else {
    for (const f of GENERATED) {
      const current = readFileSync(f.path, 'utf8');
      const next = f.render(current);
      if (next !== current) {
        writeFileSync(f.path, next);
        console.log(`gen: wrote ${f.path}`);
      }
    }
  }
}
