import type { Queryable } from './create-db.ts';

/**
 * Total size (with indexes and TOAST) of every table in `schemas`, in bytes: tables of `public` by
 * their name, the others as `schema.table` (the job queue's). cb_db_table_size_bytes and the
 * capacity history (src/ops/capacity) read them this way.
 */
export async function readTableSizes(
  db: Queryable,
  schemas: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ table: string; bytes: string }>(
    `select case when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as table,
            pg_total_relation_size(c.oid)::text as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1::text[])`,
    [schemas],
  );
  return new Map(rows.map((r) => [r.table, Number(r.bytes)]));
}
