/**
 * The delivery jobs: each job is one notification (one channel) to its recipients; a worker takes a
 * batch of them from its channel's queue, reads them in one statement, sends them in parallel, and
 * records every outcome in one statement — the notification row, the incident's timeline
 * (`notification_sent`, or `notification_failed` with whether it will be retried) — and in
 * `cb_notifications_total{channel,result=sent|retried|failed}`. Recipients already reached are
 * remembered, so a retry only tries the others. A failed job is handed back to the jobs subsystem,
 * which retries it with backoff or dead-letters it when it is final.
 *
 * A run that outlives its job's expiry (120 s: a provider that keeps answering slowly, many
 * recipients) or a stop's grace period is aborted by the jobs subsystem, which then retries the job
 * or hands it back. The run follows the job's signal: the request in progress is cut, no further
 * recipient is tried, and what it did reach is recorded as an ordinary retryable failure — so the
 * retry does not page alongside it, and skips the recipients recorded as reached.
 */
import { type BatchResult, isRetryable, type Job } from '../../platform/jobs/index.ts';
import { NotifyError, type NotifyErrorCode, reasonText } from '../notify/errors.ts';
import {
  type IncidentNotice,
  renderEmail,
  renderSlack,
  renderSms,
  renderVoice,
} from '../notify/render-notice.ts';
import { postSlackMessage } from '../notify/slack.ts';
import { sendMail } from '../notify/smtp-client.ts';
import { placeCall, sendSms } from '../notify/twilio.ts';
import type { DeliveryPayload, IncidentsContext } from './context.ts';
import type { IncidentRow, NotificationRow } from './incident-record.ts';
import { runbookLink } from './runbooks.ts';
import type { Channel, Severity } from './types.ts';

/** Most alerts listed in one message. */
const MAX_ALERTS = 10;

/** The incident facts a message needs (read with the notification). */
type IncidentFacts = Pick<
  IncidentRow,
  'id' | 'title' | 'severity' | 'state' | 'dependency' | 'ack_deadline' | 'resolved_by'
>;

interface AlertFacts {
  alertname: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  annotations: Record<string, string>;
}

interface Loaded {
  n: NotificationRow;
  incident: IncidentFacts;
  alerts: AlertFacts[];
  totalAlerts: number;
}

function noticeOf(ctx: IncidentsContext, { n, incident: i, alerts, totalAlerts }: Loaded): IncidentNotice {
  const m = n.message;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    kind: n.kind,
    incidentId: i.id,
    title: i.title,
    severity: (str(m.severity) as Severity | null) ?? i.severity,
    previousSeverity: str(m.previousSeverity) as Severity | null,
    state: i.state,
    dependency: i.dependency,
    stepName: str(m.stepName) ?? ctx.options.escalation[n.step]?.name ?? `step ${n.step + 1}`,
    ackDeadline: i.ack_deadline,
    link: ctx.options.publicUrl ? `${ctx.options.publicUrl}/v1/incidents/${i.id}` : null,
    alerts: alerts.map((a) => ({
      alertname: a.alertname,
      severity: a.severity,
      status: a.status,
      summary: a.annotations.summary ?? null,
      description: a.annotations.description ?? null,
      runbookUrl: runbookLink(a.annotations.runbook_url, ctx.options.publicUrl),
    })),
    totalAlerts,
    updateText: str(m.text),
    updateStatus: str(m.status),
    author: str(m.author),
    resolvedBy: str(m.resolvedBy) ?? i.resolved_by,
    actionId: str(m.actionId),
  };
}

function notConfigured(channel: Channel): NotifyError {
  return new NotifyError('OPS_NOTIFY_NOT_CONFIGURED', `channel ${channel} has no settings`, {
    retryable: false,
  });
}

