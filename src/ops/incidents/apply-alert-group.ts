/**
 * One Alertmanager webhook call → one incident change, in one transaction (seed 3.2: a group is
 * one incident; later alerts of the group attach to it as updates).
 *
 * - The group is serialised with a transaction-scoped advisory lock on its `groupKey`, so
 *   concurrent deliveries of one group never open two incidents.
 * - An alert is one instance of a label set: `fingerprint` + `startsAt`. Re-sends of what is already
 *   recorded change nothing (a `repeat` entry at most); an older instance arriving late is ignored.
 * - Open incident of the group (triggered/acknowledged): new or re-fired alerts are added; a more
 *   urgent alert raises the severity (notifying everyone paged so far on the new severity's
 *   channels and pulling the ack deadline in); when every alert has resolved, the incident resolves.
 * - No open incident: an alert instance not seen before that is firing opens a NEW incident (a
 *   re-trigger after resolution is a new incident linked to the previous one: its own escalation
 *   from step 1, its own MTTA/MTTR sample and postmortem). Otherwise the payload only updates the
 *   alerts of the latest incident (e.g. Alertmanager resolving alerts of an incident an operator
 *   already resolved). A resolved-only payload for an unknown group is ignored.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../../platform/db/create-db.ts';
import type { IncomingAlert, IncomingGroup } from './alertmanager-payload.ts';
import type { Effects, IncidentsContext } from './context.ts';
import { type AlertRow, type IncidentRow, loadAlerts } from './incident-record.ts';
import { markResolved } from './mark-resolved.ts';
import { insertNotifications, planNotifications, stepsUpTo } from './plan-notifications.ts';
import { ackDeadline } from './response-targets.ts';
import {
  appendTimeline,
  recordRepeat,
  type TimelineInput,
  timelineRows,
  timelineSelect,
} from './timeline.ts';
import { type Channel, higherSeverity, isMoreUrgent, type Severity } from './types.ts';

/** `heartbeat`: the payload was the alerting pipeline's heartbeat (alerting-heartbeat.ts), recorded only. */
export type ApplyOutcome = 'created' | 'updated' | 'resolved' | 'repeat' | 'ignored' | 'heartbeat';

export interface ApplyResult {
  incidentId: string | null;
  outcome: ApplyOutcome;
  effects: Effects;
}

interface Known {
  status: 'firing' | 'resolved';
  startsAt: number;
  severity: Severity;
  endsAt: number | null;
}

type Change = { alert: IncomingAlert; kind: 'firing' | 'resolved' };

