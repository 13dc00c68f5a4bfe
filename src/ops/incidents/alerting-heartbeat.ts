/**
 * The dead man's switch of the alerting pipeline. Every alert reaches the on-call through
 * Prometheus, Alertmanager and this webhook; when Prometheus or Alertmanager stops, nothing fires
 * and nothing pages — silence looks like health. So Prometheus keeps one alert always firing,
 * `AlertingHeartbeat` (while it evaluates rules and scrapes cb), and Alertmanager sends it to the
 * webhook every minute on a route of its own (deploy/alertmanager: no grouping with other alerts,
 * never inhibited). The webhook records each beat ({@link isHeartbeat}, {@link recordHeartbeat}) and
 * opens nothing.
 *
 * The incident sweep (every minute) checks the beat ({@link checkHeartbeat}): none for
 * `heartbeatTimeoutMs` (10 minutes) after one arrived → an incident of cb's own, from a synthetic
 * alert `AlertingPipelineSilent` (P1, dependency `host`), through the same path as a webhook payload
 * (its notifications, escalation and recovery); beats again → that alert resolves, and with it the
 * incident. A deployment whose pipeline never sent a beat (no Prometheus yet) is not paged. When cb
 * itself is down, its own alerts cannot reach anyone through it either: that case is Alertmanager's
 * direct P0 route (docs/alerts.md).
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { AlertmanagerPayload } from './alertmanager-payload.ts';
import { readPayload } from './alertmanager-payload.ts';
import { applyAlertGroup } from './apply-alert-group.ts';
import { applyEffects, type IncidentsContext } from './context.ts';

/** The Prometheus alert that beats (deploy/prometheus/rules/host.yml). */
export const HEARTBEAT_ALERT = 'AlertingHeartbeat';
/** The alert cb raises itself when the beat stops. */
export const SILENT_ALERT = 'AlertingPipelineSilent';
const SILENT_GROUP = 'cb:alerting-heartbeat';
const SILENT_FINGERPRINT = 'cb-alerting-pipeline-silent';

/** A payload of heartbeats only (Alertmanager's heartbeat route groups them by alert name). */
export function isHeartbeat(payload: AlertmanagerPayload): boolean {
  return payload.alerts.every((a) => a.labels.alertname === HEARTBEAT_ALERT);
}

/** Records a beat (a firing heartbeat; a resolved one says the beat stopped, which silence shows). */
export async function recordHeartbeat(ctx: IncidentsContext, payload: AlertmanagerPayload): Promise<boolean> {
  if (!payload.alerts.some((a) => a.status === 'firing')) return false;
  await ctx.db.query(
    `insert into ops_alert_heartbeat (id, first_at, last_at) values (1, $1, $1)
     on conflict (id) do update
       set last_at = greatest(ops_alert_heartbeat.last_at, excluded.last_at), beats = ops_alert_heartbeat.beats + 1`,
    [ctx.options.now().toISOString()],
  );
  return true;
}

export interface HeartbeatState {
  /** When the latest beat arrived; undefined: never. */
  lastAt: Date | undefined;
  /**
   * When the silence alert firing now started (an incident is open, or was resolved by hand);
   * undefined: it is not firing.
   */
  silentSince: Date | undefined;
}

/** The latest beat and the silence alert firing now, in one statement. */
export async function heartbeatState(ctx: { db: Queryable }): Promise<HeartbeatState> {
  const { rows } = await ctx.db.query<{ last_at: Date | null; silent_since: Date | null }>(
    `select (select last_at from ops_alert_heartbeat where id = 1) as last_at,
            (select max(starts_at) from ops_incident_alerts
              where fingerprint = $1 and status = 'firing') as silent_since`,
    [SILENT_FINGERPRINT],
  );
  const r = rows[0];
  return { lastAt: r?.last_at ?? undefined, silentSince: r?.silent_since ?? undefined };
}

/**
 * Opens the silence incident when the beat stopped, resolves it when the beat is back; otherwise
 * nothing. Idempotent (the alert instance is the same while the beat stays away).
 * @returns what it did.
 */
export async function checkHeartbeat(ctx: IncidentsContext): Promise<'opened' | 'resolved' | 'none'> {
  const now = ctx.options.now();
  const { lastAt, silentSince } = await heartbeatState(ctx);
  if (!lastAt) return 'none';
  const timeout = ctx.options.heartbeatTimeoutMs;
  const quietFor = now.getTime() - lastAt.getTime();
  if (quietFor > timeout) {
    // The same instance (startsAt) every sweep while the beat stays away: re-sends change nothing.
    const startsAt = new Date(lastAt.getTime() + timeout);
    const result = await apply(ctx, 'firing', startsAt, now, quietFor);
    return result === 'created' || result === 'updated' ? 'opened' : 'none';
  }
  if (!silentSince) return 'none';
  const result = await apply(ctx, 'resolved', silentSince, now, quietFor);
  return result === 'resolved' || result === 'updated' ? 'resolved' : 'none';
}

async function apply(
  ctx: IncidentsContext,
  status: 'firing' | 'resolved',
  startsAt: Date,
  now: Date,
  quietForMs: number,
) {
  const minutes = Math.round(quietForMs / 60_000);
  const labels = {
    alertname: SILENT_ALERT,
    severity: 'P1',
    dependency: 'host',
    correlation: 'serving',
  };
  const payload: AlertmanagerPayload = {
    version: '4',
    groupKey: SILENT_GROUP,
    status,
    receiver: 'cb-self',
    groupLabels: { alertname: SILENT_ALERT },
    commonLabels: labels,
    alerts: [
      {
        status,
        labels,
        annotations: {
          summary: 'No alert can reach anyone: the alerting pipeline is silent',
          description:
            status === 'firing'
              ? `No heartbeat from Prometheus through Alertmanager for ${minutes} minutes (it comes every minute): Prometheus or Alertmanager is down, cannot reach cb, or no longer scrapes it. Until it is back, no alert fires and nothing else pages.`
              : `The heartbeat is back after ${minutes} minutes without: alerts reach the on-call again.`,
          runbook_url: `docs/runbooks/${SILENT_ALERT}.md`,
        },
        startsAt: startsAt.toISOString(),
        ...(status === 'resolved' ? { endsAt: now.toISOString() } : {}),
        fingerprint: SILENT_FINGERPRINT,
      },
    ],
  };
  const group = readPayload(payload, ctx.options.defaultSeverity, now);
  const result = await applyAlertGroup(ctx, group, now);
  if (result.outcome === 'created' || result.outcome === 'resolved')
    ctx.logger[status === 'firing' ? 'error' : 'info'](
      status === 'firing' ? 'alerting pipeline silent: incident opened' : 'alerting pipeline back',
      { context: { incidentId: result.incidentId }, metrics: { quietForMs } },
    );
  await applyEffects(ctx, result.effects);
  return result.outcome;
}
