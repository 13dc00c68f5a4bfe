/**
 * `cb`: one binary, one file per command. Every command has `--help`, prints JSON with `--json`
 * where it prints results, and exits non-zero with one line `cb: …` on stderr on bad input.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 `reconcile` found differences (and did not fix them), or a
 * check failed (`backup verify`, `audit verify`).
 */
import { Command, CommanderError } from 'commander';
import { registerChainDev } from '../chain/cli-chain-dev.ts';
import { registerChainReplay } from '../chain/listener/cli-chain-replay.ts';
import { registerChainStatus } from '../chain/ops/cli-chain-status.ts';
import { registerRetryFailedMints } from '../chain/ops/cli-retry-failed-mints.ts';
import { registerReconcileChain } from '../chain/reconcile/cli-reconcile-chain.ts';
import { registerChainRoles } from '../chain/roles/cli-chain-roles.ts';
import { registerChainDrill } from '../chain/rpc/cli-chain-drill.ts';
import { registerGovernance } from '../governance/cli.ts';
import { registerMonitor } from '../ops/index.ts';
import { registerAchievements } from './achievements.ts';
import { registerApikey } from './apikey.ts';
import { registerAudit } from './audit.ts';
import { trackAuditedCommands } from './audited-commands.ts';
import { registerBackup } from './backup.ts';
import { registerCapacity } from './capacity.ts';
import { registerConfig } from './config.ts';
import { registerDb } from './db.ts';
import { registerEvents } from './events.ts';
import { registerLogs } from './logs.ts';
import { registerMigrate } from './migrate.ts';
import { endQuietlyOnClosedStdout, exitWithError } from './output.ts';
import { registerPause } from './pause.ts';
import { registerReconcile } from './reconcile.ts';
import { registerReconcileSystems } from './reconcile-systems.ts';
import { registerStart } from './start.ts';

if (process.argv[2] !== 'start') endQuietlyOnClosedStdout();

const program = new Command('cb')
  .description('cb platform: achievements and governance for a Web3 community, built to be operated.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerStart(program);
registerMigrate(program);
registerDb(program);
registerConfig(program);
registerApikey(program);
registerAchievements(program);
registerEvents(program);
const reconcile = registerReconcile(program);
registerReconcileChain(reconcile);
registerReconcileSystems(reconcile);
const chain = program.command('chain').description('Local dev chain and chain maintenance.');
registerChainDev(chain);
registerChainReplay(chain);
registerChainStatus(chain);
registerChainDrill(chain);
registerRetryFailedMints(chain);
registerChainRoles(chain);
registerGovernance(program);
registerMonitor(program);
registerBackup(program);
registerPause(program);
registerAudit(program);
registerCapacity(program);
registerLogs(program);
trackAuditedCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander already printed help, the version, or its own one-line error.
    process.exit(err.exitCode === 1 ? 2 : err.exitCode);
  }
  exitWithError(err);
}
