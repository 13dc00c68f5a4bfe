/**
 * PostgreSQL backups with the server's own tools, run without a shell:
 *
 * - create: a repeatable-read transaction exports its snapshot, counts every table's rows in it, and
 *   `pg_dump --format=custom --snapshot=…` dumps that same snapshot, so the counts in the manifest
 *   are exactly what the dump holds, however busy the database is meanwhile.
 * - restore: `pg_restore --file=-` (the dump as SQL) piped into `psql --single-transaction
 *   ON_ERROR_STOP`: all or nothing. `replace` drops the target's schemas first, inside that same
 *   transaction, so a failed restore leaves the target as it was.
 * - encrypted (a key given): pg_dump writes to its stdout, encrypted on the way to the file, so no
 *   plaintext reaches the disk; a restore decrypts into pg_restore's stdin, and the COMMIT is sent
 *   only once the whole file authenticated (a cut or altered file is only known at its end).
 *
 * The password never reaches a command line (ps would show it): the tools get the URL without it
 * and PGPASSWORD in their environment.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { redactString } from '../../platform/redact.ts';
import type { BackupKey } from './backup-key.ts';
import {
  type DatabaseFacts,
  databaseFacts,
  type RunQuery,
  userRelationCount,
  userSchema,
} from './database-facts.ts';
import { createDecryptStream, createEncryptStream, READ_CHUNK_BYTES } from './encryption.ts';
import { BackupError, type BackupErrorCode, BackupToolMissingError } from './errors.ts';

/** The URL without its password, and the environment that carries it. */
export function toolConnection(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  // In the userinfo or as a `password` parameter: either way, out of the command line.
  const password = decodeURIComponent(parsed.password) || parsed.searchParams.get('password') || '';
  parsed.password = '';
  parsed.searchParams.delete('password');
  const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '10' };
  if (password) env.PGPASSWORD = password;
  return { url: parsed.toString(), env };
}

/** The database's name in a URL (for messages and the manifest). */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || '(default)';
}

/** Runs `fn` with one connection to `url`, closed after. */
export async function withClient<T>(
  url: string,
  fn: (query: RunQuery, client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn((text) => client.query(text), client);
  } finally {
    await client.end().catch(() => {});
  }
}

interface ToolRun {
  code: number | null;
  /** The last 2 kB of stderr, redacted. */
  stderr: string;
}

/** Starts `tool`; resolves when it exits. ENOENT becomes {@link BackupToolMissingError}. */
function runTool(
  tool: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  wire?: (child: ReturnType<typeof spawn>) => void,
  signal?: AbortSignal,
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    // An abort (the job's expiry, a shutdown) kills the tool; the promise rejects with an AbortError.
    const child = spawn(tool, args, { env, stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-2048);
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new BackupToolMissingError(tool) : err),
    );
    child.on('close', (code) => resolve({ code, stderr: redactString(stderr.trim()) }));
    wire?.(child);
  });
}

/** How long a backup waits for a table lock before it gives up (and says so). */
const LOCK_WAIT = '60s';

export interface DumpOptions {
  /** Stops pg_dump (the scheduled job's expiry or a shutdown). */
  signal?: AbortSignal | undefined;
  /** Encrypt the file with this key. */
  key?: BackupKey | undefined;
}

/**
 * Dumps `url` into `file` (custom format; encrypted with `key`); counts rows in the dump's own
 * snapshot.
 */
