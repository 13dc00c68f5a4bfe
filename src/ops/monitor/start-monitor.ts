/**
 * `startMonitor`: Prometheus and Alertmanager — plus the node, PostgreSQL and Redis exporters when
 * installed and relevant — started from the system's binaries with the shipped configs (deploy/)
 * rendered against one cb instance, in a directory of their own (configs, data, logs, the webhook
 * token file), each listening on 127.0.0.1 only. Resolves once every process answers its readiness
 * URL; `stop()` ends them (SIGTERM, then SIGKILL after `stopTimeoutMs`).
 *
 * Values of the templates' placeholders (see deploy/prometheus/prometheus.yml):
 * `CB_PROMETHEUS_DIR`, `CB_TARGETS` and the exporters' `*_TARGETS` (JSON arrays of host:port),
 * `CB_ALERTMANAGER_TARGETS`, `CB_ALERT_WEBHOOK_URL`, `CB_ALERT_WEBHOOK_TOKEN_FILE`; also `CB_TARGET`
 * (the URL), `CB_MONITOR_DIR`, `CB_PROMETHEUS_URL`, `CB_ALERTMANAGER_URL`, and anything in `values`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { SmtpSettings } from '../notify/smtp-client.ts';
import { findBinary, MONITOR_BINARIES, type MonitorComponent } from './binaries.ts';
import { MonitorBinaryMissingError, MonitorConfigError, MonitorStartError } from './errors.ts';
import { renderTemplate } from './render-template.ts';

/** The repository's deploy/ directory (the shipped configs). */
/** Where Alertmanager e-mails the P0s that cannot page through cb. */
export interface DirectP0Email {
  smtp: SmtpSettings;
  from: string;
  to: readonly string[];
}

/**
 * The direct P0 receiver's `email_configs` (one line of YAML flow: JSON), or why there are none.
 * Alertmanager speaks implicit TLS on port 465 only, and STARTTLS with `require_tls`, which fails
 * when the server does not offer it: `smtp://` asks for it unless `starttls=never`, or unless it is
 * `auto` with no credentials to protect; `smtps://` must be on 465.
 */
export function directP0EmailConfigs(
  email: DirectP0Email,
  passwordFile: string | undefined,
): { configs: string } | { skipped: string } {
  const port = email.smtp.port ?? (email.smtp.secure ? 465 : 587);
  if (email.smtp.secure && port !== 465)
    return {
      skipped: `CB_SMTP_URL is smtps:// on port ${port}: Alertmanager speaks implicit TLS on 465 only, so the direct P0 e-mail is off (use smtp:// with STARTTLS, or port 465)`,
    };
  const credentials = email.smtp.username !== undefined;
  const requireTls =
    !email.smtp.secure &&
    (email.smtp.startTls === 'required' || ((email.smtp.startTls ?? 'auto') === 'auto' && credentials));
  const host = email.smtp.host.includes(':') ? `[${email.smtp.host}]` : email.smtp.host;
  return {
    configs: JSON.stringify([
      {
        to: email.to.join(', '),
        from: email.from,
        smarthost: `${host}:${port}`,
        ...(credentials
          ? {
              auth_username: email.smtp.username,
              ...(passwordFile ? { auth_password_file: passwordFile } : {}),
            }
          : {}),
        require_tls: requireTls,
        send_resolved: true,
        headers: { Subject: '[{{ .Status | toUpper }}] P0 {{ .CommonLabels.alertname }}' },
        text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}Sent by Alertmanager directly: cb cannot open an incident or page while this lasts. Runbook: docs/runbooks/{{ .CommonLabels.alertname }}.md',
      },
    ]),
  };
}

export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy', import.meta.url));

export interface MonitorPorts {
  prometheus: number;
  alertmanager: number;
  node: number;
  postgres: number;
  redis: number;
}

export const DEFAULT_PORTS: Readonly<MonitorPorts> = Object.freeze({
  prometheus: 9090,
  alertmanager: 9093,
  node: 9100,
  postgres: 9187,
  redis: 9121,
});