/** Sends to `recipients`; returns those reached and the failures. Email goes as one message to all. */
async function send(
  ctx: IncidentsContext,
  channel: Channel,
  recipients: readonly string[],
  notice: IncidentNotice,
  incidentId: string,
  signal: AbortSignal,
): Promise<{ reached: string[]; failures: { recipient: string; error: unknown }[] }> {
  const o = ctx.options;
  const reached: string[] = [];
  const failures: { recipient: string; error: unknown }[] = [];
  const each = async (fn: (r: string) => Promise<unknown>) => {
    for (const r of recipients) {
      if (signal.aborted) {
        failures.push({ recipient: r, error: stopped(signal) });
        continue;
      }
      try {
        await fn(r);
        reached.push(r);
      } catch (error) {
        failures.push({ recipient: r, error });
      }
    }
  };
  switch (channel) {
    case 'email': {
      if (!o.email) throw notConfigured(channel);
      const { subject, text } = renderEmail(notice);
      try {
        await sendMail(
          o.email,
          {
            from: o.email.from,
            to: recipients,
            subject,
            text,
            headers: { 'X-CB-Incident': incidentId, 'X-CB-Severity': notice.severity },
          },
          signal,
        );
        reached.push(...recipients);
      } catch (error) {
        failures.push({ recipient: recipients.join(','), error });
      }
      break;
    }
    case 'sms': {
      const twilio = o.twilio;
      if (!twilio) throw notConfigured(channel);
      const body = renderSms(notice);
      await each((to) => sendSms(twilio, to, body, signal));
      break;
    }
    case 'phone': {
      const twilio = o.twilio;
      if (!twilio) throw notConfigured(channel);
      const say = renderVoice(notice);
      await each((to) => placeCall(twilio, to, say, signal));
      break;
    }
    case 'slack': {
      const slack = o.slack;
      if (!slack) throw notConfigured(channel);
      const message = renderSlack(notice);
      await each(async (name) => {
        const url = slack.webhooks[name];
        if (!url)
          throw new NotifyError('OPS_NOTIFY_NOT_CONFIGURED', `no slack webhook "${name}"`, {
            retryable: false,
          });
        await postSlackMessage(
          { url, name, signal, ...(slack.timeoutMs ? { timeoutMs: slack.timeoutMs } : {}) },
          message,
        );
      });
      break;
    }
  }
  return { reached, failures };
}

/** The failure of a recipient not tried because the run was stopped (retried by the next run). */
const stopped = (signal: AbortSignal) =>
  new NotifyError('OPS_NOTIFY_FAILED', `not tried: stopped: ${reasonText(signal.reason)}`, {
    retryable: true,
  });

/** The pending notifications among `ids`, with what their messages say, in one statement. */
async function load(ctx: IncidentsContext, ids: readonly string[]): Promise<Map<string, Loaded>> {
  const { rows } = await ctx.db.query<
    NotificationRow & {
      i_title: string;
      i_severity: Severity;
      i_state: IncidentRow['state'];
      i_dependency: string | null;
      i_ack_deadline: Date | null;
      i_resolved_by: string | null;
      alerts: AlertFacts[];
      total_alerts: number;
    }
  >(
    `select n.*, i.title as i_title, i.severity as i_severity, i.state as i_state, i.dependency as i_dependency,
            i.ack_deadline as i_ack_deadline, i.resolved_by as i_resolved_by,
            (select coalesce(jsonb_agg(jsonb_build_object('alertname', a.alertname, 'severity', a.severity,
                      'status', a.status, 'annotations', a.annotations)), '[]'::jsonb)
               from (select * from ops_incident_alerts where incident_id = i.id
                      order by (status = 'firing') desc, severity, starts_at limit ${MAX_ALERTS}) a) as alerts,
            (select count(*)::int from ops_incident_alerts where incident_id = i.id) as total_alerts
       from ops_notifications n join ops_incidents i on i.id = n.incident_id
      where n.id = any($1::bigint[]) and n.state = 'pending'`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        n: r,
        incident: {
          id: r.incident_id,
          title: r.i_title,
          severity: r.i_severity,
          state: r.i_state,
          dependency: r.i_dependency,
          ack_deadline: r.i_ack_deadline,
          resolved_by: r.i_resolved_by,
        },
        alerts: r.alerts,
        totalAlerts: r.total_alerts,
      },
    ]),
  );
}

interface Outcome {
  id: string;
  incident_id: string;
  state: 'sent' | 'pending' | 'failed';
  delivered: string[];
  attempts: number;
  last_error: string | null;
  at: string;
  kind: 'notification_sent' | 'notification_failed';
  message: string;
  data: Record<string, unknown>;
}

