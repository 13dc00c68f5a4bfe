/**
 * Alerting end to end, every piece real (issue 6, "End-to-end test"): a running cb instance
 * (`createPlatform` + `startRole(…, 'all')`, as `cb start` builds it) using a private Redis server,
 * with its incidents module notifying a local Slack incoming-webhook sink, a local SMTP server and a
 * Twilio-style SMS/voice sink; Prometheus and Alertmanager started by `startMonitor` (what
 * `cb monitor up --fast` runs) on the shipped fast configs and the shipped rules.
 *
 * The breakage is real: the Redis server the instance uses is killed (SIGKILL, a crash). The
 * instance's sampler sees it (`cb_redis_up` 0), the shipped rule RedisDown (P1, `for: 1m`) fires,
 * Alertmanager routes it to `POST /v1/alerts/webhook`, one incident opens, and Slack and SMTP get
 * the notification. Restarting Redis resolves it and sends the recovery notification.
 *
 * Inhibition and grouping need alerts the shipped rules cannot produce from one real breakage in a
 * test's time (every shipped P0 that could share a dependency with a P2 holds for 1-2 minutes, the
 * P2s for 5-10). So four test-only rules, written into the rendered deploy directory next to the
 * shipped ones, read the same real metric (`max(cb_redis_up) == 0`, no `for`): a P0 and a P2 of one
 * dependency (only the P0 may be notified), and two P2s of one dependency (one notification). They
 * also time the path without a rule's `for`: metric breach → first notification.
 *
 * Figures (breach → first notification, recovery) are printed and written to
 * `.tmp/alert-latency.json` (one entry per run appended): see docs/alerts.md.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { createPlatform, type Platform, type RunningPlatform, startRole } from '../../src/main.ts';
import type { IncidentDetail } from '../../src/ops/incidents/read-incidents.ts';
import { testEscalation } from '../../src/ops/incidents/test-harness.ts';
import { DEPLOY_DIR, type RunningMonitor, startMonitor } from '../../src/ops/monitor/start-monitor.ts';
import {
  type HttpSink,
  type ReceivedMail,
  type ReceivedRequest,
  type SmtpSink,
  startHttpSink,
  startSmtpSink,
} from '../../src/ops/notify/test-sinks.ts';
import {
  createPrivateRedis,
  type PrivateRedis,
  redisServerMissing,
} from '../../src/platform/cache/test-redis-server.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { freePort, ROOT, toolsProblem, waitFor } from './support.ts';

const problem = toolsProblem(['prometheus', 'prometheus-alertmanager']) ?? redisServerMissing();

const WEBHOOK_TOKEN = 'e2e-alertmanager-token-5f1c';
const SMTP_PASSWORD = 'e2e-smtp-password';
const SLACK_PATH = '/services/TE2E/BE2E/e2eSlackSecret';
/**
 * Short test timer: a P1 not acknowledged within 15 s escalates (the seed's is 30 min / 2 h). Not
 * shorter: the escalation test acknowledges after the first escalation and must do so before the
 * second, 2 × this after the trigger, while the Redis test before it is still reading notifications.
 */
const P1_TARGET_MINUTES = 0.25;
/** The shipped rule the breakage fires, and its hold. */
const REDIS_DOWN_FOR_MS = 60_000;

