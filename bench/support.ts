/**
 * What every benchmark parses and checks the same way: whole-number flags, a choice flag where
 * `both` means every option, and a reachable PostgreSQL when a run needs one (the test suites'
 * own check and admin URL, `CB_TEST_PG_URL`). A bad flag exits 2, an unreachable database 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
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

/** CPU seconds (user + system) of other processes, by role, read from /proc (Linux; empty elsewhere). */
export interface CpuSample {
  /** Seconds by pid, with the role each pid was counted under. */
  readonly pids: ReadonlyMap<number, { role: string; seconds: number }>;
  readonly self: NodeJS.CpuUsage;
}

/** Roles a process is counted under, by its command line (first match wins). */
export type CpuRoles = readonly { role: string; match: RegExp }[];

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports

/** The CPU used so far by this process and by every process whose command line matches a role. */
export function sampleCpu(roles: CpuRoles): CpuSample {
  const pids = new Map<number, { role: string; seconds: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { pids, self: process.cpuUsage() };
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const role = roles.find((r) => r.match.test(cmdline))?.role;
      if (!role) continue;
      // Fields after the command name (which may hold spaces) start at its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
      pids.set(pid, { role, seconds: ticks / TICKS_PER_SECOND });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return { pids, self: process.cpuUsage() };
}

/**
 * CPU seconds by role between two samples, this process as `self`. A process that started in
 * between counts from zero; one that ended in between is not counted (sample before closing).
 */
export function cpuBetween(before: CpuSample, after: CpuSample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, a] of after.pids) {
    const used = a.seconds - (before.pids.get(pid)?.seconds ?? 0);
    out[a.role] = (out[a.role] ?? 0) + used;
  }
  out.self = (after.self.user - before.self.user + after.self.system - before.self.system) / 1e6;
  return out;
}