export async function dumpPostgres(
  url: string,
  file: string,
  options: DumpOptions = {},
): Promise<DatabaseFacts> {
  const { signal, key } = options;
  const conn = toolConnection(url);
  return withClient(url, async (query) => {
    signal?.throwIfAborted();
    await query('begin isolation level repeatable read, read only');
    // Waiting for ever behind a stuck exclusive lock (a migration) would hold the snapshot for ever.
    await query(`set local lock_timeout = '${LOCK_WAIT}'`);
    try {
      const snapshot = String((await query('select pg_export_snapshot() as s')).rows[0]!.s);
      const facts = await databaseFacts(query);
      // Encrypted: pg_dump's stdout → the cipher → the file (a pipe, so the archive has no data
      // offsets; pg_restore then reads it in order, which a plain restore does).
      let writing: Promise<unknown> | undefined;
      const run = await runTool(
        'pg_dump',
        [
          '--format=custom',
          '--no-owner',
          '--no-privileges',
          `--lock-wait-timeout=${LOCK_WAIT}`,
          `--snapshot=${snapshot}`,
          ...(key ? [] : [`--file=${file}`]),
          `--dbname=${conn.url}`,
        ],
        conn.env,
        (child) => {
          child.stdin!.end();
          if (key)
            writing = pipeline(
              child.stdout!,
              createEncryptStream(key),
              createWriteStream(file, { mode: 0o600 }),
            ).then(
              () => undefined,
              (err: unknown) => err,
            );
        },
        signal,
      ).catch(async (err: unknown) => {
        await writing;
        await rm(file, { force: true });
        throw err;
      });
      const writeError = await writing;
      if (run.code === 0 && writeError) {
        await rm(file, { force: true });
        throw new BackupError(
          'OPS_BACKUP_FAILED',
          `writing the encrypted dump to ${file} failed: ${(writeError as Error).message}`,
          writeError,
        );
      }
      if (run.code !== 0) {
        await rm(file, { force: true });
        throw new BackupError(
          'OPS_BACKUP_FAILED',
          `pg_dump exited with ${run.code}: ${run.stderr || 'no message'}`,
        );
      }
      return facts;
    } finally {
      await query('rollback').catch(() => {});
    }
  });
}

export interface RestoreOptions {
  /** Drop what the target holds first (in the restore's transaction). @defaultValue false */
  replace?: boolean | undefined;
  /** The file is encrypted with this key. */
  key?: BackupKey | undefined;
}

/**
 * Restores the dump `file` into `url`, all or nothing. Refuses a target that holds tables unless
 * `replace`.
 */
export async function restorePostgres(
  file: string,
  url: string,
  options: RestoreOptions = {},
): Promise<void> {
  const schemas = await withClient(url, async (query) => {
    const relations = await userRelationCount(query);
    const { rows } = await query(`select nspname from pg_namespace where ${userSchema('nspname')}`);
    const names = rows.map((r) => String(r.nspname));
    const others = names.filter((n) => n !== 'public');
    if ((relations > 0 || others.length > 0) && !options.replace)
      throw new BackupError(
        'OPS_RESTORE_TARGET_NOT_EMPTY',
        `${databaseName(url)} holds ${relations} table(s), view(s) or sequence(s)${others.length > 0 ? ` and schema(s) ${others.join(', ')}` : ''}: restore into an empty database, or pass --replace to drop them in the restore's transaction`,
      );
    return names;
  });
  const conn = toolConnection(url);
  // One explicit transaction: the drops, the dump as SQL, and a COMMIT written only once pg_restore
  // has succeeded. Without it psql reaches the end of its input inside the transaction and exits,
  // and the server rolls everything back.
  const preamble = `begin;\n${
    options.replace
      ? `${schemas.map((s) => `drop schema if exists "${s.replace(/"/g, '""')}" cascade;`).join('\n')}\ncreate schema if not exists public;\n`
      : ''
  }`;
  let source: ToolRun | undefined;
  let sourceError: unknown;
  let decryptError: unknown;
  let restoreChild: ReturnType<typeof spawn> | undefined;
  const run = await runTool(
    'psql',
    ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--output=/dev/null', `--dbname=${conn.url}`],
    conn.env,
    (psql) => {
      psql.stdout!.resume();
      psql.stdin!.on('error', () => {}); // psql stopped reading: its exit code says why
      // pg_restore only once psql runs; and never outliving it (a full pipe would block it for ever).
      psql.on('spawn', () => {
        psql.stdin!.write(preamble);
        let decrypting: Promise<unknown> = Promise.resolve(undefined);
        const reading = runTool(
          'pg_restore',
          ['--no-owner', '--no-privileges', '--file=-', ...(options.key ? [] : [file])],
          conn.env,
          (r) => {
            restoreChild = r;
            if (options.key)
              decrypting = pipeline(
                createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
                createDecryptStream(options.key, file),
                intoStdin(r.stdin!),
              ).then(
                () => undefined,
                (err: unknown) => err,
              );
            else r.stdin!.end();
            r.stdout!.pipe(psql.stdin!, { end: false });
          },
        );
        reading.then(
          async (done) => {
            source = done;
            // pg_restore may be done before the file's end: its last records must check too.
            decryptError = await decrypting;
            psql.stdin!.end(done.code === 0 && decryptError === undefined ? 'commit;\n' : '');
          },
          (err: unknown) => {
            sourceError = err;
            psql.stdin!.end();
          },
        );
      });
      psql.on('close', () => {
        if (restoreChild && restoreChild.exitCode === null && restoreChild.signalCode === null)
          restoreChild.kill('SIGKILL');
      });
    },
  );
  if (sourceError instanceof BackupToolMissingError) throw sourceError;
  if (decryptError !== undefined) {
    const e = decryptError as Error;
    // The decryption's own code (authentication, key) when it has one; a read error is a failed restore.
    throw new BackupError(
      e instanceof BackupError ? (e.code as BackupErrorCode) : 'OPS_RESTORE_FAILED',
      `${e instanceof BackupError ? e.message : `reading ${file} failed: ${e.message}`}; nothing was restored into ${databaseName(url)}`,
      e,
    );
  }
  if (run.code !== 0)
    throw new BackupError(
      'OPS_RESTORE_FAILED',
      `psql exited with ${run.code} restoring into ${databaseName(url)}: ${run.stderr || 'no message'}; the transaction was rolled back`,
    );
  // psql ends only after its input does, so pg_restore's outcome is known here.
  if (source?.code !== 0)
    throw new BackupError(
      'OPS_RESTORE_FAILED',
      `pg_restore could not read ${file} (exit ${source?.code ?? (sourceError as Error | undefined)?.message}): ${source?.stderr || 'no message'}; nothing was restored`,
    );
}

