/**
 * Test helpers for real services. Each suite gets its own PostgreSQL database (dropped at the
 * end) or an in-memory PGlite, and its own Redis key prefix.
 *
 * `CB_TEST_DRIVER=pg` (set by `scripts/test-all.js` for the second pass) runs the driver-agnostic
 * suites on PostgreSQL. A suite that needs a service fails when it is missing and `CI=true`;
 * elsewhere it is skipped with the reason printed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  access,
  appendFile,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.CB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_TEST_URL = process.env.CB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
export const TEST_DRIVER: 'pg' | 'pglite' = process.env.CB_TEST_DRIVER === 'pg' ? 'pg' : 'pglite';
const IN_CI = process.env.CI === 'true';
const execFileP = promisify(execFile);

async function reachable(check: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await check();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export async function postgresAvailable(): Promise<boolean> {
  const problem = await reachable(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.end();
  });
  if (problem && IN_CI)
    throw new Error(`PostgreSQL is required in CI and unreachable at ${PG_ADMIN_URL}: ${problem}`);
  return problem === undefined;
}

export async function redisAvailable(): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const problem = await reachable(async () => {
    const r = new Redis(REDIS_TEST_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: () => null,
    });
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  });
  if (problem && IN_CI)
    throw new Error(`Redis is required in CI and unreachable at ${REDIS_TEST_URL}: ${problem}`);
  return problem === undefined;
}

/**
 * Deletes the keys a test wrote under `prefix` in the test Redis (database 15 is shared by every run
 * on the machine, and keeps what a test leaves). Does nothing when Redis is not reachable.
 */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  if (!prefix) throw new Error('deleteRedisKeys: an empty prefix would delete every key');
  const { Redis } = await import('ioredis');
  const r = new Redis(REDIS_TEST_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await r.connect();
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
  } catch {
    // Nothing was written where nothing answers.
  } finally {
    r.disconnect();
  }
}

/**
 * The databases createTestDatabase made in this test file's process and not yet dropped. Kept on
 * globalThis so test/leak-check.ts sees it without loading this module (and pg) in every file.
 */
const UNDROPPED = Symbol.for('cb.test.undroppedDatabases');
const registry = globalThis as Record<symbol, Set<string> | undefined>;
const undropped = registry[UNDROPPED] ?? new Set<string>();
registry[UNDROPPED] = undropped;

/** A fresh PostgreSQL database; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  undropped.add(name);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await dropDatabase(name);
      undropped.delete(name);
    },
  };
}

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name} with (force)`);
  } finally {
    await c.end();
  }
}

/**
 * Drops the databases this test file made and never dropped, and returns their names. Run after
 * every file by test/leak-check.ts: the shared server keeps whatever a suite forgets.
 */
export async function dropUndroppedTestDatabases(): Promise<string[]> {
  const left = [...undropped];
  for (const name of left) {
    await dropDatabase(name);
    undropped.delete(name);
  }
  return left;
}

/**
 * Where the driver-agnostic suites keep their data: a fresh PG database, or an in-memory PGlite
 * that starts from {@link emptyPgliteData} (spread into `createDb`'s options). Either is empty:
 * no migration has run.
 */
export async function testDatabaseTarget(): Promise<{
  databaseUrl: string | undefined;
  dataDir: string;
  initialData?: Blob | undefined;
  drop: () => Promise<void>;
}> {
  if (TEST_DRIVER === 'pg') {
    if (!(await postgresAvailable()))
      throw new Error(`CB_TEST_DRIVER=pg but PostgreSQL is unreachable at ${PG_ADMIN_URL}`);
    const d = await createTestDatabase();
    return { databaseUrl: d.url, dataDir: 'memory://', drop: d.drop };
  }
  return {
    databaseUrl: undefined,
    dataDir: 'memory://',
    initialData: await emptyPgliteData(),
    drop: async () => {},
  };
}

let emptyFile: Promise<string> | undefined;
let emptyData: Promise<Blob> | undefined;

/**
 * A freshly initialised, empty PGlite data directory as an uncompressed tar (`dumpDataDir`,
 * ~40 MB): a test database started from it opens in under a second instead of running initdb in
 * WASM (~3 s in memory and ~5 s on disk on a quiet 2-core machine, far more under a full run's
 * load). Made once per PGlite version under `.tmp/`, written aside and renamed so that no test
 * process reads half a file.
 */
