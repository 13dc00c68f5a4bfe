/**
 * For tests that run CLI commands in-process: the database they are pointed at (a fresh
 * PostgreSQL database, or a PGlite directory — `memory://` would be another database each time it
 * is opened), opened by the test between commands, and a runner that parses `cb <args>` with the
 * given commands registered and captures what they print.
 */
import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { afterAll, beforeAll, vi } from 'vitest';
import { createTestDatabase, seededDataDir, TEST_DRIVER } from '../../test/services.ts';
import { createDb, type Db } from '../platform/db/create-db.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { trackAuditedCommands } from './audited-commands.ts';

export interface CliTarget {
  databaseUrl: string | undefined;
  dataDir: string;
  /** The env a command needs to use this database (DATABASE_URL or CB_DATA_DIR). */
  env: Record<string, string | undefined>;
  drop(): Promise<void>;
}

/** A database for the commands under test, on the suite's driver. */
export async function cliTestTarget(prefix: string): Promise<CliTarget> {
  if (TEST_DRIVER === 'pg') {
    const d = await createTestDatabase();
    return { databaseUrl: d.url, dataDir: 'memory://', env: { DATABASE_URL: d.url }, drop: d.drop };
  }
  const dir = await seededDataDir(prefix);
  return {
    databaseUrl: undefined,
    dataDir: dir,
    env: { CB_DATA_DIR: dir, DATABASE_URL: undefined },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Points the commands (they read process.env) at `target`. */
export function useCliTarget(target: CliTarget): void {
  for (const [name, value] of Object.entries(target.env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * The usual suite: a target made and pointed at before the suite (the environment restored and the
 * database dropped after it), and `withDb` on it.
 */
export function cliSuite(prefix: string): {
  readonly target: CliTarget;
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
} {
  const savedEnv = { ...process.env };
  let target: CliTarget | undefined;
  beforeAll(async () => {
    target = await cliTestTarget(prefix);
    useCliTarget(target);
  }, 60_000);
  afterAll(async () => {
    process.env = savedEnv;
    await target?.drop();
  });
  const current = () => {
    if (!target) throw new Error('cliSuite: the target exists from beforeAll on');
    return target;
  };
  return {
    get target() {
      return current();
    },
    withDb: (fn) => withTargetDb(current(), fn),
  };
}

/** Opens the commands' database (the embedded one is locked while open: close before a command runs). */
export async function withTargetDb<T>(target: CliTarget, fn: (db: Db) => Promise<T>): Promise<T> {
  const quiet = createSilentLogger();
  const db = await createDb({
    databaseUrl: target.databaseUrl,
    dataDir: target.dataDir,
    poolMax: 2,
    slowQueryMs: 10_000,
    logger: quiet,
    metrics: createMetrics(),
  });
  try {
    await migrate(db, quiet);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The `--help` text of `cb <path…>` as the commands `register` adds would print it. */
export function helpOf(register: (program: Command) => void, ...path: string[]): string {
  const program = new Command('cb');
  register(program);
  let command = program;
  for (const name of path) {
    const next = command.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command ${path.join(' ')}`);
    command = next;
  }
  let help = '';
  command.configureOutput({ writeOut: (s) => (help += s) });
  command.outputHelp();
  return help;
}

export interface CliRun {
  out: string;
  err: string;
  exitCode: number | undefined;
}

/** Runs `cb <args>` in-process with the commands `register` adds; returns stdout, stderr and the exit code set. */
export async function runCliInProcess(register: (program: Command) => void, args: string[]): Promise<CliRun> {
  const program = new Command('cb')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  trackAuditedCommands(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'cb', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out, err, exitCode };
}
