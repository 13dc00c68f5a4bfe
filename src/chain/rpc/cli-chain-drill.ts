/**
 * `cb chain drill [--lose NAME…] [--fault reset|timeout|http-503] [--rate N] [--json]`: the RPC
 * failover drill (failover-drill.ts) against the configured endpoints — each lost in turn under a
 * steady read load, with what the pool did about it. No database needed; the endpoints only see
 * reads. Exit code 3 when a scenario fails (a read failed, an endpoint was not taken out or did not
 * rejoin, or there is no standby).
 */
import type { Command } from 'commander';
import { cliLogger } from '../../cli/cli-logger.ts';
import { cliConfig } from '../../cli/load-config.ts';
import { CliError, printJson, printLine, printTable } from '../../cli/output.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { DRILL_FAULTS, type DrillFault, FailoverDrillError, runFailoverDrill } from './failover-drill.ts';

export function registerChainDrill(chainCommand: Command): void {
  chainCommand
    .command('drill')
    .description(
      'An RPC failover drill: each configured endpoint (RPC_URLS) is lost in turn while reads go on at a steady rate, and the drill measures what cb would see — reads failed, their latency, how long the pool took to take the endpoint out and to let it back in.',
    )
    .option('--lose <name...>', 'the endpoints to lose, one scenario each (default: every endpoint)')
    .option('--fault <kind>', `how the endpoint is lost: ${DRILL_FAULTS.join(', ')}`, 'reset')
    .option('--rate <n>', 'reads a second during the drill (1-200)', '10')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Each endpoint is put behind a local HTTP proxy of the drill's own, so the pool reaches it over its
real HTTP path and the fault is a real network failure: reset (connections reset: a crashed node),
timeout (requests never answered: a hung node, each attempt waits CB_RPC_TIMEOUT_MS; reads are
hedged to another endpoint after CB_RPC_HEDGE_AFTER_MS), http-503 (a provider's outage). The pool is cb's, with the deployment's settings. Needs RPC_URLS over HTTP(S)
and every endpoint answering at the start; nothing of the deployment changes. Run it after changing
RPC_URLS, and with the quarterly recovery drill (seed 5.3). Exit code 3 when a scenario fails.
Example: cb chain drill --fault timeout --lose primary`,
    )
    .action(async (opts: { lose?: string[]; fault: string; rate: string; json?: boolean }) => {
      if (!(DRILL_FAULTS as readonly string[]).includes(opts.fault))
        throw new CliError(`--fault must be one of ${DRILL_FAULTS.join(', ')}, got "${opts.fault}"`, 2);
      const rate = Number(opts.rate);
      if (!Number.isFinite(rate) || rate < 1 || rate > 200)
        throw new CliError(`--rate must be a number from 1 to 200, got "${opts.rate}"`, 2);
      const config = cliConfig();
      if (config.rpcEndpoints.length === 0)
        throw new CliError(
          'cb chain drill needs RPC_URLS: the embedded dev chain has one endpoint and nothing to fail over to',
          2,
        );
      // The pool's own warnings (circuits opening) are the drill's subject: its steps say them.
      const logger = cliLogger(config, 'error');
      const common = {
        config,
        logger,
        metrics: createMetrics(),
        shutdown: createShutdown({ graceMs: config.shutdownGraceMs, logger }),
      };
      let report: Awaited<ReturnType<typeof runFailoverDrill>>;
      try {
        report = await runFailoverDrill({
          common,
          endpoints: config.rpcEndpoints,
          lose: opts.lose,
          fault: opts.fault as DrillFault,
          readsPerSecond: rate,
          onStep: (line) => process.stderr.write(`drill: ${line}\n`),
        });
      } catch (err) {
        if (err instanceof FailoverDrillError) throw new CliError(err.message, 2);
        throw err;
      }
      if (opts.json) printJson(report);
      else {
        printLine(
          `RPC failover drill (${report.fault}, ${report.seconds} s): ${report.ok ? 'PASSED' : 'FAILED'}`,
        );
        printTable(
          report.scenarios.map((s) => ({
            lost: s.lost,
            result: s.ok ? 'ok' : 'FAILED',
            reads: s.reads,
            failed: s.failed,
            'p95 ms': s.latencyMs.p95,
            'max ms': s.latencyMs.max,
            'out after': s.takenOutAfterMs === null ? 'never' : `${s.takenOutAfterMs} ms`,
            'back after': s.rejoinedAfterMs === null ? 'never' : `${s.rejoinedAfterMs} ms`,
            'served by': Object.entries(s.servedBy)
              .map(([name, n]) => `${name} ${n}`)
              .join(', '),
          })),
          ['lost', 'result', 'reads', 'failed', 'p95 ms', 'max ms', 'out after', 'back after', 'served by'],
        );
        for (const s of report.scenarios) for (const p of s.problems) printLine(`- ${s.lost}: ${p}`);
      }
      if (!report.ok) process.exitCode = 3;
    });
}