/** One delivery attempt: what to record, and the error to hand back when it failed. */
async function attempt(
  ctx: IncidentsContext,
  job: Job<DeliveryPayload>,
  loaded: Loaded,
): Promise<{ outcome: Outcome; error?: NotifyError }> {
  const { n } = loaded;
  const pending = n.recipients.filter((r) => !n.delivered.includes(r));
  const attemptNo = job.retryCount + 1;
  let result: Awaited<ReturnType<typeof send>>;
  try {
    result = await send(ctx, n.channel, pending, noticeOf(ctx, loaded), n.incident_id, job.signal);
  } catch (error) {
    result = { reached: [], failures: [{ recipient: pending.join(','), error }] };
  }
  const delivered = [...n.delivered, ...result.reached];
  const at = ctx.options.now().toISOString();
  const what = `${n.kind} ${n.channel} notification`;
  const base = { id: n.id, incident_id: n.incident_id, delivered, attempts: attemptNo, at };
  const data = { notificationId: n.id, channel: n.channel, kind: n.kind, step: n.step, attempt: attemptNo };
  if (result.failures.length === 0) {
    ctx.metrics.notifications.inc({ channel: n.channel, result: 'sent' });
    return {
      outcome: {
        ...base,
        state: 'sent',
        last_error: null,
        kind: 'notification_sent',
        message: `${what} sent to ${delivered.length} recipient(s)${attemptNo > 1 ? ` on attempt ${attemptNo}` : ''}`,
        data: { ...data, recipients: delivered.length },
      },
    };
  }
  const errors = result.failures.map((f) => reasonText(f.error));
  const final = !result.failures.some((f) => isRetryable(f.error)) || job.retryCount >= job.retryLimit;
  const lastError = errors.join('; ').slice(0, 1000);
  ctx.metrics.notifications.inc({ channel: n.channel, result: final ? 'failed' : 'retried' });
  ctx.logger.warn(final ? 'notification failed for good' : 'notification failed; will retry', {
    context: { notificationId: n.id, incidentId: n.incident_id, channel: n.channel, errors },
    metrics: { attempt: attemptNo },
  });
  const first = result.failures[0]!.error;
  return {
    outcome: {
      ...base,
      state: final ? 'failed' : 'pending',
      last_error: lastError,
      kind: 'notification_failed',
      message: `${what} failed on attempt ${attemptNo}${final ? ', giving up' : ', will retry'}: ${lastError}`,
      data: { ...data, final, failedRecipients: result.failures.length, reached: result.reached.length },
    },
    error: new NotifyError(
      first instanceof NotifyError ? (first.code as NotifyErrorCode) : 'OPS_NOTIFY_FAILED',
      lastError,
      {
        retryable: !final,
      },
    ),
  };
}

/** Records the outcomes — rows and timeline entries — in one statement. */
async function record(ctx: IncidentsContext, outcomes: readonly Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await ctx.db.query(
    `with o as (
       select * from jsonb_to_recordset($1::jsonb) as x(id bigint, incident_id bigint, state text, delivered jsonb,
              attempts int, last_error text, at timestamptz, kind text, message text, data jsonb)
     ), u as (
       update ops_notifications n
          set state = o.state, delivered = o.delivered, attempts = o.attempts, last_error = o.last_error,
              sent_at = case when o.state = 'sent' then o.at else n.sent_at end,
              failed_at = case when o.state = 'failed' then o.at else n.failed_at end
         from o where n.id = o.id and n.state = 'pending'
       returning n.id
     )
     insert into ops_incident_timeline (incident_id, at, kind, actor, message, data)
     select o.incident_id, o.at, o.kind, 'system', o.message, o.data from o join u on u.id = o.id order by o.id`,
    [JSON.stringify(outcomes)],
  );
}

/** Delivers a batch of one channel's notifications; failed ones are returned for retry or the DLQ. */
export async function deliverNotifications(
  ctx: IncidentsContext,
  jobs: readonly Job<DeliveryPayload>[],
): Promise<BatchResult> {
  const loaded = await load(
    ctx,
    jobs.map((j) => j.payload.notificationId),
  );
  // A notification that is gone or no longer pending was settled by an earlier run: done.
  const results = await Promise.all(
    jobs.flatMap((job) => {
      const l = loaded.get(job.payload.notificationId);
      return l ? [attempt(ctx, job, l).then((r) => ({ job, ...r }))] : [];
    }),
  );
  await record(
    ctx,
    results.map((r) => r.outcome),
  );
  return {
    failed: results.flatMap((r) => (r.error ? [{ id: r.job.id, error: r.error }] : [])),
  };
}