export interface StartMonitorOptions {
  /** Base URL of the cb instance to scrape and to post alerts to. */
  target: string;
  /** Directory for configs, data and logs (created). */
  dir: string;
  /** Bearer token Alertmanager sends to the webhook (written to a 0600 file in `dir`). */
  webhookToken: string;
  /** @defaultValue `DEPLOY_DIR` */
  deployDir?: string;
  /** Use the fast test configs (`*.test.yml`: 2 s scrapes, 1 s evaluations and group waits). @defaultValue `false` */
  fast?: boolean;
  ports?: Partial<MonitorPorts>;
  /** Run the exporters that are installed. @defaultValue `true` */
  exporters?: boolean;
  /** PostgreSQL URL for the postgres exporter (not started without one: the embedded database has no server). */
  databaseUrl?: string | undefined;
  /** Redis URL for the redis exporter (not started without one). */
  redisUrl?: string | undefined;
  /** More placeholder values. */
  values?: Readonly<Record<string, string>>;
  /**
   * A Slack incoming webhook for the P0s that cannot page through cb (DatabaseDown, ApiDown):
   * Alertmanager posts them there itself. Kept in a 0600 file of `dir`, never in the config.
   */
  directP0SlackWebhook?: string | undefined;
  /**
   * E-mail for the same P0s, sent by Alertmanager itself through this SMTP server (the password
   * kept in a 0600 file of `dir`, never in the config).
   */
  directP0Email?: DirectP0Email | undefined;
  /**
   * An external dead man's switch's ping URL (CB_EXTERNAL_HEARTBEAT_URL): Alertmanager POSTs the
   * AlertingHeartbeat there every minute. Alertmanager 0.25 has no `url_file` for webhooks, so the
   * URL is in the rendered config, which is then the owner's alone (0600).
   */
  externalHeartbeatUrl?: string | undefined;
  /** PATH to look for binaries on. */
  path: string | undefined;
  /** Time each process has to become ready, ms. @defaultValue `30000` */
  readyTimeoutMs?: number;
  /** Time `stop()` gives a process after SIGTERM, ms. @defaultValue `10000` */
  stopTimeoutMs?: number;
  /** Progress lines (a CLI prints them). */
  onProgress?: (line: string) => void;
}

export interface MonitorProcess {
  component: MonitorComponent;
  binary: string;
  pid: number;
  /** Where it listens, `http://127.0.0.1:<port>`. */
  url: string;
  log: string;
}

export interface RunningMonitor {
  dir: string;
  processes: MonitorProcess[];
  /** Components installed but not started, and why. */
  skipped: { component: MonitorComponent; reason: string }[];
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Resolves when any process exits on its own (not through `stop()`). */
  readonly exited: Promise<{ component: MonitorComponent; code: number | null; signal: string | null }>;
  /** Stops every process; idempotent. */
  stop(): Promise<void>;
}

interface Child {
  component: MonitorComponent;
  proc: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null }>;
  log: string;
}

