/**
 * `cb monitor up`: Prometheus and Alertmanager (plus installed exporters) against this instance,
 * with the shipped configs, until Ctrl-C. See `start-monitor.ts`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { cliConfig } from '../../cli/load-config.ts';
import { CliError, printJson, printLine } from '../../cli/output.ts';
import type { Config } from '../../platform/config.ts';
import { parseSlackWebhooks, parseSmtpUrl } from '../incidents/settings.ts';
import {
  DEFAULT_PORTS,
  type DirectP0Email,
  type MonitorPorts,
  type RunningMonitor,
  startMonitor,
} from './start-monitor.ts';

/** What tests and embedders may replace. */
export interface MonitorCommandDeps {
  /** Environment of the command (PATH). @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /** Stops the monitor like Ctrl-C does. */
  stop?: AbortSignal;
  /** Called once everything is ready. */
  onReady?: (monitor: RunningMonitor) => void;
}

interface UpOptions {
  target?: string;
  dir?: string;
  fast?: boolean;
  exporters: boolean;
  prometheusPort?: string;
  alertmanagerPort?: string;
  nodeExporterPort?: string;
  postgresExporterPort?: string;
  redisExporterPort?: string;
  webhookTokenFile?: string;
  set: string[];
  json?: boolean;
}

/** Settings the composition root may add to the config (read when present). */
type MonitorConfig = Readonly<Config> & {
  alertWebhookToken?: string | undefined;
  alertWebhookTokenFile?: string | undefined;
};

function port(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65_535)
    throw new CliError(`--${name} must be a port (1-65535), got "${raw}"`);
  return n;
}

function readToken(file: string, what: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  throw new CliError(`${what} ${file} is empty`);
}

