/**
 * `npm run bench:alerts` — the alert path end to end: Alertmanager-style webhook calls over HTTP →
 * incidents (one transaction per call) → notification jobs → local SMTP, Slack and SMS sinks; on
 * PGlite and on PostgreSQL.
 *
 * For each driver, on a fresh database, with jobs running in the same process:
 *   1. burst: N alerts in groups of G (one webhook call per group, each group a new P1 incident:
 *      SMS + email + Slack), C calls in flight → webhook alerts/s and end-to-end alerts/s (first
 *      call → last notification received by the sinks);
 *   2. resolve: the same groups resolved → recovery notices (SMS + email + Slack) → end-to-end;
 *   3. sustained: R alerts/s for S seconds (new groups) → p50/p99 from the webhook call to the
 *      notifications of its incident reaching the sinks.
 * Then it counts what arrived: incidents, alerts and timeline rows in the database, messages per
 * sink. Loss is what was expected and never arrived (must be 0).
 *
 * Usage: npm run bench:alerts -- [--alerts 5000] [--group 5] [--concurrency 8] [--rate 200]
 *                                [--seconds 15] [--driver both|pg|pglite]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp, listen } from '../src/api/index.ts';
import { createIncidents } from '../src/ops/index.ts';
import { type HttpSink, type SmtpSink, startHttpSink, startSmtpSink } from '../src/ops/notify/test-sinks.ts';
import { createApiKeys } from '../src/platform/apikeys/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { createDb } from '../src/platform/db/create-db.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createJobs } from '../src/platform/jobs/index.ts';
import { createSilentLogger } from '../src/platform/logger.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { createShutdown } from '../src/platform/shutdown.ts';
import { createTestDatabase } from '../test/services.ts';
import { choice, requirePostgres, wholeNumbers } from './support.ts';

const { values: args } = parseArgs({
  options: {
    alerts: { type: 'string', default: '5000' },
    group: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '15' },
    driver: { type: 'string', default: 'both' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench:alerts -- [--alerts N] [--group N] [--concurrency N] [--rate N] [--seconds N] [--driver both|pg|pglite]',
  );
  process.exit(0);
}
const {
  alerts: N,
  group: G,
  concurrency: C,
  rate: RATE,
  seconds: SECONDS,
} = wholeNumbers('bench:alerts', {
  alerts: args.alerts,
  group: args.group,
  concurrency: args.concurrency,
  rate: args.rate,
  seconds: args.seconds,
});
const drivers = choice('bench:alerts', 'driver', args.driver, ['pglite', 'pg'] as const);

const TOKEN = 'bench-webhook-token';
const CHANNELS_PER_INCIDENT = 3; // P1: SMS, email, Slack
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

function payload(group: string, status: 'firing' | 'resolved', size: number, startsAt: string) {
  const alerts = Array.from({ length: size }, (_, k) => ({
    status,
    labels: {
      alertname: `BenchAlert${k}`,
      severity: 'P1',
      dependency: 'bench',
      correlation: group,
      instance: `i${k}`,
    },
    annotations: { summary: `bench alert ${k} of ${group}`, runbook_url: 'docs/runbooks/Bench.md' },
    startsAt,
    endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph',
    fingerprint: `${group}-${k}`,
  }));
  return {
    version: '4',
    groupKey: `{}:{correlation="${group}"}`,
    status,
    receiver: 'cb-incidents',
    groupLabels: { correlation: group },
    commonLabels: { severity: 'P1', dependency: 'bench', correlation: group },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts,
  };
}

interface Sinks {
  smtp: SmtpSink;
  http: HttpSink;
}

/** Messages received per channel; `ids` of incidents seen in them with the first arrival time. */
function received(s: Sinks) {
  const slack = s.http.requests.filter((r) => r.url.startsWith('/slack/')).length;
  const sms = s.http.requests.filter((r) => r.url.endsWith('/Messages.json')).length;
  return { email: s.smtp.messages.length, slack, sms, total: s.smtp.messages.length + slack + sms };
}

interface DriverResult {
  driver: string;
  webhookAlertsPerSec: number;
  e2eAlertsPerSec: number;
  resolveE2eSeconds: number;
  sustainedRate: number;
  p50Ms: number;
  p99Ms: number;
  expected: number;
  arrived: number;
  loss: number;
  dbAlerts: number;
  dbIncidents: number;
}

