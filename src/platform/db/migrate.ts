/**
 * Ordered SQL migrations from `migrations/NNNN_name.sql`, each applied once in its own transaction
 * and recorded with a checksum. On PostgreSQL a session advisory lock makes instances that start
 * together take turns: the first applies, the others then find nothing pending. A migration edited
 * after it was applied is refused (its checksum changed) instead of silently diverging.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompiledQuery } from 'kysely';
import { BaseError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Db } from './create-db.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/** Arbitrary constant: the advisory lock key of the migrator (`cb` + migrate). */
const MIGRATION_LOCK_KEY = 7_413_112_001;

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        id: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

export async function migrate(db: Db, logger: Logger, migrations = loadMigrations()): Promise<MigrateResult> {
  return db.kysely.connection().execute(async (conn) => {
    const run = (text: string, params: unknown[] = []) =>
      conn.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, params));
    if (db.driver === 'pg') await run('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await run(`create table if not exists cb_migrations (
        id text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
      const done = new Map(
        (await run('select id, checksum from cb_migrations')).rows.map((r) => [
          String(r.id),
          String(r.checksum),
        ]),
      );
      const applied: string[] = [];
      for (const m of migrations) {
        const previous = done.get(m.id);
        if (previous !== undefined) {
          if (previous !== m.checksum) {
            throw new BaseError(
              'CB_MIGRATION_CHANGED',
              `migration ${m.id} was changed after it was applied; add a new migration instead`,
            );
          }
          continue;
        }
        const t0 = performance.now();
        await run('begin');
        try {
          await run(m.sql);
          await run('insert into cb_migrations (id, checksum) values ($1, $2)', [m.id, m.checksum]);
          await run('commit');
        } catch (err) {
          await run('rollback');
          throw new BaseError('CB_MIGRATION_FAILED', `migration ${m.id} failed: ${(err as Error).message}`, {
            cause: err,
          });
        }
        applied.push(m.id);
        logger.info('migration applied', {
          context: { migration: m.id },
          metrics: { durationMs: Math.round(performance.now() - t0) },
        });
      }
      return { applied, alreadyApplied: done.size };
    } finally {
      if (db.driver === 'pg') await run('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}