export function registerMonitor(program: Command, deps: MonitorCommandDeps = {}): void {
  const monitor = program
    .command('monitor')
    .description('Run the monitoring stack (Prometheus, Alertmanager, exporters) against this instance.');

  monitor
    .command('up')
    .description(
      'Start Prometheus and Alertmanager (and the node, PostgreSQL and Redis exporters when installed) from the system binaries with the configs in deploy/, scraping this instance and posting alerts to its webhook; Ctrl-C stops them.',
    )
    .option('--target <url>', 'base URL of the cb instance (default: http://127.0.0.1:CB_PORT)')
    .option('--dir <dir>', 'directory for configs, data and logs (default: CB_DATA_DIR/monitor)')
    .option('--fast', 'use the test timings (deploy/*/*.test.yml: 1-2 s scrapes, evaluations, group waits)')
    .option('--no-exporters', 'do not start the exporters')
    .option('--prometheus-port <port>', `Prometheus port (default ${DEFAULT_PORTS.prometheus})`)
    .option('--alertmanager-port <port>', `Alertmanager port (default ${DEFAULT_PORTS.alertmanager})`)
    .option('--node-exporter-port <port>', `node exporter port (default ${DEFAULT_PORTS.node})`)
    .option('--postgres-exporter-port <port>', `PostgreSQL exporter port (default ${DEFAULT_PORTS.postgres})`)
    .option('--redis-exporter-port <port>', `Redis exporter port (default ${DEFAULT_PORTS.redis})`)
    .option(
      '--webhook-token-file <file>',
      "file holding the webhook's bearer token (default: CB_ALERT_WEBHOOK_TOKEN_FILE or CB_ALERT_WEBHOOK_TOKEN)",
    )
    .option(
      '--set <NAME=VALUE>',
      'a value for the placeholder NAME of the configs (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--json', 'print what was started as JSON')
    .addHelpText(
      'after',
      `
Binaries (Debian packages): prometheus, prometheus-alertmanager (required);
prometheus-node-exporter, prometheus-postgres-exporter (with DATABASE_URL),
prometheus-redis-exporter (with REDIS_URL) when installed. Everything listens on 127.0.0.1.`,
    )
    .action(async (opts: UpOptions) => {
      const config = cliConfig() as MonitorConfig;
      const env = deps.env ?? process.env;
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      const target =
        opts.target ??
        `http://${host.includes(':') ? `[${host}]` : host}:${config.port === 0 ? 3000 : config.port}`;
      const dir = opts.dir ?? join(config.dataDir, 'monitor');
      const ports: MonitorPorts = {
        prometheus: port(opts.prometheusPort, 'prometheus-port', DEFAULT_PORTS.prometheus),
        alertmanager: port(opts.alertmanagerPort, 'alertmanager-port', DEFAULT_PORTS.alertmanager),
        node: port(opts.nodeExporterPort, 'node-exporter-port', DEFAULT_PORTS.node),
        postgres: port(opts.postgresExporterPort, 'postgres-exporter-port', DEFAULT_PORTS.postgres),
        redis: port(opts.redisExporterPort, 'redis-exporter-port', DEFAULT_PORTS.redis),
      };
      const values: Record<string, string> = {};
      for (const pair of opts.set) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new CliError(`--set takes NAME=VALUE, got "${pair}"`);
        values[pair.slice(0, eq)] = pair.slice(eq + 1);
      }

      let token: string;
      if (opts.webhookTokenFile) token = readToken(opts.webhookTokenFile, '--webhook-token-file');
      else if (config.alertWebhookTokenFile)
        token = readToken(config.alertWebhookTokenFile, 'CB_ALERT_WEBHOOK_TOKEN_FILE');
      else if (config.alertWebhookToken) token = config.alertWebhookToken;
      else {
        const kept = join(dir, 'alert-webhook-token');
        token = existsSync(kept) ? readFileSync(kept, 'utf8').trim() : randomBytes(24).toString('base64url');
        process.stderr.write(
          `cb monitor: no webhook token configured; Alertmanager will use the one in ${kept}. Give cb the same (CB_ALERT_WEBHOOK_TOKEN_FILE=${kept}) or its webhook answers 503.\n`,
        );
      }

      const running = await startMonitor({
        target,
        dir,
        webhookToken: token,
        fast: opts.fast === true,
        ports,
        exporters: opts.exporters,
        databaseUrl: config.databaseUrl,
        redisUrl: config.redisUrl,
        values,
        directP0SlackWebhook: directP0Slack(config),
        directP0Email: directP0Email(config, (line) => process.stderr.write(`cb monitor: ${line}\n`)),
        externalHeartbeatUrl: config.externalHeartbeatUrl,
        path: env.PATH,
        onProgress: (line) => process.stderr.write(`cb monitor: ${line}\n`),
      });

      const summary = {
        target,
        dir: running.dir,
        prometheus: running.prometheusUrl,
        alertmanager: running.alertmanagerUrl,
        processes: running.processes.map((p) => ({
          component: p.component,
          pid: p.pid,
          url: p.url,
          log: p.log,
        })),
        skipped: running.skipped,
      };
      if (opts.json) printJson(summary);
      else {
        printLine(`Prometheus   ${running.prometheusUrl}  (scraping ${target}/metrics)`);
        printLine(`Alertmanager ${running.alertmanagerUrl}  (posting to ${target}/v1/alerts/webhook)`);
        for (const p of running.processes.filter(
          (p) => p.component !== 'prometheus' && p.component !== 'alertmanager',
        ))
          printLine(`${`${p.component} exporter`.padEnd(12)} ${p.url}`);
        for (const s of running.skipped) printLine(`skipped ${s.component} exporter: ${s.reason}`);
        printLine(`configs, data and logs in ${running.dir}; Ctrl-C stops everything`);
      }
      deps.onReady?.(running);

      const listeners: [NodeJS.Signals, () => void][] = [];
      const reason = await new Promise<string>((resolveReason) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) {
          const listener = () => resolveReason(signal);
          listeners.push([signal, listener]);
          process.once(signal, listener);
        }
        deps.stop?.addEventListener('abort', () => resolveReason('stop'), { once: true });
        void running.exited.then((e) => resolveReason(`${e.component} exited (code ${e.code ?? e.signal})`));
      });
      for (const [signal, listener] of listeners) process.off(signal, listener);
      process.stderr.write(`cb monitor: stopping (${reason})\n`);
      await running.stop();
      if (reason.includes('exited'))
        throw new CliError(`monitor stopped: ${reason}; see the logs in ${running.dir}/logs`);
    });
}

/**
 * Alertmanager's own e-mail for the P0s that cannot page through cb: CB_SMTP_URL, CB_SMTP_FROM and
 * CB_ONCALL_EMAIL, all three (else none, and a line says what is missing).
 */
function directP0Email(config: Readonly<Config>, say: (line: string) => void): DirectP0Email | undefined {
  if (!config.smtpUrl) return undefined;
  const to = (config.oncallEmail ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!config.smtpFrom || to.length === 0) {
    say(
      `no direct P0 e-mail: CB_SMTP_URL is set but ${config.smtpFrom ? 'CB_ONCALL_EMAIL' : 'CB_SMTP_FROM'} is not`,
    );
    return undefined;
  }
  try {
    return { smtp: parseSmtpUrl(config.smtpUrl), from: config.smtpFrom, to };
  } catch (err) {
    throw new CliError(`CB_SMTP_URL ${(err as Error).message}`);
  }
}

/** CB_SLACK_WEBHOOK_URLS' `p0` webhook, else `default`, else the first (undefined without Slack). */
function directP0Slack(config: Readonly<Config>): string | undefined {
  if (!config.slackWebhookUrls) return undefined;
  const hooks = parseSlackWebhooks(config.slackWebhookUrls);
  return hooks.p0 ?? hooks.default ?? Object.values(hooks)[0];
}
