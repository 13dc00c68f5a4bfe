/**
 * The delivery job: one notification (one channel) to its recipients. Recipients already reached
 * are remembered, so a retry only tries the others. Every attempt is recorded — in the notification
 * row, in the incident's timeline (`notification_sent`, or `notification_failed` with whether it will
 * be retried) and in `cb_notifications_total{channel,result=sent|retried|failed}` — then a failure is
 * rethrown so the jobs subsystem retries it with backoff, or dead-letters it when it is final.
 */
import { isRetryable, type Job } from '../../platform/jobs/index.ts';
import { NotifyError } from '../notify/errors.ts';
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
import type { AlertRow, IncidentRow, NotificationRow } from './incident-record.ts';
import { appendTimeline } from './timeline.ts';
import type { Channel, Severity } from './types.ts';

/** Most alerts listed in one message. */
const MAX_ALERTS = 10;

function noticeOf(
  ctx: IncidentsContext,
  n: NotificationRow,
  i: IncidentRow,
  alerts: AlertRow[],
  total: number,
): IncidentNotice {
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
      runbookUrl: a.annotations.runbook_url ?? null,
    })),
    totalAlerts: total,
    updateText: str(m.text),
    updateStatus: str(m.status),
    author: str(m.author),
    resolvedBy: str(m.resolvedBy) ?? i.resolved_by,
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
): Promise<{ reached: string[]; failures: { recipient: string; error: unknown }[] }> {
  const o = ctx.options;
  const reached: string[] = [];
  const failures: { recipient: string; error: unknown }[] = [];
  const each = async (fn: (r: string) => Promise<unknown>) => {
    for (const r of recipients) {
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
        await sendMail(o.email, {
          from: o.email.from,
          to: recipients,
          subject,
          text,
          headers: { 'X-CB-Incident': incidentId, 'X-CB-Severity': notice.severity },
        });
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
      await each((to) => sendSms(twilio, to, body));
      break;
    }
    case 'phone': {
      const twilio = o.twilio;
      if (!twilio) throw notConfigured(channel);
      const say = renderVoice(notice);
      await each((to) => placeCall(twilio, to, say));
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
          { url, name, ...(slack.timeoutMs ? { timeoutMs: slack.timeoutMs } : {}) },
          message,
        );
      });
      break;
    }
  }
  return { reached, failures };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function deliverNotification(ctx: IncidentsContext, job: Job<DeliveryPayload>): Promise<void> {
  const { db, options, metrics, logger } = ctx;
  const id = job.payload.notificationId;
  const n = (await db.query<NotificationRow>('select * from ops_notifications where id = $1', [id])).rows[0];
  if (n?.state !== 'pending') return; // gone, or settled by an earlier run
  const incident = (await db.query<IncidentRow>('select * from ops_incidents where id = $1', [n.incident_id]))
    .rows[0];
  if (!incident) return;
  const alerts = (
    await db.query<AlertRow & { total: number }>(
      `select *, count(*) over ()::int as total from ops_incident_alerts where incident_id = $1
        order by (status = 'firing') desc, severity, starts_at limit ${MAX_ALERTS}`,
      [incident.id],
    )
  ).rows;
  const notice = noticeOf(ctx, n, incident, alerts, alerts[0]?.total ?? 0);
  const pending = n.recipients.filter((r) => !n.delivered.includes(r));
  const attempt = job.retryCount + 1;

  let outcome: Awaited<ReturnType<typeof send>>;
  try {
    outcome = await send(ctx, n.channel, pending, notice, incident.id);
  } catch (error) {
    outcome = { reached: [], failures: [{ recipient: pending.join(','), error }] };
  }
  const delivered = [...n.delivered, ...outcome.reached];
  const now = options.now();
  const what = `${n.kind} ${n.channel} notification`;

  if (outcome.failures.length === 0) {
    await db.transaction(async (tx) => {
      await tx.query(
        `update ops_notifications set state = 'sent', delivered = $2::jsonb, attempts = $3, sent_at = $4, last_error = null
          where id = $1`,
        [id, JSON.stringify(delivered), attempt, now.toISOString()],
      );
      await appendTimeline(tx, incident.id, now, [
        {
          kind: 'notification_sent',
          actor: 'system',
          message: `${what} sent to ${delivered.length} recipient(s)${attempt > 1 ? ` on attempt ${attempt}` : ''}`,
          data: {
            notificationId: id,
            channel: n.channel,
            kind: n.kind,
            step: n.step,
            attempt,
            recipients: delivered.length,
          },
        },
      ]);
    });
    metrics.notifications.inc({ channel: n.channel, result: 'sent' });
    return;
  }

  const errors = outcome.failures.map((f) => errorText(f.error));
  const retryable = outcome.failures.some((f) => isRetryable(f.error));
  const final = !retryable || job.retryCount >= job.retryLimit;
  const lastError = errors.join('; ').slice(0, 1000);
  await db.transaction(async (tx) => {
    await tx.query(
      `update ops_notifications
          set state = $2, delivered = $3::jsonb, attempts = $4, last_error = $5, failed_at = $6
        where id = $1`,
      [
        id,
        final ? 'failed' : 'pending',
        JSON.stringify(delivered),
        attempt,
        lastError,
        final ? now.toISOString() : null,
      ],
    );
    await appendTimeline(tx, incident.id, now, [
      {
        kind: 'notification_failed',
        actor: 'system',
        message: `${what} failed on attempt ${attempt}${final ? ', giving up' : ', will retry'}: ${lastError}`,
        data: {
          notificationId: id,
          channel: n.channel,
          kind: n.kind,
          step: n.step,
          attempt,
          final,
          failedRecipients: outcome.failures.length,
          reached: outcome.reached.length,
        },
      },
    ]);
  });
  metrics.notifications.inc({ channel: n.channel, result: final ? 'failed' : 'retried' });
  logger.warn(final ? 'notification failed for good' : 'notification failed; will retry', {
    context: { notificationId: id, incidentId: incident.id, channel: n.channel, errors },
    metrics: { attempt },
  });
  const first = outcome.failures[0]!.error;
  throw first instanceof NotifyError
    ? new NotifyError(first.code as 'OPS_NOTIFY_FAILED', lastError, { retryable: !final })
    : new NotifyError('OPS_NOTIFY_FAILED', lastError, { retryable: !final });
}