/** Test-only rules (not shipped): the real metric of the breakage, no `for`. */
const E2E_RULES = {
  groups: [
    {
      name: 'e2e.alerts',
      rules: [
        ['E2eRedisOutage', 'P0', 'e2e-redis', 'e2e-inhibition'],
        ['E2eRedisDegraded', 'P2', 'e2e-redis', 'e2e-inhibition'],
        ['E2eCacheMisses', 'P2', 'e2e-cache', 'e2e-grouping'],
        ['E2eCacheFallback', 'P2', 'e2e-cache', 'e2e-grouping'],
      ].map(([alert, severity, dependency, correlation]) => ({
        alert,
        expr: 'max(cb_redis_up) == 0',
        labels: { severity, dependency, correlation },
        annotations: {
          summary: `${alert}: Redis unreachable (test rule)`,
          description: 'cb_redis_up is {{ $value }} (test-only rule of test/alerting/end-to-end.test.ts).',
          runbook_url: 'docs/runbooks/RedisDown.md',
        },
      })),
    },
  ],
};

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}
interface AmAlert {
  labels: Record<string, string>;
  fingerprint: string;
  startsAt: string;
  updatedAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

/** One notification as a sink received it: the channel, its text, when, what it announces. */
interface Received {
  channel: 'slack' | 'email' | 'sms' | 'phone';
  text: string;
  to: string[];
  at: number;
  incidentId: string | undefined;
  kind: string | undefined;
}

const SPOKEN_KIND: Record<string, string> = {
  'has been triggered': 'TRIGGERED',
  'was not acknowledged and has been escalated': 'ESCALATED',
  'has been raised in severity': 'SEVERITY RAISED',
  'has an update': 'UPDATE',
  'has been resolved': 'RESOLVED',
};

/**
 * The incident and kind a message announces: the headline `[P1] TRIGGERED #12: …` (email, SMS,
 * Slack; `ESCALATED to secondary #12`), or the spoken `… incident 12 has been triggered: …` (voice).
 */
function announces(text: string): Pick<Received, 'incidentId' | 'kind'> {
  const headline = /\[P[0-3]\] ([A-Z ]+?)(?: to [a-z]+)? #(\d+):/.exec(text);
  if (headline) return { incidentId: headline[2], kind: headline[1] };
  const spoken =
    /incident (\d+) (has been triggered|was not acknowledged and has been escalated|has been raised in severity|has an update|has been resolved)/.exec(
      text,
    );
  if (spoken) return { incidentId: spoken[1], kind: SPOKEN_KIND[spoken[2]!] };
  return { incidentId: undefined, kind: undefined };
}

describe.skipIf(problem !== undefined)(
  'alerting end to end (real Redis outage, Prometheus, Alertmanager)',
  () => {
    const temp: string[] = [];
    const logLines: string[] = [];
    let smtp: SmtpSink;
    let http: HttpSink;
    let redis: PrivateRedis;
    let platform: Platform | undefined;
    let running: RunningPlatform;
    let monitor: RunningMonitor | undefined;
    let reader: string;
    let writer: string;

    /** When Redis was killed, and when the instance's /metrics first showed cb_redis_up 0 (Unix ms). */
    const broken = { at: 0, breachAt: 0 };
    /** The incident RedisDown opened (set by the first test, used by the later ones). */
    let redisDownId = '';
    const figures: Record<string, number | string> = {};

    const api = async <T>(path: string, init: { method?: string; key?: string; body?: unknown } = {}) => {
      const res = await fetch(`${running.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${init.key ?? reader}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const body = (await res.json()) as T;
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const incidents = async (): Promise<IncidentDetail[]> => {
      const page = await api<{ items: { id: string }[] }>('/v1/incidents?limit=100');
      return Promise.all(page.items.map((i) => api<IncidentDetail>(`/v1/incidents/${i.id}`)));
    };
    /** Incidents with an alert named `alertname`. */
    const incidentsWith = async (alertname: string) =>
      (await incidents()).filter((i) => i.alerts.some((a) => a.alertname === alertname));

    const promAlerts = async (): Promise<PromAlert[]> => {
      const res = await fetch(`${monitor!.prometheusUrl}/api/v1/alerts`);
      return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
    };
    const amAlerts = async (): Promise<AmAlert[]> => {
      const res = await fetch(`${monitor!.alertmanagerUrl}/api/v2/alerts`);
      return (await res.json()) as AmAlert[];
    };
    const promQuery = async (
      expr: string,
    ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const res = await fetch(`${monitor!.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (
        (await res.json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }
      ).data.result;
    };

    /** Every notification the sinks received, in order. */
    /** Every notification the sinks received, in order, with the incident and kind it announces. */
    const received = (): Received[] => {
      const slack = http.requests
        .filter((r: ReceivedRequest) => r.url === SLACK_PATH)
        .map((r) => ({ channel: 'slack' as const, text: r.body, to: ['ops'], at: r.at }));
      const twilio = http.requests
        .filter((r) => r.url.includes('/2010-04-01/'))
        .map((r) => ({
          channel: r.url.endsWith('/Calls.json') ? ('phone' as const) : ('sms' as const),
          text: r.form?.Body ?? r.form?.Twiml ?? r.body,
          to: [r.form?.To ?? ''],
          at: r.at,
        }));
      const email = smtp.messages.map((m: ReceivedMail) => ({
        channel: 'email' as const,
        text: `${m.headers.subject ?? ''}\n${m.body}`,
        to: m.to,
        at: m.at,
      }));
      return [...slack, ...twilio, ...email]
        .map((r) => ({ ...r, ...announces(r.text) }))
        .sort((a, b) => a.at - b.at);
    };
    /** Notifications of incident `id` (of one kind: TRIGGERED, ESCALATED, RESOLVED…). */
    const noticesOf = (id: string, kind?: string) =>
      received().filter((r) => r.incidentId === id && (kind === undefined || r.kind === kind));

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cb-alert-e2e-'));
      temp.push(dir);
      smtp = await startSmtpSink({ auth: { username: 'cb', password: SMTP_PASSWORD } });
      http = await startHttpSink();
      redis = await createPrivateRedis();
      const tokenFile = join(dir, 'webhook-token');
      writeFileSync(tokenFile, `${WEBHOOK_TOKEN}\n`, { mode: 0o600 });

      // The instance, configured the way an operator would: env settings, parsed once.
      const config = loadConfig({
        CB_HOST: '127.0.0.1',
        CB_PORT: '0',
        CB_DATA_DIR: 'memory://',
        CB_INSTANCE: 'alert-e2e',
        CB_LOG_LEVEL: 'warn',
        REDIS_URL: redis.url,
        // Test timing: Redis (and the database) sampled every 2 s rather than 15 s. Every second
        // made the instance's /metrics slower (PGlite is one session) against the scrape timeout.
        CB_DB_SAMPLE_INTERVAL_MS: '2000',
        CB_ALERT_WEBHOOK_TOKEN_FILE: tokenFile,
        CB_SLACK_WEBHOOK_URLS: `ops=${http.url}${SLACK_PATH}`,
        CB_SMTP_URL: `smtp://cb:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}?starttls=never&insecure_auth=1`,
        CB_SMTP_FROM: 'cb alerts <alerts@cb.test>',
        CB_TWILIO_BASE_URL: http.url,
        CB_TWILIO_ACCOUNT_SID: 'ACe2e',
        CB_TWILIO_AUTH_TOKEN: 'e2e-twilio-token',
        CB_TWILIO_FROM: '+15559990000',
        CB_INCIDENT_ESCALATION: JSON.stringify(testEscalation()),
        CB_INCIDENT_RESPONSE_TARGETS: `P1=${P1_TARGET_MINUTES}`,
        CB_NOTIFY_RETRY_DELAY_SECONDS: '1',
      });
      const logger = createLogger({
        service: 'cb',
        instance: 'alert-e2e',
        level: 'warn',
        destination: new Writable({
          write(chunk: Buffer, _enc, done) {
            logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
            done();
          },
        }),
      });
      platform = await createPlatform(config, { logger });
      running = await startRole(platform, 'all');
      reader = (await platform.apiKeys.create({ name: 'e2e-reader', scopes: ['incidents:read'] })).key;
      writer = (
        await platform.apiKeys.create({ name: 'e2e-oncall', scopes: ['incidents:read', 'incidents:write'] })
      ).key;

      // The shipped deploy directory as it is, plus the test-only rules next to the shipped ones.
      const deploy = join(dir, 'deploy');
      cpSync(join(DEPLOY_DIR, 'prometheus'), join(deploy, 'prometheus'), { recursive: true });
      cpSync(join(DEPLOY_DIR, 'alertmanager'), join(deploy, 'alertmanager'), { recursive: true });
      writeFileSync(join(deploy, 'prometheus', 'rules', 'e2e-test-only.yml'), YAML.stringify(E2E_RULES));
      monitor = await startMonitor({
        target: running.url,
        dir: join(dir, 'monitor'),
        webhookToken: WEBHOOK_TOKEN,
        deployDir: deploy,
        fast: true,
        exporters: false,
        ports: { prometheus: await freePort(), alertmanager: await freePort() },
        path: process.env.PATH,
      });

      // Nothing is timed before Prometheus scrapes the instance and sees Redis up.
      await waitFor('Prometheus to scrape cb_redis_up 1 from the instance', 30_000, async () => {
        const r = await promQuery('max(cb_redis_up)');
        return r[0]?.value[1] === '1' ? true : undefined;
      });
      expect((await promAlerts()).filter((a) => /^E2e|^RedisDown$/.test(a.labels.alertname ?? ''))).toEqual(
        [],
      );
    }, 120_000);

    afterAll(async () => {
      // How the scrapes of the instance went (a failed one leaves a gap that can make alerts flap).
      if (monitor && figures.breakToBreachMs !== undefined) {
        const failed = await promQuery(
          'sum(count_over_time(up{job="cb"}[10m]) - sum_over_time(up{job="cb"}[10m]))',
        );
        const slowest = await promQuery('max(max_over_time(scrape_duration_seconds{job="cb"}[10m]))');
        figures.cbScrapesFailed = Number(failed[0]?.value[1] ?? Number.NaN);
        figures.cbScrapeMaxMs = Math.round(Number(slowest[0]?.value[1] ?? Number.NaN) * 1000);
      }
      await monitor?.stop();
      await platform?.common.shutdown.run('end of test');
      await redis?.dispose();
      await smtp?.close();
      await http?.close();
      for (const d of temp) rmSync(d, { recursive: true, force: true });
      if (Object.keys(figures).length > 0) {
        mkdirSync(join(ROOT, '.tmp'), { recursive: true });
        const file = join(ROOT, '.tmp', 'alert-latency.json');
        let runs: unknown[] = [];
        try {
          runs = JSON.parse(readFileSync(file, 'utf8')) as unknown[];
        } catch {
          runs = [];
        }
        runs.push({ at: new Date().toISOString(), ...figures });
        writeFileSync(file, `${JSON.stringify(runs, null, 2)}\n`);
        process.stdout.write(`alert latency (ms): ${JSON.stringify(figures)} → ${file}\n`);
        writeFileSync(join(ROOT, '.tmp', 'alert-e2e-cb.log'), `${logLines.join('\n')}\n`);
      }
    }, 60_000);

    test('behavior: killing the Redis server fires RedisDown (shipped, P1, for 1m) → Alertmanager → the webhook → ONE incident → Slack and SMTP', {
      timeout: 150_000,
    }, async () => {
      broken.at = Date.now();
      await redis.kill();
      // The breach as the instance exports it (its sampler runs every second).
      await waitFor('cb_redis_up 0 on the instance', 15_000, async () => {
        const text = await (await fetch(`${running.url}/metrics`)).text();
        return /^cb_redis_up 0$/m.test(text) ? true : undefined;
      });
      broken.breachAt = Date.now();
      figures.breakToBreachMs = broken.breachAt - broken.at;

      // The incident: one, for the `serving` group, with RedisDown firing.
      const [incident] = await waitFor('an incident with RedisDown', REDIS_DOWN_FOR_MS + 60_000, async () => {
        const found = await incidentsWith('RedisDown');
        return found.length > 0 ? found : undefined;
      });
      const first = await waitFor('the RedisDown notification on Slack and by email', 30_000, async () => {
        const n = noticesOf(incident!.id, 'TRIGGERED');
        return n.some((r) => r.channel === 'slack') && n.some((r) => r.channel === 'email') ? n : undefined;
      });
      const prom = (await promAlerts()).find((a) => a.labels.alertname === 'RedisDown')!;
      expect(prom).toMatchObject({ state: 'firing', labels: { severity: 'P1', dependency: 'cache' } });
      const firstAt = first[0]!.at;
      figures.redisDown_breachToFirstNotificationMs = firstAt - broken.breachAt;
      figures.redisDown_breakToFirstNotificationMs = firstAt - broken.at;
      // What the pipeline adds to the rule's own hold: from `for` satisfied to the first notification.
      figures.redisDown_forSatisfiedToFirstNotificationMs =
        firstAt - (Date.parse(prom.activeAt) + REDIS_DOWN_FOR_MS);
      // Never before the rule's hold; the target is 10 s with these timings, a loaded CI
      // box gets 30.
      expect(figures.redisDown_forSatisfiedToFirstNotificationMs).toBeGreaterThanOrEqual(0);
      expect(figures.redisDown_forSatisfiedToFirstNotificationMs).toBeLessThanOrEqual(30_000);

      expect(await incidentsWith('RedisDown')).toHaveLength(1);
      redisDownId = incident!.id;
      const detail = await api<IncidentDetail>(`/v1/incidents/${incident!.id}`);
      expect(detail).toMatchObject({
        severity: 'P1',
        groupLabels: { correlation: 'serving' },
        dependency: 'cache',
        title: 'Redis is unreachable',
      });
      expect(detail.alerts.map((a) => [a.alertname, a.severity, a.status])).toEqual([
        ['RedisDown', 'P1', 'firing'],
      ]);
      expect(detail.alerts[0]!.annotations.runbook_url).toBe('docs/runbooks/RedisDown.md');
      // P1 → sms + email + slack (seed 3.1), to the first escalation step.
      const slack = first.find((r) => r.channel === 'slack')!;
      const email = first.find((r) => r.channel === 'email')!;
      expect(slack.text).toContain(`[P1] TRIGGERED #${incident!.id}: `);
      expect(email.text).toContain('RedisDown (P1)');
      expect(email.to).toEqual(['primary@cb.test']);
      await waitFor('the SMS', 15_000, () =>
        noticesOf(incident!.id, 'TRIGGERED').some((r) => r.channel === 'sms'),
      );
      expect(
        noticesOf(incident!.id, 'TRIGGERED')
          .map((r) => r.channel)
          .sort(),
      ).toEqual(['email', 'slack', 'sms']);
    });

    test('behavior: escalation — RedisDown (P1) not acknowledged within the test target escalates to the next step; acknowledging stops it', {
      timeout: 60_000,
    }, async () => {
      const get = () => api<IncidentDetail>(`/v1/incidents/${redisDownId}`);
      const escalated = await waitFor('the escalation of the RedisDown incident', 30_000, async () =>
        (await get()).timeline.find((t) => t.kind === 'escalated'),
      );
      // On call acknowledges as soon as the escalation shows: that must stop the next one.
      await api(`/v1/incidents/${redisDownId}/ack`, {
        method: 'POST',
        key: writer,
        body: { by: 'e2e-oncall' },
      });
      const next = Date.parse(escalated.data.ackDeadline as string);

      const triggered = (await get()).timeline.find((t) => t.kind === 'triggered')!;
      const missed = triggered.data.ackDeadline as string;
      expect(Date.parse(missed) - Date.parse(triggered.at)).toBe(P1_TARGET_MINUTES * 60_000);
      expect(Date.parse(escalated.at)).toBeGreaterThanOrEqual(Date.parse(missed));
      expect(escalated.data).toMatchObject({
        fromStep: 0,
        toStep: 1,
        stepName: 'secondary',
        missedDeadline: missed,
      });
      // The next step is notified on the P1 channels (its email and number; Slack by default).
      const notices = await waitFor('the escalation notices', 15_000, () => {
        const n = noticesOf(redisDownId, 'ESCALATED');
        // Each channel is its own delivery job: wait for all three, not the first two.
        return ['email', 'sms', 'slack'].every((c) => n.some((r) => r.channel === c)) ? n : undefined;
      });
      expect(notices.find((r) => r.channel === 'email')?.to).toEqual(['secondary@cb.test']);
      expect(notices.find((r) => r.channel === 'sms')?.to).toEqual(['+15550000002']);
      expect(notices.find((r) => r.channel === 'slack')?.text).toContain(
        `ESCALATED to secondary #${redisDownId}`,
      );

      // Past the deadline the escalated step had: no further escalation.
      await waitFor('the next step deadline to pass', 30_000, () =>
        Date.now() > next + 3_000 ? true : undefined,
      );
      const after = await get();
      expect(after).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'e2e-oncall' });
      expect(after.escalation).toMatchObject({ step: 1, stepName: 'secondary', nextEscalationAt: null });
      const acked = after.timeline.find((t) => t.kind === 'acknowledged')!;
      expect(Date.parse(acked.at), 'acknowledged before the next deadline').toBeLessThan(next);
      expect(after.timeline.filter((t) => t.kind === 'escalated')).toHaveLength(1);
      expect(noticesOf(redisDownId, 'ESCALATED').filter((r) => r.to.includes('manager@cb.test'))).toEqual([]);
    });

