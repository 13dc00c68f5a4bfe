/**
 * Helpers of the deployment suites (deploy/systemd, deploy/kubernetes, the Dockerfile): where the
 * files are, the names of cb's settings, a reader of systemd unit files and of systemd time spans,
 * and a child process run to completion without blocking the event loop.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig, SETTINGS } from '../../src/platform/config.ts';

export const ROOT = join(import.meta.dirname, '../..');
export const SYSTEMD_DIR = join(ROOT, 'deploy/systemd');
export const KUBERNETES_DIR = join(ROOT, 'deploy/kubernetes');

/** The environment variable of every cb setting (DATABASE_URL, CB_PORT, …). */
export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.env));

/** Settings whose value is a credential, or may carry one (a password or an API key in a URL). */
export const CREDENTIAL_SETTINGS: ReadonlySet<string> = new Set([
  ...SETTINGS.filter((s) => 'secret' in s && s.secret).map((s) => s.env),
  'DATABASE_URL',
  'REDIS_URL',
  'RPC_URLS',
]);

/** The configuration cb would run with given `env` (throws ConfigError on a bad value). */
export function configFrom(env: Readonly<Record<string, string>>): Readonly<Config> {
  return loadConfig(env);
}

/** One section of a unit file: each key with its values in order (a key may repeat). */
export type UnitSection = ReadonlyMap<string, readonly string[]>;
export type Unit = ReadonlyMap<string, UnitSection>;

/** Reads a systemd unit file: sections, `Key=Value` lines, `#`/`;` comments, `\` continuations. */
export function parseUnit(text: string): Unit {
  const unit = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq <= 0) throw new Error(`not a unit file line: ${raw}`);
    const key = line.slice(0, eq).trim();
    const values = section.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    section.set(key, values);
  }
  return unit;
}

export function readUnit(name: string): Unit {
  return parseUnit(readFileSync(join(SYSTEMD_DIR, name), 'utf8'));
}

/** Every value of `key` in `section` (empty when absent). */
export function values(unit: Unit, section: string, key: string): readonly string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** The last value of `key` in `section` (the one in effect for a single-valued key). */
export function value(unit: Unit, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

/** The assignments of `Environment=` lines (space-separated NAME=value, optionally double-quoted). */
export function environmentOf(unit: Unit, section = 'Service'): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of values(unit, section, 'Environment')) {
    for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) {
      const assignment = m[1] ?? m[2] ?? '';
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new Error(`not an assignment in Environment=: ${assignment}`);
      env.set(assignment.slice(0, eq), assignment.slice(eq + 1));
    }
  }
  return env;
}

const SPAN_UNITS: Record<string, number> = {
  us: 1e-6,
  ms: 1e-3,
  s: 1,
  sec: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  hours: 3600,
};

/** A systemd time span (`30s`, `10min`, `1min 30s`, a bare number of seconds) in seconds. */
export function spanSeconds(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  let total = 0;
  let rest = t;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    const unit = m ? SPAN_UNITS[m[2]!] : undefined;
    if (!m || unit === undefined) throw new Error(`not a systemd time span: ${text}`);
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** The `NAME=value` lines of an env file, commented-out ones (`#NAME=value`) included. */
export function envFileNames(text: string): { active: Map<string, string>; all: Set<string> } {
  const active = new Map<string, string>();
  const all = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    all.add(m[2]!);
    if (!m[1]) active.set(m[2]!, m[3]!);
  }
  return { active, all };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without blocking the event loop (a test server may answer it). */
export function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Whether `tool` is on PATH. */
export async function hasTool(tool: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${tool}`])).status === 0;
}
