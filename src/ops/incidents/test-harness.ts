/**
 * For the incidents suites and the alert benchmark (not used by the product): a real database of
 * the driver under test, real jobs, the HTTP app with the incident routes, and local sinks standing
 * in for the SMTP server, the Slack webhook and the SMS/voice provider, with a clock tests can set.
 */
import type { FastifyInstance } from 'fastify';
import { type AppContext, buildApp } from '../../api/index.ts';
import { type CapturedLogs, createTestApi, type TestApi } from '../../api/test-context.ts';
import { createJobs, type Jobs } from '../../platform/jobs/index.ts';
import { type HttpSink, type SmtpSink, startHttpSink, startSmtpSink } from '../notify/test-sinks.ts';
import { createIncidents, type Incidents } from './create-incidents.ts';
import type { IncidentsOptions } from './options.ts';

export const WEBHOOK_TOKEN = 'am-webhook-token-0123456789';
export const SECRETS = {
  webhookToken: WEBHOOK_TOKEN,
  twilioToken: 'twilio-secret-token-abc',
  smtpPassword: 'smtp-secret-pw-xyz',
  slackPath: '/services/T0SECRET/B0SECRET/slackSecretPart',
};

export interface Harness {
  api: TestApi;
  common: AppContext;
  logs: CapturedLogs;
  smtp: SmtpSink;
  http: HttpSink;
  jobs: Jobs;
  incidents: Incidents;
  app: FastifyInstance;
  /** API keys: `reader` (incidents:read), `writer` (incidents:read + incidents:write). */
  keys: { reader: string; writer: string };
  /** Sets the clock (undefined: real time). */
  setClock(at: Date | undefined): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Replaces the default incident options (escalation: primary, secondary, manager). */
  options?: Partial<IncidentsOptions>;
  /** Start the jobs (workers, timers). @defaultValue true */
  startJobs?: boolean;
}

/** The escalation policy of the suites: three steps with recipients of their own. */
export function testEscalation() {
  return [
    {
      name: 'primary',
      email: ['primary@cb.test'],
      sms: ['+15550000001'],
      phone: ['+15550000001'],
      slack: ['ops'],
    },
    { name: 'secondary', email: ['secondary@cb.test'], sms: ['+15550000002'], phone: ['+15550000002'] },
    {
      name: 'manager',
      email: ['manager@cb.test'],
      phone: ['+15550000003'],
      channels: ['email', 'phone'] as const,
    },
  ];
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const api = await createTestApi();
  const { ctx, logs } = api.context({ config: { shutdownGraceMs: 2000 } });
  const smtp = await startSmtpSink({ auth: { username: 'cb', password: SECRETS.smtpPassword } });
  const http = await startHttpSink();
  let clock: Date | undefined;
  const jobs = createJobs({
    common: ctx,
    db: api.db,
    options: { pollIntervalMs: 500, sampleIntervalMs: 60_000, registerShutdown: false },
  });
  const incidents = createIncidents({
    common: ctx,
    db: api.db,
    jobs,
    options: {
      webhookToken: WEBHOOK_TOKEN,
      publicUrl: 'https://cb.test',
      email: {
        host: '127.0.0.1',
        port: smtp.port,
        from: 'cb alerts <alerts@cb.test>',
        username: 'cb',
        password: SECRETS.smtpPassword,
        allowInsecureAuth: true,
        startTls: 'never',
      },
      slack: { webhooks: { ops: `${http.url}${SECRETS.slackPath}` } },
      twilio: {
        baseUrl: http.url,
        accountSid: 'ACtest',
        authToken: SECRETS.twilioToken,
        from: '+15559990000',
      },
      escalation: testEscalation(),
      delivery: { retryLimit: 2, retryDelaySeconds: 1, concurrency: 2, batchSize: 10 },
      now: () => clock ?? new Date(),
      ...options.options,
    },
  });
  incidents.registerJobs();
  const app = await buildApp(ctx, { routes: [incidents.routes] });
  if (options.startJobs ?? true) await jobs.start();
  const reader = (await api.apiKeys.create({ name: `reader-${Date.now()}`, scopes: ['incidents:read'] })).key;
  const writer = (
    await api.apiKeys.create({ name: `oncall-${Date.now()}`, scopes: ['incidents:read', 'incidents:write'] })
  ).key;
  return {
    api,
    common: ctx,
    logs,
    smtp,
    http,
    jobs,
    incidents,
    app,
    keys: { reader, writer },
    setClock: (at) => {
      clock = at;
    },
    async close() {
      await app.close();
      await jobs.stop();
      await smtp.close();
      await http.close();
      await api.close();
    },
  };
}

export interface TestAlert {
  alertname: string;
  severity?: string;
  status?: 'firing' | 'resolved';
  startsAt: string;
  endsAt?: string;
  fingerprint: string;
  labels?: Record<string, string>;
  summary?: string;
  /** The runbook_url annotation. @defaultValue an absolute URL on runbooks.cb.test */
  runbookUrl?: string;
}

/** An Alertmanager webhook payload (version 4) as Alertmanager 0.25 posts it, grouped by `dependency`. */
export function alertmanagerPayload(dependency: string, alerts: readonly TestAlert[]) {
  const full = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: {
      alertname: a.alertname,
      dependency,
      instance: '127.0.0.1:3000',
      job: 'cb',
      ...(a.severity ? { severity: a.severity } : {}),
      ...a.labels,
    },
    annotations: {
      summary: a.summary ?? `${a.alertname} on ${dependency}`,
      description: `${a.alertname}: the threshold was crossed for 1m.`,
      runbook_url: a.runbookUrl ?? `https://runbooks.cb.test/alerts#${a.alertname.toLowerCase()}`,
    },
    startsAt: a.startsAt,
    endsAt: a.endsAt ?? '0001-01-01T00:00:00Z',
    generatorURL: `http://127.0.0.1:9090/graph?g0.expr=${encodeURIComponent(`${a.alertname}`)}&g0.tab=1`,
    fingerprint: a.fingerprint,
  }));
  const status = full.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
  return {
    receiver: 'cb-incidents',
    status,
    alerts: full,
    groupLabels: { dependency },
    commonLabels: { dependency, instance: '127.0.0.1:3000', job: 'cb' },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: `{}/{severity=~"P[0-3]"}:{dependency="${dependency}"}`,
    truncatedAlerts: 0,
  };
}

/** Posts a payload to the webhook the way Alertmanager does. */
export function postWebhook(app: FastifyInstance, payload: unknown, token: string | null = WEBHOOK_TOKEN) {
  return app.inject({
    method: 'POST',
    url: '/v1/alerts/webhook',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Alertmanager/0.25.0',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    payload: JSON.stringify(payload),
  });
}