/** A signed 64-bit advisory-lock key for a group (decimal string). */
export function groupLockKey(groupKey: string): string {
  return createHash('sha256')
    .update(`ops-incident-group\u0000${groupKey}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

function knownOf(rows: readonly AlertRow[]): Map<string, Known> {
  return new Map(
    rows.map((r) => [
      r.fingerprint,
      {
        status: r.status,
        startsAt: r.starts_at.getTime(),
        severity: r.severity,
        endsAt: r.ends_at?.getTime() ?? null,
      },
    ]),
  );
}

/** What the payload changes against what is recorded (see the module comment). */
export function diffAlerts(known: ReadonlyMap<string, Known>, alerts: readonly IncomingAlert[]): Change[] {
  const changes: Change[] = [];
  for (const a of alerts) {
    const k = known.get(a.fingerprint);
    const starts = a.startsAt.getTime();
    if (!k) changes.push({ alert: a, kind: a.status });
    else if (a.status === 'firing') {
      if (starts > k.startsAt) changes.push({ alert: a, kind: 'firing' });
    } else if (k.status === 'firing' && starts >= k.startsAt) changes.push({ alert: a, kind: 'resolved' });
  }
  return changes;
}

const ALERT_COLUMNS = `fingerprint text, alertname text, severity text, status text, starts_at timestamptz,
            ends_at timestamptz, labels jsonb, annotations jsonb, generator_url text`;

function alertRows(changes: readonly Change[]): string {
  return JSON.stringify(
    changes.map(({ alert: a }) => ({
      fingerprint: a.fingerprint,
      alertname: a.alertname,
      severity: a.severity,
      status: a.status,
      starts_at: a.startsAt.toISOString(),
      ends_at: a.endsAt?.toISOString() ?? null,
      labels: a.labels,
      annotations: a.annotations,
      generator_url: a.generatorUrl,
    })),
  );
}

async function upsertAlerts(tx: Queryable, incidentId: string, changes: readonly Change[], now: Date) {
  if (changes.length === 0) return;
  await tx.query(
    `insert into ops_incident_alerts
       (incident_id, fingerprint, alertname, severity, status, starts_at, ends_at, labels, annotations,
        generator_url, first_seen_at, last_seen_at)
     select $1, x.fingerprint, x.alertname, x.severity, x.status, x.starts_at, x.ends_at, x.labels,
            x.annotations, x.generator_url, $2, $2
       from jsonb_to_recordset($3::jsonb) as x(${ALERT_COLUMNS})
     on conflict (incident_id, fingerprint) do update set
       alertname = excluded.alertname, severity = excluded.severity, status = excluded.status,
       starts_at = excluded.starts_at, ends_at = excluded.ends_at, labels = excluded.labels,
       annotations = excluded.annotations, generator_url = excluded.generator_url,
       last_seen_at = excluded.last_seen_at`,
    [incidentId, now.toISOString(), alertRows(changes)],
  );
}

function alertEntries(changes: readonly Change[]): TimelineInput[] {
  return changes.map(({ alert: a, kind }) => ({
    kind: kind === 'firing' ? 'alert_firing' : 'alert_resolved',
    actor: 'alertmanager',
    at: kind === 'resolved' && a.endsAt ? a.endsAt : kind === 'firing' ? a.startsAt : undefined,
    message: `${a.alertname} (${a.severity}) ${kind}${a.annotations.summary ? `: ${a.annotations.summary}` : ''}`,
    data: { fingerprint: a.fingerprint, alertname: a.alertname, severity: a.severity, labels: a.labels },
  }));
}

export async function applyAlertGroup(
  ctx: IncidentsContext,
  group: IncomingGroup,
  now: Date,
): Promise<ApplyResult> {
  const o = ctx.options;
  return ctx.db.transaction(async (tx): Promise<ApplyResult> => {
    // PGlite runs one transaction at a time: the lock matters on PostgreSQL only.
    if (ctx.db.driver === 'pg')
      await tx.query('select pg_advisory_xact_lock($1::bigint)', [groupLockKey(group.groupKey)]);
    const latest = (
      await tx.query<IncidentRow>(
        'select * from ops_incidents where group_key = $1 order by id desc limit 1 for update',
        [group.groupKey],
      )
    ).rows[0];
    const open = latest !== undefined && (latest.state === 'triggered' || latest.state === 'acknowledged');
    const latestKnown = latest ? knownOf(await loadAlerts(tx, latest.id)) : new Map<string, Known>();

    if (!open) {
      const fresh = group.alerts.filter(
        (a) => a.status === 'firing' && latestKnown.get(a.fingerprint)?.startsAt !== a.startsAt.getTime(),
      );
      if (fresh.length > 0) return openIncident(tx, ctx, group, latest, latestKnown, now);
      if (!latest) return { incidentId: null, outcome: 'ignored', effects: { notifications: [] } };
    }
    const row = latest!;
    const changes = diffAlerts(latestKnown, group.alerts);
    if (changes.length === 0) {
      await recordRepeat(tx, row.id, now);
      return { incidentId: row.id, outcome: 'repeat', effects: { notifications: [] } };
    }
    await upsertAlerts(tx, row.id, changes, now);
    const entries = alertEntries(changes);
    if (!open) {
      await appendTimeline(tx, row.id, now, entries);
      await tx.query('update ops_incidents set updated_at = $2 where id = $1', [row.id, now.toISOString()]);
      return { incidentId: row.id, outcome: 'updated', effects: { notifications: [] } };
    }

    const merged = new Map(latestKnown);
    for (const { alert: a } of changes)
      merged.set(a.fingerprint, {
        status: a.status,
        startsAt: a.startsAt.getTime(),
        severity: a.severity,
        endsAt: a.endsAt?.getTime() ?? null,
      });
    const effects: Effects = { notifications: [] };
    let severity = row.severity;
    for (const k of merged.values()) severity = higherSeverity(severity, k.severity);
    const raised = isMoreUrgent(severity, row.severity);
    const allResolved = [...merged.values()].every((k) => k.status === 'resolved');

    if (raised) {
      entries.push({
        kind: 'severity_raised',
        actor: 'alertmanager',
        message: `severity raised from ${row.severity} to ${severity}`,
        data: { from: row.severity, to: severity },
      });
    }
    if (allResolved) {
      // The incident ends with this change: one resolution (its severity included), no re-page.
      const lastEnd = Math.max(...[...merged.values()].map((k) => k.endsAt ?? now.getTime()));
      const resolved = await markResolved(
        tx,
        ctx,
        { ...row, severity },
        {
          actor: 'alertmanager',
          resolvedAt: new Date(Math.min(lastEnd, now.getTime())),
          now,
          message: 'every alert of the group resolved',
          before: entries,
        },
      );
      return { incidentId: row.id, outcome: 'resolved', effects: resolved.effects };
    }
    if (raised) {
      let deadline = row.next_escalation_at;
      if (row.state === 'triggered') {
        const sooner = ackDeadline(severity, now, o.calendar, o.responseTargets);
        if (deadline === null || sooner < deadline) deadline = sooner;
      }
      await tx.query(
        `update ops_incidents set severity = $2, ack_deadline = coalesce($3, ack_deadline),
                next_escalation_at = $3, updated_at = $4 where id = $1`,
        [row.id, severity, deadline?.toISOString() ?? null, now.toISOString()],
      );
      if (deadline && row.state === 'triggered')
        effects.escalation = { incidentId: row.id, step: row.escalation_step, at: deadline };
      effects.notifications.push(
        ...(await insertNotifications(
          tx,
          row.id,
          'severity_raised',
          planNotifications(o, stepsUpTo(row.escalation_step), o.channels[severity]),
          { severity, previousSeverity: row.severity },
          now,
        )),
      );
    } else {
      await tx.query('update ops_incidents set updated_at = $2 where id = $1', [row.id, now.toISOString()]);
    }
    await appendTimeline(tx, row.id, now, entries);
    return { incidentId: row.id, outcome: 'updated', effects };
  });
}

async function openIncident(
  tx: Queryable,
  ctx: IncidentsContext,
  group: IncomingGroup,
  previous: IncidentRow | undefined,
  previousKnown: ReadonlyMap<string, Known>,
  now: Date,
): Promise<ApplyResult> {
  const o = ctx.options;
  // The new incident takes the firing alerts and any resolved one the previous incident never saw.
  const alerts = group.alerts.filter((a) => a.status === 'firing' || !previousKnown.has(a.fingerprint));
  const firing = alerts.filter((a) => a.status === 'firing');
  const severity = alerts.map((a) => a.severity).reduce(higherSeverity);
  const startedAt = new Date(Math.min(...firing.map((a) => a.startsAt.getTime()), now.getTime()));
  const deadline = ackDeadline(severity, now, o.calendar, o.responseTargets);
  const changes = alerts.map((alert) => ({ alert, kind: alert.status }));
  const stepName = o.escalation[0]?.name ?? 'step 1';
  const entries: TimelineInput[] = [
    {
      kind: 'triggered',
      actor: 'alertmanager',
      message: `${severity} incident opened: ${group.title}; ${stepName} must acknowledge by ${deadline.toISOString()}`,
      data: {
        groupKey: group.groupKey,
        alerts: alerts.length,
        ackDeadline: deadline.toISOString(),
        ...(previous ? { previousId: previous.id } : {}),
      },
    },
    ...alertEntries(changes),
  ];
  const plans = planNotifications(o, [0], o.channels[severity]);
  // One statement: the incident, its alerts, its first timeline entries and its notifications.
  const { rows } = await tx.query<IncidentRow & { notifications: { id: string; channel: Channel }[] }>(
    `with inc as (
       insert into ops_incidents (group_key, dependency, title, severity, state, previous_id, started_at,
              created_at, escalation_step, ack_deadline, next_escalation_at, updated_at, group_labels)
       values ($1, $2, $3, $4, 'triggered', $5, $6, $7, 0, $8, $8, $7, $9::jsonb) returning *
     ), al as (
       insert into ops_incident_alerts (incident_id, fingerprint, alertname, severity, status, starts_at, ends_at,
              labels, annotations, generator_url, first_seen_at, last_seen_at)
       select inc.id, x.fingerprint, x.alertname, x.severity, x.status, x.starts_at, x.ends_at, x.labels,
              x.annotations, x.generator_url, $7, $7
         from inc, jsonb_to_recordset($10::jsonb) as x(${ALERT_COLUMNS})
     ), tl as (
       insert into ops_incident_timeline (incident_id, at, kind, actor, message, data)
       select inc.id, x.at, x.kind, x.actor, x.message, coalesce(x.data, '{}'::jsonb)
         from inc, ${timelineSelect('$11')}
        order by x.n
     ), nt as (
       insert into ops_notifications (incident_id, kind, channel, step, recipients, message, created_at)
       select inc.id, 'triggered', x.channel, x.step, x.recipients, $12::jsonb, $7
         from inc, jsonb_to_recordset($13::jsonb) as x(channel text, step int, recipients jsonb)
       returning id, channel
     )
     select inc.*,
            coalesce((select jsonb_agg(jsonb_build_object('id', nt.id::text, 'channel', nt.channel) order by nt.id)
                        from nt), '[]'::jsonb) as notifications
       from inc`,
    [
      group.groupKey,
      group.dependency,
      group.title,
      severity,
      previous?.id ?? null,
      startedAt.toISOString(),
      now.toISOString(),
      deadline.toISOString(),
      JSON.stringify(group.groupLabels),
      alertRows(changes),
      timelineRows(entries, now),
      JSON.stringify({ severity }),
      JSON.stringify(plans),
    ],
  );
  const { notifications, ...row } = rows[0]!;
  if (previous) {
    await appendTimeline(tx, previous.id, now, [
      {
        kind: 'retriggered',
        actor: 'alertmanager',
        message: `the group fired again after resolution: incident #${row.id}`,
        data: { nextId: row.id },
      },
    ]);
  }
  return {
    incidentId: row.id,
    outcome: 'created',
    effects: { notifications, escalation: { incidentId: row.id, step: 0, at: deadline } },
  };
}
