/**
 * What every benchmark parses and checks the same way: whole-number flags, a choice flag where
 * `both` means every option, and a reachable PostgreSQL when a run needs one (the test suites'
 * own check and admin URL, `CB_TEST_PG_URL`). A bad flag exits 2, an unreachable database 1.
 */
import { PG_ADMIN_URL, postgresAvailable } from '../test/services.ts';

/** Each flag as a whole number ≥ `min` (1 unless said). */
export function wholeNumbers<K extends string>(
  bench: string,
  raw: Record<K, string>,
  min = 1,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [name, text] of Object.entries(raw) as [K, string][]) {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      console.error(`${bench}: --${name} must be a whole number ≥ ${min}, got "${text}"`);
      process.exit(2);
    }
    out[name] = n;
  }
  return out;
}

/** The options a choice flag names: all of them for `both`, else the one given. */
export function choice<T extends string>(bench: string, name: string, value: string, all: readonly T[]): T[] {
  if (value === 'both') return [...all];
  if ((all as readonly string[]).includes(value)) return [value as T];
  console.error(`${bench}: --${name} takes both or ${all.join(' or ')}, got "${value}"`);
  process.exit(2);
}

/** Exits when a run on PostgreSQL is asked for and PostgreSQL does not answer. */
export async function requirePostgres(bench: string, drivers: readonly string[]): Promise<void> {
  if (drivers.includes('pg') && !(await postgresAvailable())) {
    console.error(`${bench}: PostgreSQL unreachable at ${PG_ADMIN_URL}`);
    process.exit(1);
  }
}