export function emptyPgliteFile(): Promise<string> {
  emptyFile ??= (async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const manifest = join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json');
    const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
    const file = join(root, '.tmp', `pglite-empty-${version}.tar`);
    try {
      await access(file);
      return file;
    } catch {}
    const { PGlite } = await import('@electric-sql/pglite');
    const fresh = new PGlite();
    await fresh.waitReady;
    const data = await fresh.dumpDataDir('none');
    await fresh.close();
    await mkdir(dirname(file), { recursive: true });
    const aside = `${file}.${process.pid}`;
    await writeFile(aside, new Uint8Array(await data.arrayBuffer()));
    await rename(aside, file);
    return file;
  })();
  return emptyFile;
}

/** {@link emptyPgliteFile}'s contents, for an in-memory database (`createDb`'s `initialData`). */
export function emptyPgliteData(): Promise<Blob> {
  emptyData ??= emptyPgliteFile().then(async (file) => new Blob([await readFile(file)]));
  return emptyData;
}

/**
 * A new data directory for `cb` (`CB_DATA_DIR`, made with `mkdtemp` under the system's temporary
 * directory). On PGlite its embedded database is already initialised and empty, from
 * {@link emptyPgliteFile} (no migration has run); with `CB_TEST_DRIVER=pg` the directory is empty
 * (the database is elsewhere).
 */
export async function seededDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (TEST_DRIVER === 'pg') return dir;
  await mkdir(join(dir, 'pg'));
  await execFileP('tar', ['-xf', await emptyPgliteFile(), '-C', join(dir, 'pg')]);
  return dir;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** A TCP port free on 127.0.0.1 now (the kernel's pick; closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A PostgreSQL server of a test's own (initdb, postgres on a free port); `stop()` removes it. */
export interface ScratchPostgres {
  url: string;
  /** The server's own directory (owned by the server's user; its data directory is `data/`). */
  dir: string;
  /** Runs `sql` as the superuser (one statement: ALTER SYSTEM cannot run in a transaction). */
  exec(sql: string): Promise<void>;
  /** Restarts the server (settings that need it, e.g. archive_mode). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The installed PostgreSQL server's programs (Debian: /usr/lib/postgresql/<major>/bin, the newest),
 * or why there are none. Needed by the tests that change server-wide settings (WAL archiving), which
 * must not touch the shared test server.
 */
export async function postgresServerBinaries(): Promise<string | undefined> {
  const root = '/usr/lib/postgresql';
  const majors = (await readdir(root).catch(() => [] as string[]))
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = `${root}/${major}/bin`;
    if (
      await access(`${bin}/initdb`).then(
        () => true,
        () => false,
      )
    )
      return bin;
  }
  if (IN_CI) throw new Error(`PostgreSQL server programs are required in CI and absent from ${root}/*/bin`);
  return undefined;
}

/**
 * Starts a throw-away PostgreSQL server with `settings` in its postgresql.conf (so ALTER SYSTEM can
 * still override them), trust authentication, fsync off. As root, runs the server as `postgres` (it
 * refuses root). About a second on the development machine.
 */
export async function startScratchPostgres(
  bin: string,
  settings: Record<string, string>,
): Promise<ScratchPostgres> {
  const asRoot = userInfo().uid === 0;
  const as = (cmd: string, args: string[]) =>
    asRoot ? execFileP('runuser', ['-u', 'postgres', '--', cmd, ...args]) : execFileP(cmd, args);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'cb-scratch-pg-'));
  if (asRoot) {
    const { stdout } = await execFileP('id', ['-u', 'postgres']);
    const { stdout: gid } = await execFileP('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await as(`${bin}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const conf = Object.entries({ fsync: 'off', ...settings })
    .map(([k, v]) => `${k} = '${v.replaceAll("'", "''")}'\n`)
    .join('');
  await appendFile(join(data, 'postgresql.conf'), conf);
  const pgCtl = (action: 'start' | 'restart') =>
    as(`${bin}/pg_ctl`, [
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'server.log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      action,
    ]);
  await pgCtl('start');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    dir,
    async exec(sql) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
    async restart() {
      await pgCtl('restart');
    },
    async stop() {
      await as(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
