/**
 * What a backup records of its database, and what a restore check compares: rows per table, the
 * newest cb migration, the server's version. Driver-neutral: anything that runs a statement.
 */

export type RunQuery = (text: string) => Promise<{ rows: Record<string, unknown>[] }>;

/** SQL: the schema named by `column` is the database's own (not the catalog's, TOAST's or a temp one). */
export const userSchema = (column: string) =>
  `${column} not in ('pg_catalog', 'information_schema') and ${column} not like 'pg\\_toast%' and ${column} not like 'pg\\_temp%'`;

const USER_TABLES = `select n.nspname as schema, c.relname as name
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind = 'r' and ${userSchema('n.nspname')}
  order by 1, 2`;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Rows of every user table, `schema.table` → count (one statement for all of them). */
export async function tableCounts(query: RunQuery): Promise<Record<string, number>> {
  const tables = (await query(USER_TABLES)).rows.map((r) => ({
    schema: String(r.schema),
    name: String(r.name),
  }));
  const counts: Record<string, number> = {};
  if (tables.length === 0) return counts;
  const text = tables
    .map((t, i) => `select ${i} as i, count(*)::text as n from ${ident(t.schema)}.${ident(t.name)}`)
    .join(' union all ');
  for (const row of (await query(text)).rows) {
    const t = tables[Number(row.i)]!;
    counts[`${t.schema}.${t.name}`] = Number(row.n);
  }
  return counts;
}

/** How many user tables, views and sequences there are: 0 means an empty database. */
export async function userRelationCount(query: RunQuery): Promise<number> {
  const { rows } = await query(
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'S') and ${userSchema('n.nspname')}`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** The newest applied cb migration, or null (no cb_migrations table). */
export async function newestMigration(query: RunQuery): Promise<string | null> {
  // Two statements: a subquery on a missing table fails even where it would not be evaluated.
  const { rows } = await query(`select to_regclass('public.cb_migrations') is not null as present`);
  if (rows[0]?.present !== true) return null;
  const id = (await query('select max(id) as id from public.cb_migrations')).rows[0]?.id;
  return typeof id === 'string' ? id : null;
}

export async function serverVersion(query: RunQuery): Promise<string> {
  return String((await query('select version() as v')).rows[0]?.v ?? 'unknown');
}

/** What a backup records of its database (and a check reads back from the restored copy). */
export interface DatabaseFacts {
  server: string;
  migration: string | null;
  tables: Record<string, number>;
}

export async function databaseFacts(query: RunQuery): Promise<DatabaseFacts> {
  return {
    tables: await tableCounts(query),
    migration: await newestMigration(query),
    server: await serverVersion(query),
  };
}

/** What differs between the counts a backup recorded and a restored copy's: one line each. */
export function compareCounts(
  expected: Readonly<Record<string, number>>,
  actual: Readonly<Record<string, number>>,
): string[] {
  const problems: string[] = [];
  for (const [table, n] of Object.entries(expected)) {
    const got = actual[table];
    if (got === undefined) problems.push(`${table}: missing (backup had ${n} rows)`);
    else if (got !== n) problems.push(`${table}: ${got} rows, backup had ${n}`);
  }
  for (const table of Object.keys(actual))
    if (!(table in expected)) problems.push(`${table}: not in the backup's manifest`);
  return problems;
}
