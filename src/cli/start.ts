import type { Command } from 'commander';
import { createPlatform, ROLES, type Role, startRole } from '../main.ts';
import { settingsSnapshot } from '../platform/config.ts';
import { cliConfig } from './load-config.ts';
import { CliError } from './output.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'Run the platform. With nothing configured: embedded PGlite in CB_DATA_DIR, in-process cache.',
    )
    .option('--role <role>', `what this process runs: ${ROLES.join(', ')}`, 'all')
    .addHelpText(
      'after',
      `
Roles:
  all       everything in one process (default)
  api       the HTTP API; enqueues jobs but does not run them
  worker    event processing, jobs and schedules; serves /healthz, /readyz, /metrics only
  listener  the chain listener; ops endpoints only

The chain (listener, minter, on-chain execution) needs RPC_URLS in a split setup: without it only
--role all runs the embedded dev chain, and the other roles do no chain work.

Stops gracefully on SIGTERM or Ctrl-C: stops accepting, finishes in-flight requests and jobs
within CB_SHUTDOWN_GRACE_MS, then exits 0. An uncaught error is logged at FATAL and stops the
process the same way, with exit code 1. Settings: see docs/configuration.md.`,
    )
    .action(async (opts: { role: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) {
        throw new CliError(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`);
      }
      const config = cliConfig({}, false);
      const started = performance.now();
      const platform = await createPlatform(config, { settings: settingsSnapshot(process.env) });
      const { logger, shutdown } = platform.common;
      let running: Awaited<ReturnType<typeof startRole>>;
      try {
        running = await startRole(platform, opts.role as Role);
      } catch (err) {
        await shutdown.run('start failed');
        throw err;
      }
      process.stderr.write(
        `cb ${opts.role} is serving ${running.url} (ready in ${Math.round(performance.now() - started)} ms; Ctrl-C stops)\n`,
      );
      const stop = async (signal: string, exitCode = 0) => {
        const { timedOut, unfinished } = await shutdown.run(signal);
        if (timedOut) {
          logger.warn('shutdown grace period ran out; exiting anyway', {
            context: { unfinished },
            metrics: { graceMs: config.shutdownGraceMs },
          });
        }
        // The last line: a close function still running past the grace period logs no more.
        await logger.end('stopped', { context: { signal } });
        process.exit(exitCode);
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
      // A bug that escapes every handler: one FATAL line with the error (JSON, like every line,
      // where Node would print a bare stack), then the same graceful stop, and exit 1 so the
      // supervisor restarts the process (CbInstanceRestarting watches for a loop of those).
      const crash = (what: string) => (err: unknown) => {
        logger.fatal(`${what}; stopping`, { err });
        void stop(what, 1);
      };
      process.on('uncaughtException', crash('uncaught exception'));
      process.on('unhandledRejection', crash('unhandled promise rejection'));
    });
}
