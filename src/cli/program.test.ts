import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildProgram, COMMANDS, loadersFor } from './program.ts';

const BIN = join(import.meta.dirname, '../../bin/cb.js');
const names = (program: Awaited<ReturnType<typeof buildProgram>>) => program.commands.map((c) => c.name());

describe('the cb program', () => {
  test('default: with no command, every command of the table is registered, in its order, and none besides', async () => {
    expect(names(await buildProgram([]))).toEqual([...COMMANDS.keys()]);
    expect(names(await buildProgram(['--help']))).toEqual([...COMMANDS.keys()]);
    expect(names(await buildProgram(['help']))).toEqual([...COMMANDS.keys()]);
  });

  test('behavior: a command loads its own registration only; each registers exactly the names the table gives it', async () => {
    for (const [name, loader] of COMMANDS) {
      const sharing = [...COMMANDS].filter(([, l]) => l === loader).map(([n]) => n);
      expect(names(await buildProgram([name, '--json'])), name).toEqual(sharing);
      expect(names(await buildProgram(['help', name])), `help ${name}`).toEqual(sharing);
    }
  });

  test('behavior: --version loads no command; a name that is no command loads them all (for the suggestion)', async () => {
    expect(loadersFor(['--version']).loaders).toEqual([]);
    expect(loadersFor(['-V']).loaders).toEqual([]);
    expect(loadersFor(['bakup', 'roles'])).toEqual({ loaders: [...new Set(COMMANDS.values())], rest: [] });
  });

  test('behavior: cb chain <subcommand> loads that subcommand only; cb chain alone, or an unknown one, all six', async () => {
    const chainOf = async (...args: string[]) =>
      (await buildProgram(args)).commands.find((c) => c.name() === 'chain')!.commands.map((c) => c.name());
    const all = ['dev', 'replay', 'status', 'drill', 'retry-failed-mints', 'roles'];
    expect(await chainOf('chain')).toEqual(all);
    expect(await chainOf('chain', '--help')).toEqual(all);
    expect(await chainOf('chain', 'sttaus')).toEqual(all);
    expect(await chainOf('chain', 'roles', 'grant', 'minter', '0x0')).toEqual(['roles']);
    expect(await chainOf('help', 'chain', 'status')).toEqual(['status']);
    expect(await chainOf('--help')).toEqual(all);
  });

  test('behavior: the real binary answers --version, a command’s help and a misspelt name', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
    const version = run('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe('0.1.0');
    const help = run('help', 'pause');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: cb pause');
    const typo = run('bakup');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("unknown command 'bakup'");
    expect(typo.stderr).toContain('backup');
  });
});

describe('what a light command loads', () => {
  // Operators' everyday commands: each loads in ~1.2 s (`cb <command> --help` on a 2-core EPYC)
  // when its static imports stay clear of the heavy domains and libraries, ~2.3 s when one import
  // goes through a barrel that reaches them (src/ops/index.ts reaches viem through the backups'
  // post-restore check, typebox through the routes it also exports).
  const LIGHT = [
    'src/cli/apikey.ts',
    'src/cli/audit.ts',
    'src/cli/backup.ts',
    'src/cli/capacity.ts',
    'src/cli/config.ts',
    'src/cli/db.ts',
    'src/cli/logs.ts',
    'src/cli/migrate.ts',
    'src/cli/pause.ts',
    'src/ops/monitor/register-monitor.ts',
  ];
  const HEAVY =
    /^(node_modules\/(viem|typebox|fastify|pg-boss|hardhat)\/|src\/(achievements|governance|chain|api)\/)/;

  test('behavior: the static imports of the everyday commands reach neither viem, typebox, fastify, pg-boss nor the achievement, governance, chain or API code', async () => {
    const { parseDependencyTree } = await import('dpdm');
    const root = join(import.meta.dirname, '../..');
    for (const entry of LIGHT) {
      const tree = await parseDependencyTree(entry, { cwd: root, transform: true, skipDynamicImports: true });
      const heavy = Object.keys(tree).filter((id) => HEAVY.test(id));
      expect(heavy, entry).toEqual([]);
    }
  }, 60_000);
});
