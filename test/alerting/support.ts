/**
 * Helpers of the alerting suites: where the shipped files are, whether the Prometheus tools are
 * installed (missing ⇒ skipped with a reason, or failed when CI=true), how `cb monitor up` renders
 * the config templates, and how metric names are read out of PromQL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import YAML from 'yaml';
import { freePort } from '../services.ts';

export { freePort };

export const ROOT = join(import.meta.dirname, '../..');
export const PROMETHEUS_DIR = join(ROOT, 'deploy/prometheus');
export const RULES_DIR = join(PROMETHEUS_DIR, 'rules');
export const RULE_TESTS_DIR = join(PROMETHEUS_DIR, 'tests');
export const ALERTMANAGER_DIR = join(ROOT, 'deploy/alertmanager');
export const GRAFANA_DIR = join(ROOT, 'deploy/grafana');
export const SEED = join(ROOT, '../shared/seed/000_55ef3ca61162a674.txt');

/**
 * Why the given binaries cannot be used, or undefined when all are on PATH. With CI=true a missing
 * tool is an error (the suite must not pass by skipping); elsewhere the reason is printed and the
 * suite skipped.
 */
export function toolsProblem(tools: readonly string[]): string | undefined {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return undefined;
  const problem = `${missing.join(', ')} not installed (apt-get install prometheus prometheus-alertmanager)`;
  if (process.env.CI === 'true') throw new Error(`required in CI: ${problem}`);
  process.stdout.write(`alerting tests skipped: ${problem}\n`);
  return problem;
}

export interface RunResult {
  status: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
  stdout: string;
}

/** Runs a tool to completion without blocking the event loop (so several can run at once). */
export function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output, stdout }));
  });
}

/**
 * The templating convention of the shipped Prometheus and Alertmanager configs, as `cb monitor up`
 * applies it (src/ops/monitor/render-template.ts): every `${NAME}` is replaced by its value and
 * `${NAME:-fallback}` by its value or the fallback; a placeholder with neither is an error; whole-
 * line comments are copied as they are. `*_TARGETS` values are JSON arrays of "host:port" (JSON is
 * YAML); the others are plain strings placed inside the file's double quotes.
 */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const isComment = (line: string) => /^\s*#/.test(line);

export function renderTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text
    .split('\n')
    .map((line) =>
      isComment(line)
        ? line
        : line.replace(PLACEHOLDER, (_, name: string, fallback: string | undefined) => {
            const value = values[name] ?? fallback;
            if (value === undefined) throw new Error(`no value for placeholder \${${name}}`);
            return value;
          }),
    )
    .join('\n');
}

/** `${NAME}`, as it appears in a template. */
export const placeholder = (name: string, fallback?: string): string =>
  fallback === undefined ? `\${${name}}` : `\${${name}:-${fallback}}`;

/** The placeholders a template uses (comments aside). */
export function placeholdersOf(text: string): string[] {
  const used = text
    .split('\n')
    .filter((line) => !isComment(line))
    .join('\n');
  return [...new Set([...used.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

export interface Rule {
  file: string;
  group: string;
  kind: 'alert' | 'record';
  name: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; interval?: string; rules: Record<string, unknown>[] }[];
}

export function ruleFiles(): string[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .sort();
}

export function loadRules(): Rule[] {
  const rules: Rule[] = [];
  for (const file of ruleFiles()) {
    const doc = YAML.parse(readFileSync(join(RULES_DIR, file), 'utf8')) as RuleFile;
    for (const g of doc.groups) {
      for (const r of g.rules) {
        const alert = r.alert as string | undefined;
        const rule: Rule = {
          file,
          group: g.name,
          kind: alert ? 'alert' : 'record',
          name: alert ?? (r.record as string),
          expr: String(r.expr),
          labels: (r.labels as Record<string, string> | undefined) ?? {},
          annotations: (r.annotations as Record<string, string> | undefined) ?? {},
        };
        if (typeof r.for === 'string') rule.for = r.for;
        rules.push(rule);
      }
    }
  }
  return rules;
}

const NOT_METRICS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);

/**
 * Metric and recording-rule names a PromQL expression reads: strings, label matchers, durations
 * and grouping clauses removed, then every identifier that is not a keyword and not called as a
 * function. Grafana's `$__rate_interval`-style variables sit inside brackets and go with them.
 */
export function seriesNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = m[1]!;
    if (m[2] || NOT_METRICS.has(name)) continue;
    names.add(name);
  }
  return [...names].sort();
}

/** Every `cb_*` name docs/metrics.md mentions in backticks (its tables and the process metrics). */
export function documentedMetrics(): Set<string> {
  const doc = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');
  return new Set([...doc.matchAll(/`(cb_[a-z0-9_]+)`/g)].map((m) => m[1]!));
}