function hostPort(target: string): string {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new MonitorConfigError(`--target "${target}" is not a URL like http://127.0.0.1:3000`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new MonitorConfigError(`--target must be http(s), got ${u.protocol}`);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

function tail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}

export async function startMonitor(options: StartMonitorOptions): Promise<RunningMonitor> {
  const progress = options.onProgress ?? (() => {});
  const deployDir = resolve(options.deployDir ?? DEPLOY_DIR);
  const dir = resolve(options.dir);
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const target = options.target.replace(/\/+$/, '');
  const targetHost = hostPort(target);

  // Binaries: the required ones or a clear error; optional ones when installed and relevant.
  const found = new Map<MonitorComponent, string>();
  const missing: { binary: string; debianPackage: string }[] = [];
  const skipped: RunningMonitor['skipped'] = [];
  for (const b of MONITOR_BINARIES) {
    const path = findBinary(b.binary, options.path);
    if (path) found.set(b.component, path);
    else if (b.required) missing.push({ binary: b.binary, debianPackage: b.debianPackage });
    else
      skipped.push({ component: b.component, reason: `not installed (apt-get install ${b.debianPackage})` });
  }
  if (missing.length > 0) throw new MonitorBinaryMissingError(missing);
  const wanted = (c: 'node' | 'postgres' | 'redis', needs?: string | undefined, why?: string): boolean => {
    if (!found.has(c)) return false;
    if (options.exporters === false) {
      skipped.push({ component: c, reason: 'exporters turned off' });
      return false;
    }
    if (needs === undefined && why) {
      skipped.push({ component: c, reason: why });
      return false;
    }
    return true;
  };
  const runNode = wanted('node');
  const runPostgres = wanted(
    'postgres',
    options.databaseUrl,
    'no DATABASE_URL (the embedded database has no server)',
  );
  const runRedis = wanted('redis', options.redisUrl, 'no REDIS_URL');

  // Templates.
  const suffix = options.fast ? '.test.yml' : '.yml';
  const templates = {
    prometheus: join(deployDir, 'prometheus', `prometheus${suffix}`),
    alertmanager: join(deployDir, 'alertmanager', `alertmanager${suffix}`),
  };
  for (const file of Object.values(templates))
    if (!existsSync(file)) throw new MonitorConfigError(`the shipped config ${file} is missing`, { file });

  mkdirSync(join(dir, 'prometheus-data'), { recursive: true });
  mkdirSync(join(dir, 'alertmanager-data'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const tokenFile = join(dir, 'alert-webhook-token');
  writeFileSync(tokenFile, `${options.webhookToken}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);

  let directP0SlackConfigs = '[]';
  if (options.directP0SlackWebhook) {
    const urlFile = join(dir, 'slack-p0-webhook');
    writeFileSync(urlFile, `${options.directP0SlackWebhook}\n`, { mode: 0o600 });
    chmodSync(urlFile, 0o600);
    // One line of YAML flow (JSON): the template keeps `slack_configs: ${…}` on one line.
    directP0SlackConfigs = JSON.stringify([
      {
        api_url_file: urlFile,
        send_resolved: true,
        title: '[{{ .Status | toUpper }}] P0 {{ .CommonLabels.alertname }}',
        text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}Sent by Alertmanager directly: cb cannot open an incident or page while this lasts. Runbook: docs/runbooks/{{ .CommonLabels.alertname }}.md',
      },
    ]);
  }

  let directP0EmailConfigsValue = '[]';
  if (options.directP0Email) {
    let passwordFile: string | undefined;
    if (options.directP0Email.smtp.password) {
      passwordFile = join(dir, 'smtp-p0-password');
      writeFileSync(passwordFile, options.directP0Email.smtp.password, { mode: 0o600 });
      chmodSync(passwordFile, 0o600);
    }
    const email = directP0EmailConfigs(options.directP0Email, passwordFile);
    if ('skipped' in email) options.onProgress?.(email.skipped);
    else directP0EmailConfigsValue = email.configs;
  }

  // One POST a beat: the first alert only, no resolved message (the heartbeat never resolves while
  // the pipeline lives; a "resolved" would read as a ping too).
  const externalHeartbeatConfigs = options.externalHeartbeatUrl
    ? JSON.stringify([{ url: options.externalHeartbeatUrl, send_resolved: false, max_alerts: 1 }])
    : '[]';

  const local = (port: number) => `127.0.0.1:${port}`;
  const targets = (on: boolean, port: number) => JSON.stringify(on ? [local(port)] : []);
  const values: Record<string, string> = {
    CB_PROMETHEUS_DIR: join(deployDir, 'prometheus'),
    CB_ALERTMANAGER_DIR: join(deployDir, 'alertmanager'),
    CB_DEPLOY_DIR: deployDir,
    CB_MONITOR_DIR: dir,
    CB_TARGET: target,
    CB_TARGET_HOST: targetHost,
    CB_TARGETS: JSON.stringify([targetHost]),
    CB_NODE_EXPORTER_TARGETS: targets(runNode, ports.node),
    CB_POSTGRES_EXPORTER_TARGETS: targets(runPostgres, ports.postgres),
    CB_REDIS_EXPORTER_TARGETS: targets(runRedis, ports.redis),
    CB_ALERTMANAGER_TARGETS: JSON.stringify([local(ports.alertmanager)]),
    CB_ALERTMANAGER_URL: `http://${local(ports.alertmanager)}`,
    CB_PROMETHEUS_URL: `http://${local(ports.prometheus)}`,
    CB_ALERT_WEBHOOK_URL: `${target}/v1/alerts/webhook`,
    CB_WEBHOOK_URL: `${target}/v1/alerts/webhook`,
    CB_ALERT_WEBHOOK_TOKEN_FILE: tokenFile,
    CB_DIRECT_P0_SLACK_CONFIGS: directP0SlackConfigs,
    CB_DIRECT_P0_EMAIL_CONFIGS: directP0EmailConfigsValue,
    CB_EXTERNAL_HEARTBEAT_CONFIGS: externalHeartbeatConfigs,
    ...options.values,
  };
  const rendered: Record<'prometheus' | 'alertmanager', string> = { prometheus: '', alertmanager: '' };
  for (const [name, file] of Object.entries(templates) as ['prometheus' | 'alertmanager', string][]) {
    const { text, missing: unknown } = renderTemplate(readFileSync(file, 'utf8'), values);
    if (unknown.length > 0)
      throw new MonitorConfigError(
        `${file} uses placeholders without a value: ${unknown.map((u) => `\${${u}}`).join(', ')} (give them with --set NAME=VALUE)`,
        { file, missing: unknown },
      );
    rendered[name] = join(dir, `${name}.yml`);
    // The owner's alone: the Alertmanager config may hold the external heartbeat's ping URL.
    writeFileSync(rendered[name], text, { mode: 0o600 });
    chmodSync(rendered[name], 0o600);
  }

  // Processes.
  const children: Child[] = [];
  const stopping = { value: false };
  let onExit: (e: { component: MonitorComponent; code: number | null; signal: string | null }) => void =
    () => {};
  const exited = new Promise<{ component: MonitorComponent; code: number | null; signal: string | null }>(
    (r) => {
      onExit = r;
    },
  );
  const launch = (component: MonitorComponent, args: string[], env: Record<string, string> = {}) => {
    const binary = found.get(component)!;
    const log = join(dir, 'logs', `${component}.log`);
    const out = createWriteStream(log, { flags: 'a' });
    const proc = spawn(binary, args, {
      cwd: dir,
      env: { PATH: options.path ?? '', HOME: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.pipe(out, { end: false });
    proc.stderr?.pipe(out, { end: false });
    const done = new Promise<{ code: number | null; signal: string | null }>((resolveDone) => {
      proc.once('error', (err) => {
        out.write(`spawn failed: ${err.message}\n`);
        resolveDone({ code: -1, signal: null });
      });
      // 'close', not 'exit': output can still arrive between the two, and the log must not be
      // ended under it (a write after end is an uncaught exception that took `cb monitor up` down).
      proc.once('close', (code, signal) => resolveDone({ code, signal }));
    }).then((r) => {
      proc.stdout?.unpipe(out);
      proc.stderr?.unpipe(out);
      out.end();
      if (!stopping.value) onExit({ component, ...r });
      return r;
    });
    children.push({ component, proc, done, log });
    progress(`started ${component} (pid ${proc.pid ?? '?'}), log ${log}`);
  };

  const stop = async () => {
    if (stopping.value) {
      await Promise.all(children.map((c) => c.done));
      return;
    }
    stopping.value = true;
    const timeout = options.stopTimeoutMs ?? 10_000;
    await Promise.all(
      [...children].reverse().map(async (c) => {
        if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
        c.proc.kill('SIGTERM');
        const finished = await Promise.race([c.done.then(() => true), sleep(timeout).then(() => false)]);
        if (!finished) {
          c.proc.kill('SIGKILL');
          await c.done;
        }
      }),
    );
    progress('stopped');
  };

  try {
    if (runNode) launch('node', [`--web.listen-address=${local(ports.node)}`, '--no-collector.systemd']);
    if (runPostgres)
      // The URL (with its password) goes by environment, never on a command line others can read.
      launch('postgres', [`--web.listen-address=${local(ports.postgres)}`], {
        DATA_SOURCE_NAME: options.databaseUrl!,
      });
    if (runRedis)
      // -include-system-metrics: redis_total_system_memory_bytes, RedisMemoryHigh's limit when
      // maxmemory is 0 (Redis's default).
      launch('redis', [`-web.listen-address=${local(ports.redis)}`, '-include-system-metrics'], {
        REDIS_ADDR: options.redisUrl!,
      });
    launch('alertmanager', [
      `--config.file=${rendered.alertmanager}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=${local(ports.alertmanager)}`,
      '--cluster.listen-address=',
    ]);
    launch('prometheus', [
      `--config.file=${rendered.prometheus}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=${local(ports.prometheus)}`,
    ]);

    const readyUrl = (c: MonitorComponent) =>
      c === 'prometheus' || c === 'alertmanager'
        ? `http://${local(ports[c])}/-/ready`
        : `http://${local(ports[c])}/metrics`;
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (const c of children) {
      for (;;) {
        if (c.proc.exitCode !== null || c.proc.signalCode !== null)
          throw new MonitorStartError(
            `${c.component} exited while starting (code ${c.proc.exitCode ?? c.proc.signalCode}); its log ends:\n${tail(c.log)}`,
            { component: c.component, log: c.log },
          );
        if (await answers(readyUrl(c.component))) break;
        if (Date.now() > deadline)
          throw new MonitorStartError(
            `${c.component} is not ready at ${readyUrl(c.component)}; its log ends:\n${tail(c.log)}`,
            {
              component: c.component,
              log: c.log,
            },
          );
        await sleep(200);
      }
      progress(`${c.component} is ready at http://${local(ports[c.component])}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dir,
    processes: children.map((c) => ({
      component: c.component,
      binary: found.get(c.component)!,
      pid: c.proc.pid ?? -1,
      url: `http://${local(ports[c.component])}`,
      log: c.log,
    })),
    skipped,
    prometheusUrl: `http://${local(ports.prometheus)}`,
    alertmanagerUrl: `http://${local(ports.alertmanager)}`,
    exited,
    stop,
  };
}
