/**
 * Resolution, whoever resolves (Alertmanager when every alert of the group resolved, or an
 * operator): the state changes, escalation stops, a recovery notice goes to everyone paged so far
 * on the recovery channels the incident used (seed 3.3 step 9), and the postmortem draft is written.
 * Runs inside the caller's transaction, in three statements.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { buildPostmortemDraft } from './build-postmortem.ts';
import type { Effects, IncidentsContext } from './context.ts';
import type { AlertRow, IncidentRow, TimelineRow } from './incident-record.ts';
import { planNotifications, stepsUpTo } from './plan-notifications.ts';
import { type TimelineInput, timelineRows, timelineSelect } from './timeline.ts';
import type { Channel } from './types.ts';

export interface ResolveFacts {
  actor: string;
  /** When the problem ended (the last alert's endsAt, or now). */
  resolvedAt: Date;
  now: Date;
  message: string;
  data?: Record<string, unknown>;
  /** Timeline entries of the same change to write before `resolved` (the alerts resolving). */
  before?: readonly TimelineInput[];
}

type Json<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

export async function markResolved(
  tx: Queryable,
  ctx: IncidentsContext,
  row: IncidentRow,
  facts: ResolveFacts,
): Promise<{ row: IncidentRow; effects: Effects }> {
  const resolvedAt = new Date(Math.max(facts.resolvedAt.getTime(), row.created_at.getTime()));
  const entries: TimelineInput[] = [
    ...(facts.before ?? []),
    { kind: 'resolved', actor: facts.actor, message: facts.message, data: facts.data },
  ];
  // 1. The incident, its timeline, and the channels it used so far.
  const { used_channels, ...updated } = (
    await tx.query<IncidentRow & { used_channels: Channel[] }>(
      `with u as (
         update ops_incidents
            set state = 'resolved', resolved_at = $2, resolved_by = $3, next_escalation_at = null,
                severity = $6, updated_at = $4
          where id = $1 returning *
       ), t as (
         insert into ops_incident_timeline (incident_id, at, kind, actor, message, data)
         select $1, x.at, x.kind, x.actor, x.message, coalesce(x.data, '{}'::jsonb) from ${timelineSelect('$5')}
          order by x.n
       )
       select u.*,
              (select coalesce(jsonb_agg(distinct channel), '[]'::jsonb) from ops_notifications where incident_id = $1)
                as used_channels
         from u`,
      [
        row.id,
        resolvedAt.toISOString(),
        facts.actor,
        facts.now.toISOString(),
        timelineRows(entries, facts.now),
        row.severity,
      ],
    )
  ).rows[0]!;

  // 2. What the postmortem draft is made of (the entries above included).
  const story = (
    await tx.query<{ alerts: Json<AlertRow>[]; timeline: Json<TimelineRow>[] }>(
      `select (select coalesce(jsonb_agg(a order by a.starts_at, a.fingerprint), '[]'::jsonb)
                 from ops_incident_alerts a where a.incident_id = $1) as alerts,
              (select coalesce(jsonb_agg(t order by t.at, t.id), '[]'::jsonb)
                 from ops_incident_timeline t where t.incident_id = $1) as timeline`,
      [row.id],
    )
  ).rows[0]!;
  const date = (v: string | null) => (v === null ? null : new Date(v));
  const draft = buildPostmortemDraft({
    incident: updated,
    alerts: story.alerts.map((a) => ({
      ...a,
      incident_id: String(a.incident_id),
      starts_at: new Date(a.starts_at),
      ends_at: date(a.ends_at),
      first_seen_at: new Date(a.first_seen_at),
      last_seen_at: new Date(a.last_seen_at),
    })),
    timeline: story.timeline.map((t) => ({
      ...t,
      id: String(t.id),
      incident_id: String(t.incident_id),
      at: new Date(t.at),
    })),
    stepNames: ctx.options.escalation.map((s) => s.name),
    generatedAt: facts.now,
    publicUrl: ctx.options.publicUrl,
  });

  // 3. The recovery notifications and the postmortem.
  const channels = ctx.options.recoveryChannels.filter((c) => used_channels.includes(c));
  const plans = planNotifications(ctx.options, stepsUpTo(row.escalation_step), channels);
  const { rows } = await tx.query<{ notifications: { id: string; channel: Channel }[] }>(
    `with n as (
       insert into ops_notifications (incident_id, kind, channel, step, recipients, message, created_at)
       select $1, 'recovery', x.channel, x.step, x.recipients, $2::jsonb, $3
         from jsonb_to_recordset($4::jsonb) as x(channel text, step int, recipients jsonb)
       returning id, channel
     ), p as (
       insert into ops_postmortems (incident_id, draft, body, created_at) values ($1, $5, $5, $3)
       on conflict (incident_id) do nothing
     )
     select coalesce((select jsonb_agg(jsonb_build_object('id', n.id::text, 'channel', n.channel) order by n.id)
                        from n), '[]'::jsonb) as notifications`,
    [
      row.id,
      JSON.stringify({ severity: row.severity, resolvedBy: facts.actor }),
      facts.now.toISOString(),
      JSON.stringify(plans),
      draft,
    ],
  );
  return {
    row: updated,
    effects: {
      notifications: rows[0]!.notifications,
      resolved: { severity: row.severity, seconds: (resolvedAt.getTime() - row.created_at.getTime()) / 1000 },
    },
  };
}