    test('behavior: inhibition — a P0 and a P2 of one dependency fire together; only the P0 is notified', async () => {
      const names = ['E2eRedisOutage', 'E2eRedisDegraded'];
      await waitFor('both test rules firing in Prometheus', 15_000, async () => {
        const firing = (await promAlerts()).filter(
          (a) => names.includes(a.labels.alertname!) && a.state === 'firing',
        );
        return firing.length === 2 ? firing : undefined;
      });
      // Alertmanager has both: the P2 suppressed, inhibited by the P0 (the shipped inhibit_rules).
      const am = await amAlerts();
      const p0 = am.find((a) => a.labels.alertname === 'E2eRedisOutage');
      const p2 = am.find((a) => a.labels.alertname === 'E2eRedisDegraded');
      expect(p0?.status).toMatchObject({ state: 'active', inhibitedBy: [] });
      expect(p2?.status).toMatchObject({ state: 'suppressed', inhibitedBy: [p0!.fingerprint] });

      // One incident, the P0's alone; nothing of the P2 reached the webhook or a sink.
      const [incident, ...more] = await incidentsWith('E2eRedisOutage');
      expect(more).toEqual([]);
      expect(incident).toMatchObject({ severity: 'P0', groupLabels: { correlation: 'e2e-inhibition' } });
      expect(incident!.alerts.map((a) => a.alertname)).toEqual(['E2eRedisOutage']);
      expect(await incidentsWith('E2eRedisDegraded')).toEqual([]);
      expect(received().filter((r) => r.text.includes('E2eRedisDegraded'))).toEqual([]);
      // P0 → phone + sms + email + slack (seed 3.1).
      const notices = await waitFor('the P0 on every channel', 15_000, () => {
        const n = noticesOf(incident!.id, 'TRIGGERED');
        return n.length >= 4 ? n : undefined;
      });
      expect(notices.map((r) => r.channel).sort()).toEqual(['email', 'phone', 'slack', 'sms']);
      // No `for` on the rule and group_wait 0 on the P0 route: the pipeline's own latency.
      figures.p0NoFor_breachToFirstNotificationMs = notices[0]!.at - broken.breachAt;
      expect(figures.p0NoFor_breachToFirstNotificationMs).toBeLessThanOrEqual(30_000);
    });

