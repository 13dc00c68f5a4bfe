/**
 * Embedded (PGlite) backups: a gzipped tar of the data directory, taken by PGlite between
 * transactions (`Db.dumpDataDir`). The manifest's counts are read from the tarball itself, loaded
 * into an in-memory PGlite, so they are what a restore will hold. A restore writes the tarball into
 * `<data dir>/pg` under the data-directory lock; with `replace` the directory there is moved aside
 * (`pg.replaced-<time>`), never deleted.
 */
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Db } from '../../platform/db/create-db.ts';
import { lockDataDir } from '../../platform/db/data-dir-lock.ts';
import { newestMigration, type RunQuery, serverVersion, tableCounts } from './database-facts.ts';
import { BackupFailedError, RestoreTargetNotEmptyError } from './errors.ts';
import { writeAtomically } from './store.ts';

export interface EmbeddedFacts {
  server: string;
  migration: string | null;
  tables: Record<string, number>;
}

const queryOf =
  (pglite: PGlite): RunQuery =>
  async (text) => ({ rows: (await pglite.query<Record<string, unknown>>(text)).rows });

/** Facts of a PGlite database. */
export async function embeddedFacts(pglite: PGlite): Promise<EmbeddedFacts> {
  const query = queryOf(pglite);
  return {
    tables: await tableCounts(query),
    migration: await newestMigration(query),
    server: await serverVersion(query),
  };
}

/** Opens the tarball `file` as an in-memory database; the caller closes it. */
export async function openEmbeddedCopy(file: string): Promise<PGlite> {
  const pglite = new PGlite({ loadDataDir: new Blob([await readFile(file)]) });
  await pglite.waitReady;
  return pglite;
}

/** Dumps the embedded database into `file`; returns the facts of what was written. */
export async function dumpEmbedded(db: Db, file: string): Promise<EmbeddedFacts> {
  if (!db.dumpDataDir) throw new Error('dumpEmbedded needs the embedded database');
  const tarball = await db.dumpDataDir();
  await writeAtomically(file, new Uint8Array(await tarball.arrayBuffer()));
  const copy = await openEmbeddedCopy(file).catch((err: unknown) => {
    throw new BackupFailedError(
      'OPS_BACKUP_FAILED',
      `the data directory's copy does not open: ${(err as Error).message}`,
      err,
    );
  });
  try {
    return await embeddedFacts(copy);
  } finally {
    await copy.close();
  }
}

export interface EmbeddedRestoreResult {
  /** Where the replaced data directory was moved, if there was one. */
  movedAside?: string | undefined;
}

/** Restores the tarball `file` into the embedded database of `dataDir` (cb must not be running). */
export async function restoreEmbedded(
  file: string,
  dataDir: string,
  options: { replace?: boolean | undefined; now?: Date | undefined } = {},
): Promise<EmbeddedRestoreResult> {
  const dir = resolve(dataDir);
  const unlock = lockDataDir(dir);
  try {
    const target = join(dir, 'pg');
    let movedAside: string | undefined;
    const present = await readdir(target).then(
      (names) => names.length > 0,
      () => false,
    );
    if (present) {
      if (!options.replace)
        throw new RestoreTargetNotEmptyError(
          `${target} holds a database already: restore into another CB_DATA_DIR, or pass --replace (it is moved aside, not deleted)`,
        );
      movedAside = `${target}.replaced-${(options.now ?? new Date()).toISOString().replace(/[-:.]/g, '')}`;
      await rename(target, movedAside);
    }
    try {
      const pglite = new PGlite({ dataDir: target, loadDataDir: new Blob([await readFile(file)]) });
      await pglite.waitReady;
      await pglite.close();
    } catch (err) {
      await rm(target, { recursive: true, force: true }); // the failed write's, never the old one
      if (movedAside) await rename(movedAside, target).catch(() => {});
      throw new BackupFailedError(
        'OPS_RESTORE_FAILED',
        `restoring ${file} into ${target} failed: ${(err as Error).message}${movedAside ? '; the previous data directory is back in place' : ''}`,
        err,
      );
    }
    return { movedAside };
  } finally {
    unlock();
  }
}