/**
 * A sink writing into a child's stdin that keeps accepting (and dropping) once the child stopped
 * reading, so the stream feeding it still runs to its end — for a decryption, its last checks.
 */
function intoStdin(stdin: Writable): Writable {
  let gone = false;
  stdin.on('error', () => {
    gone = true; // EPIPE: the child exited; its exit code says why
  });
  stdin.on('close', () => {
    gone = true;
  });
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (gone) return done();
      if (stdin.write(chunk)) return done();
      const resume = () => {
        stdin.off('drain', resume);
        stdin.off('close', resume);
        done();
      };
      stdin.on('drain', resume);
      stdin.on('close', resume);
    },
    final(done) {
      if (!gone) stdin.end();
      done();
    },
    destroy(err, done) {
      // A failed decryption: end the child's input, so it stops (and the restore is not committed).
      if (!gone) stdin.end();
      done(err);
    },
  });
}

const SCRATCH = /^cb_restore_check_(\d+)_[0-9a-f]+$/;

/** A scratch database's name: when it was made (so a later run can tell a stale one), and a random part. */
export function scratchName(now = Date.now()): string {
  return `cb_restore_check_${Math.floor(now / 1000)}_${randomBytes(4).toString('hex')}`;
}

/**
 * Drops the scratch databases of checks or drills interrupted a day ago or more (Ctrl-C, a killed
 * process): each is a whole copy of the database. Younger ones may belong to a run in progress.
 */
export async function dropStaleScratch(url: string, now = Date.now()): Promise<string[]> {
  return withClient(url, async (query) => {
    const { rows } = await query(
      `select datname from pg_database where datname like 'cb\\_restore\\_check\\_%'`,
    );
    const stale = rows
      .map((r) => String(r.datname))
      .filter((name) => {
        const m = SCRATCH.exec(name);
        return m !== null && now / 1000 - Number(m[1]) > 86_400;
      });
    for (const name of stale) await query(`drop database if exists "${name}" with (force)`);
    return stale;
  });
}

/** Creates an empty scratch database next to `url`'s (needs CREATEDB); returns its URL and a drop. */
export async function createScratchDatabase(
  url: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  await withClient(url, (query) => query(`create database "${name}"`));
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    drop: () =>
      withClient(url, (query) => query(`drop database if exists "${name}" with (force)`)).then(() => {}),
  };
}