    test('behavior: grouping — two alerts of one dependency arrive as one notification and one incident', async () => {
      const [incident, ...more] = await incidentsWith('E2eCacheMisses');
      expect(more).toEqual([]);
      expect((await incidentsWith('E2eCacheFallback')).map((i) => i.id)).toEqual([incident!.id]);
      expect(incident).toMatchObject({
        severity: 'P2',
        dependency: 'e2e-cache',
        groupLabels: { correlation: 'e2e-grouping' },
        title: expect.stringMatching(
          /^2 alerts on e2e-grouping: E2eCache(Fallback|Misses), E2eCache(Fallback|Misses)$/,
        ),
      });
      expect(incident!.alerts.map((a) => `${a.alertname} ${a.status}`).sort()).toEqual([
        'E2eCacheFallback firing',
        'E2eCacheMisses firing',
      ]);
      // P2 → email + slack: one message on each, naming both alerts.
      const notices = await waitFor('the grouped notification', 15_000, () => {
        const n = noticesOf(incident!.id);
        return n.length >= 2 ? n : undefined;
      });
      expect(notices.map((r) => r.channel).sort()).toEqual(['email', 'slack']);
      for (const n of notices) {
        expect(n.text).toContain('E2eCacheMisses');
        expect(n.text).toContain('E2eCacheFallback');
      }
      figures.p2Grouped_breachToFirstNotificationMs = notices[0]!.at - broken.breachAt;
      expect(figures.p2Grouped_breachToFirstNotificationMs).toBeLessThanOrEqual(30_000);
    });