async function benchDriver(driver: 'pg' | 'pglite'): Promise<DriverResult> {
  const logger = createSilentLogger();
  const metrics = createMetrics();
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-bench-alerts-'));
  let databaseUrl: string | undefined;
  let dropPg: (() => Promise<void>) | undefined;
  if (driver === 'pg') {
    // A fresh database of its own, dropped at the end (the test suites' helper).
    const created = await createTestDatabase();
    databaseUrl = created.url;
    dropPg = created.drop;
  }
  const db = await createDb({ databaseUrl, dataDir, poolMax: 16, slowQueryMs: 60_000, logger, metrics });
  const sinks: Sinks = { smtp: await startSmtpSink(), http: await startHttpSink() };
  try {
    await migrate(db, logger);
    const config = loadConfig(
      {},
      { logLevel: 'fatal', rateLimitMax: 10_000_000, bodyLimitBytes: 8 * 1024 * 1024, port: 0 },
    );
    const common = { config, logger, metrics, shutdown: createShutdown({ graceMs: 2000, logger }) };
    const jobs = createJobs({ common, db, options: { pollIntervalMs: 500, registerShutdown: false } });
    const incidents = createIncidents({
      common,
      db,
      jobs,
      options: {
        webhookToken: TOKEN,
        email: { host: '127.0.0.1', port: sinks.smtp.port, from: 'bench <bench@cb.test>', startTls: 'never' },
        slack: { webhooks: { ops: `${sinks.http.url}/slack/T0/B0/x` } },
        twilio: {
          baseUrl: sinks.http.url,
          accountSid: 'ACbench',
          authToken: 'bench-token',
          from: '+15550000000',
        },
        escalation: [
          { name: 'primary', email: ['oncall@cb.test'], sms: ['+15550000001'], phone: ['+15550000001'] },
        ],
        delivery: { retryDelaySeconds: 1 },
      },
    });
    incidents.registerJobs();
    await jobs.start();
    const apiKeys = createApiKeys({ db, logger });
    const app = await buildApp({ ...common, db, apiKeys, readiness: [] }, { routes: [incidents.routes] });
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const post = async (body: unknown) => {
      const r = await fetch(`${url}/v1/alerts/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
      if (r.status !== 200) throw new Error(`webhook: ${r.status} ${await r.text()}`);
      return (await r.json()) as { incidentId: string; outcome: string };
    };
    const waitArrived = async (total: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (received(sinks).total < total && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    };

    // 1. Burst.
    const groups = Math.ceil(N / G);
    const startsAt = new Date().toISOString();
    const sizeOf = (g: number) => Math.min(G, N - g * G);
    const t0 = performance.now();
    let next = 0;
    const sender = async (status: 'firing' | 'resolved', expect: string) => {
      while (next < groups) {
        const g = next++;
        const r = await post(payload(`burst-${g}`, status, sizeOf(g), startsAt));
        if (r.outcome !== expect) throw new Error(`group ${g}: ${r.outcome}, expected ${expect}`);
      }
    };
    await Promise.all(Array.from({ length: C }, () => sender('firing', 'created')));
    const webhookSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(
      `  ${driver}: ${N} alerts in ${groups} webhook calls in ${webhookSeconds.toFixed(1)} s; delivering…\n`,
    );
    let expected = groups * CHANNELS_PER_INCIDENT;
    await waitArrived(expected, 120_000);
    const e2eSeconds = (performance.now() - t0) / 1000;
    const dbTime = (await metrics.dbQueryDuration.get()).values;
    const per = (op: string, suffix: string) =>
      dbTime.find((v) => v.labels.operation === op && v.metricName?.endsWith(suffix))?.value ?? 0;
    process.stderr.write(
      `  ${driver}: burst database time ${['select', 'insert', 'update', 'delete', 'other']
        .map((op) => `${op} ${per(op, '_count')}× ${(per(op, '_sum') * 1000).toFixed(0)} ms`)
        .join(', ')} over ${e2eSeconds.toFixed(1)} s\n`,
    );

    // 2. Resolve every group: recovery notices.
    const t1 = performance.now();
    next = 0;
    await Promise.all(Array.from({ length: C }, () => sender('resolved', 'resolved')));
    expected += groups * CHANNELS_PER_INCIDENT;
    await waitArrived(expected, 120_000);
    const resolveSeconds = (performance.now() - t1) / 1000;

    // 3. Sustained rate: latency from the call to its notifications at the sinks.
    process.stderr.write(`  ${driver}: sustained ${RATE} alerts/s for ${SECONDS} s…\n`);
    const callsPerSecond = RATE / G;
    const totalCalls = Math.round(callsPerSecond * SECONDS);
    const postedAt = new Map<string, number>();
    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let k = 0; k < totalCalls; k++) {
      const due = started + (k * 1000) / callsPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight.size >= 32) await Promise.race(inFlight);
      const at = Date.now();
      const p: Promise<void> = post(payload(`steady-${k}`, 'firing', G, new Date().toISOString()))
        .then((r) => {
          postedAt.set(r.incidentId, at);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const sustainedRate = (totalCalls * G) / ((performance.now() - started) / 1000);
    expected += totalCalls * CHANNELS_PER_INCIDENT;
    await waitArrived(expected, 120_000);
    // Latency: the last of an incident's three notifications to arrive, after the call.
    const lastArrival = new Map<string, number>();
    const note = (id: string | undefined, at: number) => {
      if (id && postedAt.has(id)) lastArrival.set(id, Math.max(lastArrival.get(id) ?? 0, at));
    };
    for (const m of sinks.smtp.messages) note(m.headers['x-cb-incident'], m.at);
    for (const r of sinks.http.requests) {
      const text = r.form?.Body ?? String((r.json as { text?: string } | undefined)?.text ?? '');
      note(/#(\d+):/.exec(text)?.[1], r.at);
    }
    const latencies = [...lastArrival].map(([id, at]) => at - postedAt.get(id)!).sort((a, b) => a - b);

    const count = async (sql: string) => Number((await db.query<{ n: number }>(sql)).rows[0]!.n);
    const dbAlerts = await count('select count(*)::int as n from ops_incident_alerts');
    const dbIncidents = await count('select count(*)::int as n from ops_incidents');
    const arrived = received(sinks).total;
    await app.close();
    await jobs.stop();
    return {
      driver,
      webhookAlertsPerSec: N / webhookSeconds,
      e2eAlertsPerSec: N / e2eSeconds,
      resolveE2eSeconds: resolveSeconds,
      sustainedRate,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      expected,
      arrived,
      loss:
        Math.max(0, expected - arrived) +
        Math.max(0, groups + totalCalls - dbIncidents) +
        Math.max(0, N + totalCalls * G - dbAlerts),
      dbAlerts,
      dbIncidents,
    };
  } finally {
    await sinks.smtp.close();
    await sinks.http.close();
    await db.close();
    await dropPg?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await requirePostgres('bench:alerts', drivers);
console.log(
  `bench:alerts — ${N} alerts in groups of ${G} (${C} calls in flight), then ${RATE} alerts/s for ${SECONDS} s; ` +
    `node ${process.version}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB`,
);
const results: DriverResult[] = [];
for (const d of drivers) results.push(await benchDriver(d));
const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
console.log('');
console.log(
  'driver   webhook alerts/s  e2e alerts/s  resolve e2e s  sustained alerts/s  p50 ms  p99 ms  notifications  incidents  alerts  loss',
);
for (const r of results) {
  console.log(
    `${r.driver.padEnd(8)} ${f(r.webhookAlertsPerSec).padStart(16)}  ${f(r.e2eAlertsPerSec).padStart(12)}  ${f(r.resolveE2eSeconds, 1).padStart(13)}  ${f(r.sustainedRate).padStart(18)}  ${f(r.p50Ms).padStart(6)}  ${f(r.p99Ms).padStart(6)}  ${`${r.arrived}/${r.expected}`.padStart(13)}  ${String(r.dbIncidents).padStart(9)}  ${String(r.dbAlerts).padStart(6)}  ${r.loss}`,
  );
}
const lost = results.some((r) => r.loss > 0);
const slow = results.some((r) => r.e2eAlertsPerSec < 200 || r.sustainedRate < 0.95 * RATE);
if (lost) console.log('\nFAIL: alerts or notifications were lost');
if (slow) console.log('\nFAIL: below 200 alerts/s end to end, or the sustained rate was not held');
process.exit(lost || slow ? 1 : 0);