/** The exporter (and Prometheus/Alertmanager) metric names the rules and dashboards may use. */
export function exporterMetrics(): Map<string, string> {
  const doc = YAML.parse(readFileSync(join(PROMETHEUS_DIR, 'exporter-metrics.yml'), 'utf8')) as Record<
    string,
    { metrics: string[] }
  >;
  const byName = new Map<string, string>();
  for (const [source, entry] of Object.entries(doc)) for (const m of entry.metrics) byName.set(m, source);
  return byName;
}

/**
 * Metrics the rules may read before docs/metrics.md lists them: a rule written against a metric
 * another issue will export. Each entry needs a comment saying which issue exports it; remove it
 * once the metric is documented. Empty: the web console's RUM metrics (cb_web_*, cb_frontend_*),
 * which rules/frontend.yml was written against first, are declared and documented now.
 */
export const FRONTEND_METRICS_NOT_YET_EXPORTED: ReadonlySet<string> = new Set<string>([]);

/** A metric name as docs/metrics.md or the allow-list spell it (histogram series → the histogram). */
function knownMetric(name: string, documented: Set<string>, exporters: Map<string, string>): boolean {
  if (exporters.has(name)) return true;
  const candidates = [name, name.replace(/_(bucket|sum|count)$/, '')];
  return candidates.some((n) => documented.has(n) || FRONTEND_METRICS_NOT_YET_EXPORTED.has(n));
}

/**
 * Problems with the series some PromQL reads: a recording rule that no rules file defines, or a
 * metric that is neither documented, nor an exporter's, nor a not-yet-exported frontend metric.
 */
export function unknownSeries(exprs: readonly { where: string; expr: string }[]): string[] {
  const recorded = new Set(
    loadRules()
      .filter((r) => r.kind === 'record')
      .map((r) => r.name),
  );
  const documented = documentedMetrics();
  const exporters = exporterMetrics();
  const unknown: string[] = [];
  for (const { where, expr } of exprs) {
    for (const name of seriesNamesIn(expr)) {
      if (name.includes(':')) {
        if (!recorded.has(name)) unknown.push(`${where}: recording rule ${name} is not defined`);
      } else if (!knownMetric(name, documented, exporters)) {
        unknown.push(`${where}: metric ${name} is neither in docs/metrics.md nor in exporter-metrics.yml`);
      }
    }
  }
  return unknown;
}

/**
 * Polls `check` every 100 ms until it returns a value (not undefined or false) or `timeoutMs`
 * passes; a check that throws (a server not answering yet) is tried again, and its last error is
 * reported.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

/** One delivery to the webhook receiver: Alertmanager's payload and the Authorization header. */
export interface Delivery {
  authorization: string | undefined;
  body: {
    version: string;
    groupKey: string;
    status: 'firing' | 'resolved';
    receiver: string;
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  };
}

export interface WebhookReceiver {
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
}

/** A stand-in for cb's incident webhook: records every POST (Alertmanager's payload, version 4). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const server = createHttpServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => {
      raw += d.toString();
    });
    req.on('end', () => {
      deliveries.push({
        authorization: req.headers.authorization,
        body: JSON.parse(raw) as Delivery['body'],
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  // Alertmanager keeps connections alive; a short server timeout makes its next delivery fail (EOF).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('webhook receiver has no port');
  return {
    url: `http://127.0.0.1:${address.port}/v1/alerts/webhook`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Daemon {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts a long-running binary and waits until `readyPath` on `port` answers 200. */
export async function startDaemon(
  cmd: string,
  args: readonly string[],
  port: number,
  readyPath: string,
): Promise<Daemon> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  try {
    await waitFor(`${cmd} ready`, 20_000, async () => {
      if (child.exitCode !== null) throw new Error(`${cmd} exited: ${output}`);
      const res = await fetch(`${url}${readyPath}`);
      return res.ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${output}`);
  }
  return { url, output: () => output, stop };
}

/** Starts Alertmanager on a rendered config with its own storage and no cluster gossip. */
export async function startAlertmanager(configFile: string, storageDir: string): Promise<Daemon> {
  const port = await freePort();
  return startDaemon(
    'prometheus-alertmanager',
    [
      `--config.file=${configFile}`,
      `--storage.path=${storageDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    port,
    '/-/ready',
  );
}

/** Values for every placeholder of the shipped templates, for a local run. */
export function localTemplateValues(
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    CB_PROMETHEUS_DIR: PROMETHEUS_DIR,
    CB_TARGETS: JSON.stringify(['127.0.0.1:3000']),
    CB_NODE_EXPORTER_TARGETS: JSON.stringify(['127.0.0.1:9100']),
    CB_POSTGRES_EXPORTER_TARGETS: JSON.stringify(['127.0.0.1:9187']),
    CB_REDIS_EXPORTER_TARGETS: JSON.stringify([]),
    CB_ALERTMANAGER_TARGETS: JSON.stringify(['127.0.0.1:9093']),
    CB_ALERT_WEBHOOK_URL: 'http://127.0.0.1:3000/v1/alerts/webhook',
    CB_ALERT_WEBHOOK_TOKEN_FILE: '/run/cb/alert-webhook.token',
    ...overrides,
  };
}