    test('behavior: dedup — Prometheus re-sends the firing alerts; inside the repeat window nothing more is notified', {
      timeout: 120_000,
    }, async () => {
      const groups = ['E2eRedisOutage', 'E2eCacheMisses', 'RedisDown'];
      const ids = await Promise.all(groups.map(async (g) => (await incidentsWith(g)).map((i) => i.id)));
      expect(ids.map((list) => list.length)).toEqual([1, 1, 1]);
      const firstNotice = Math.min(...ids.map(([id]) => noticesOf(id!)[0]?.at ?? Number.POSITIVE_INFINITY));
      // Prometheus re-sends a firing alert to Alertmanager once a minute (its resend delay): wait until
      // Alertmanager has received the test rules' alerts again, after they were first notified.
      const again = await waitFor('Alertmanager to receive the firing alerts again', 90_000, async () => {
        const resent = (await amAlerts()).filter(
          (a) => /^E2e/.test(a.labels.alertname ?? '') && Date.parse(a.updatedAt) > firstNotice + 1000,
        );
        return resent.length === 4 ? resent : undefined;
      });
      // A few group intervals (1 s) and evaluations after that re-send, still: one incident per
      // group, one TRIGGERED notification per channel, and no re-send reached the webhook (it
      // would be a `repeat` entry in the timeline).
      const resentAt = Math.max(...again.map((a) => Date.parse(a.updatedAt)));
      await waitFor('a few group intervals after the re-send', 10_000, () => Date.now() > resentAt + 4_000);
      figures.dedup_windowObservedMs = Date.now() - firstNotice;
      for (const [g, list] of groups.map((g, i) => [g, ids[i]!] as const)) {
        expect(
          (await incidentsWith(g)).map((i) => i.id),
          g,
        ).toEqual(list);
        const detail = await api<IncidentDetail>(`/v1/incidents/${list[0]}`);
        expect(
          detail.timeline.filter((t) => t.kind === 'repeat'),
          g,
        ).toEqual([]);
        const perChannel = new Map<string, number>();
        for (const n of noticesOf(list[0]!, 'TRIGGERED'))
          perChannel.set(n.channel, (perChannel.get(n.channel) ?? 0) + 1);
        expect(perChannel.size, g).toBeGreaterThan(0);
        expect(
          [...perChannel.values()].every((count) => count === 1),
          `${g}: ${JSON.stringify([...perChannel])}`,
        ).toBe(true);
      }
    });

