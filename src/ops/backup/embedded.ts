/**
 * Embedded (PGlite) backups: a gzipped tar of the data directory, taken by PGlite between
 * transactions (`Db.dumpDataDir`). The manifest's counts are read from the tarball itself, loaded
 * into an in-memory PGlite, so they are what a restore will hold. A restore writes the tarball into
 * `<data dir>/pg` under the data-directory lock; with `replace` the directory there is moved aside
 * (`pg.replaced-<time>`), never deleted.
 *
 * Encrypted (a key given), the tarball goes through the cipher on its way to the file, and is
 * decrypted and authenticated whole in memory (where PGlite needs it anyway) before a restore
 * touches the data directory: a file that fails its check changes nothing.
 */
import { createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Db } from '../../platform/db/create-db.ts';
import { lockDataDir } from '../../platform/db/data-dir-lock.ts';
import type { BackupKey } from './backup-key.ts';
import { type DatabaseFacts, databaseFacts, type RunQuery } from './database-facts.ts';
import { createEncryptStream, readDecrypted } from './encryption.ts';
import { BackupError } from './errors.ts';
import { syncFile, writeDurably } from './store.ts';

const queryOf =
  (pglite: PGlite): RunQuery =>
  async (text) => ({ rows: (await pglite.query<Record<string, unknown>>(text)).rows });

/** Facts of a PGlite database. */
export const embeddedFacts = (pglite: PGlite): Promise<DatabaseFacts> => databaseFacts(queryOf(pglite));

/** The tarball in `file` (decrypted and authenticated with `key`), whole in memory. */
async function readTarball(file: string, key: BackupKey | undefined): Promise<Blob> {
  return new Blob(key ? await readDecrypted(file, key, file) : [await readFile(file)]);
}

/** Opens the tarball `file` (encrypted with `key`) as an in-memory database; the caller closes it. */
export async function openEmbeddedCopy(file: string, key?: BackupKey): Promise<PGlite> {
  const pglite = new PGlite({ loadDataDir: await readTarball(file, key) });
  await pglite.waitReady;
  return pglite;
}

/**
 * Dumps the embedded database into `file` (encrypted with `key`); returns the facts of what was
 * written.
 */
export async function dumpEmbedded(db: Db, file: string, key?: BackupKey): Promise<DatabaseFacts> {
  if (!db.dumpDataDir) throw new Error('dumpEmbedded needs the embedded database');
  const tarball = await db.dumpDataDir();
  // Under a temporary name until it opened and was counted: only then is it a backup's file.
  const partial = `${file}.partial-${process.pid}`;
  if (key) {
    try {
      await pipeline(
        Readable.fromWeb(tarball.stream() as Parameters<typeof Readable.fromWeb>[0]),
        createEncryptStream(key),
        createWriteStream(partial, { mode: 0o600 }),
      );
      await syncFile(partial);
    } catch (err) {
      await rm(partial, { force: true });
      throw new BackupError('OPS_BACKUP_FAILED', `writing ${partial} failed: ${(err as Error).message}`, err);
    }
  } else await writeDurably(partial, new Uint8Array(await tarball.arrayBuffer()));
  const copy = await openEmbeddedCopy(partial, key).catch(async (err: unknown) => {
    await rm(partial, { force: true });
    throw new BackupError(
      'OPS_BACKUP_FAILED',
      `the data directory's copy does not open: ${(err as Error).message}`,
      err,
    );
  });
  try {
    const facts = await embeddedFacts(copy);
    await rename(partial, file);
    return facts;
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await copy.close();
  }
}

export interface EmbeddedRestoreResult {
  /** Where the replaced data directory was moved, if there was one. */
  movedAside?: string | undefined;
}

/**
 * Restores the tarball `file` (encrypted with `key`) into the embedded database of `dataDir` (cb
 * must not be running).
 */
export async function restoreEmbedded(
  file: string,
  dataDir: string,
  options: { replace?: boolean | undefined; now?: Date | undefined; key?: BackupKey | undefined } = {},
): Promise<EmbeddedRestoreResult> {
  const dir = resolve(dataDir);
  const unlock = lockDataDir(dir);
  try {
    const target = join(dir, 'pg');
    let movedAside: string | undefined;
    let present: boolean;
    try {
      present = (await readdir(target)).length > 0;
    } catch (err) {
      // Only "not there" means empty; anything else (EMFILE, EIO) must not be read as no database.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      present = false;
    }
    if (present && !options.replace)
      throw new BackupError(
        'OPS_RESTORE_TARGET_NOT_EMPTY',
        `${target} holds a database already: restore into another CB_DATA_DIR, or pass --replace (it is moved aside, not deleted)`,
      );
    // Read (decrypted and authenticated) before anything moves: a file that fails changes nothing.
    const tarball = await readTarball(file, options.key);
    if (present) {
      movedAside = `${target}.replaced-${(options.now ?? new Date()).toISOString().replace(/[-:.]/g, '')}`;
      await rename(target, movedAside);
    }
    // From here `target` is absent or empty: whatever is in it is this restore's own writing.
    try {
      const pglite = new PGlite({ dataDir: target, loadDataDir: tarball });
      await pglite.waitReady;
      await pglite.close();
    } catch (err) {
      let back = movedAside === undefined;
      try {
        await rm(target, { recursive: true, force: true });
        if (movedAside) {
          await rename(movedAside, target);
          back = true;
        }
      } catch {
        // reported below
      }
      throw new BackupError(
        'OPS_RESTORE_FAILED',
        `restoring ${file} into ${target} failed: ${(err as Error).message}${
          movedAside
            ? back
              ? '; the previous data directory is back in place'
              : `; the previous data directory is still in ${movedAside}: move it back to ${target} by hand`
            : ''
        }`,
        err,
      );
    }
    return { movedAside };
  } finally {
    unlock();
  }
}
