/**
 * The `cb` program: its top-level commands, of which only the one being run is loaded.
 *
 * The whole command tree is ~2,700 modules (viem, typebox, kysely, fastify…, each file through
 * tsx's loader). Registering every command up front made `cb --version` take 3.3 s on a 2-core
 * EPYC, most of it loading code the command never runs. So `cb <command> …` loads that command's
 * modules only; `cb`, `cb --help`, `cb help` and a name that is no command load them all, so the
 * help lists every command and commander can suggest the nearest name.
 *
 * A command then loads what its module imports, so the everyday commands (apikey, audit, backup,
 * capacity, monitor, pause…) import the operations they run from those operations' own modules
 * (`ops/backup/backups.ts`), not from `ops/index.ts`: that index also exports the routes and jobs,
 * and through them reaches typebox, pg-boss and, by the backups' post-restore check, the achievement
 * domain and viem. What only one path needs from a heavy domain is imported where it is used
 * (`await import(…)`). `cb <command> --help` on the 2-core EPYC: backup 2.46 → 1.19 s, apikey
 * 2.26 → 1.15 s, monitor 1.81 → 0.51 s. program.test.ts checks these commands' static imports.
 */
import { Command } from 'commander';
import { trackAuditedCommands } from './audited-commands.ts';

/** Adds one top-level command (and its subcommands) to `program`. */
type Register = (program: Command) => void;
/**
 * Loads the modules of a top-level command and returns its {@link Register}. `rest` is what follows
 * the command's name: a group may load only the subcommand named there.
 */
type Loader = (rest: readonly string[]) => Promise<Register>;

/** The `chain` subcommands, each with its module (six, together ~2,500 modules: load one). */
const CHAIN_SUBCOMMANDS: ReadonlyMap<string, () => Promise<Register>> = new Map<
  string,
  () => Promise<Register>
>([
  ['dev', async () => (await import('../chain/cli-chain-dev.ts')).registerChainDev],
  ['replay', async () => (await import('../chain/listener/cli-chain-replay.ts')).registerChainReplay],
  ['status', async () => (await import('../chain/ops/cli-chain-status.ts')).registerChainStatus],
  ['drill', async () => (await import('../chain/rpc/cli-chain-drill.ts')).registerChainDrill],
  [
    'retry-failed-mints',
    async () => (await import('../chain/ops/cli-retry-failed-mints.ts')).registerRetryFailedMints,
  ],
  ['roles', async () => (await import('../chain/roles/cli-chain-roles.ts')).registerChainRoles],
]);

const chainCommands: Loader = async (rest) => {
  const one = CHAIN_SUBCOMMANDS.get(rest[0] ?? '');
  const registers = await Promise.all((one ? [one] : [...CHAIN_SUBCOMMANDS.values()]).map((load) => load()));
  return (program) => {
    const chain = program.command('chain').description('Local dev chain and chain maintenance.');
    for (const register of registers) register(chain);
  };
};

const reconcileCommands: Loader = async () => {
  const [reconcile, chain, systems] = await Promise.all([
    import('./reconcile.ts'),
    import('../chain/reconcile/cli-reconcile-chain.ts'),
    import('./reconcile-systems.ts'),
  ]);
  return (program) => {
    const command = reconcile.registerReconcile(program);
    chain.registerReconcileChain(command);
    systems.registerReconcileSystems(command);
  };
};

/** `pause` and `resume`: one module registers both. */
const pauseCommands: Loader = async () => (await import('./pause.ts')).registerPause;

/** Every top-level command by name, in the order the help lists them. */
export const COMMANDS: ReadonlyMap<string, Loader> = new Map<string, Loader>([
  ['start', async () => (await import('./start.ts')).registerStart],
  ['migrate', async () => (await import('./migrate.ts')).registerMigrate],
  ['db', async () => (await import('./db.ts')).registerDb],
  ['config', async () => (await import('./config.ts')).registerConfig],
  ['apikey', async () => (await import('./apikey.ts')).registerApikey],
  ['achievements', async () => (await import('./achievements.ts')).registerAchievements],
  ['events', async () => (await import('./events.ts')).registerEvents],
  ['reconcile', reconcileCommands],
  ['chain', chainCommands],
  [
    'governance',
    async () => {
      const { registerGovernance } = await import('../governance/cli.ts');
      return (program) => registerGovernance(program);
    },
  ],
  [
    'monitor',
    async () => {
      const { registerMonitor } = await import('../ops/monitor/register-monitor.ts');
      return (program) => registerMonitor(program);
    },
  ],
  ['backup', async () => (await import('./backup.ts')).registerBackup],
  ['pause', pauseCommands],
  ['resume', pauseCommands],
  ['audit', async () => (await import('./audit.ts')).registerAudit],
  ['capacity', async () => (await import('./capacity.ts')).registerCapacity],
  ['logs', async () => (await import('./logs.ts')).registerLogs],
]);

/**
 * The loaders `args` (the arguments after `cb`) needs: none for `--version`, the named command's
 * for `cb <command> …` and `cb help <command>` (with what follows the name, so that a group loads
 * only the subcommand named), every one otherwise (with nothing after: whole groups).
 */
export function loadersFor(args: readonly string[]): { loaders: Loader[]; rest: readonly string[] } {
  const first = args[0];
  if (first === '--version' || first === '-V') return { loaders: [], rest: [] };
  const at = first === 'help' ? 1 : 0;
  const one = COMMANDS.get(args[at] ?? '');
  if (one) return { loaders: [one], rest: args.slice(at + 1) };
  return { loaders: [...new Set(COMMANDS.values())], rest: [] };
}

/** The `cb` program with the commands `args` needs (see {@link loadersFor}), ready to parse `args`. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('cb')
    .description('cb platform: achievements and governance for a Web3 community, built to be operated.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Loaded together, registered in the table's order (the order the help lists them in).
  const { loaders, rest } = loadersFor(args);
  const registers = await Promise.all(loaders.map((load) => load(rest)));
  for (const register of registers) register(program);
  trackAuditedCommands(program);
  return program;
}