    test('behavior: recovery — restarting Redis resolves the alerts and the incidents; the recovery notification reaches Slack and SMTP', {
      timeout: 90_000,
    }, async () => {
      const repairedAt = Date.now();
      await redis.start();
      const recovery = await waitFor('the RedisDown recovery on Slack and by email', 60_000, () => {
        const n = noticesOf(redisDownId, 'RESOLVED');
        return n.some((r) => r.channel === 'slack') && n.some((r) => r.channel === 'email') ? n : undefined;
      });
      figures.redisDown_repairToRecoveryNotificationMs = recovery[0]!.at - repairedAt;
      expect(recovery.find((r) => r.channel === 'slack')!.text).toContain(`[P1] RESOLVED #${redisDownId}: `);
      const detail = await api<IncidentDetail>(`/v1/incidents/${redisDownId}`);
      expect(detail).toMatchObject({ state: 'resolved', resolvedBy: 'alertmanager' });
      expect(detail.alerts.map((a) => [a.alertname, a.status])).toEqual([['RedisDown', 'resolved']]);

      // The test rules' incidents resolve and send their recovery too; no group opened a second one.
      for (const g of ['E2eRedisOutage', 'E2eCacheMisses']) {
        const [incident, ...more] = await waitFor(`the ${g} incident resolved`, 30_000, async () => {
          const found = await incidentsWith(g);
          return found.length > 0 && found.every((i) => i.state === 'resolved') ? found : undefined;
        });
        expect(more, g).toEqual([]);
        await waitFor(`the ${g} recovery notices`, 15_000, () => {
          const n = noticesOf(incident!.id, 'RESOLVED');
          return n.some((r) => r.channel === 'slack') && n.some((r) => r.channel === 'email') ? n : undefined;
        });
      }
      expect((await promAlerts()).filter((a) => /^E2e|^RedisDown$/.test(a.labels.alertname ?? ''))).toEqual(
        [],
      );
      // The inhibited P2 never became an incident, not even resolved.
      expect(await incidentsWith('E2eRedisDegraded')).toEqual([]);
    });
  },
);
