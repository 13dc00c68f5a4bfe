/**
 * Resolution, whoever resolves (Alertmanager when every alert of the group resolved, or an
 * operator): the state changes, escalation stops, a recovery notice goes to everyone paged so far
 * on the recovery channels the incident used (seed 3.3 step 9), and the postmortem draft is written.
 * Runs inside the caller's transaction.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { buildPostmortemDraft } from './build-postmortem.ts';
import type { Effects, IncidentsContext } from './context.ts';
import { type IncidentRow, loadAlerts, type TimelineRow } from './incident-record.ts';
import { insertNotifications, planNotifications, stepsUpTo } from './plan-notifications.ts';
import { appendTimeline } from './timeline.ts';
import type { Channel } from './types.ts';

export interface ResolveFacts {
  actor: string;
  /** When the problem ended (the last alert's endsAt, or now). */
  resolvedAt: Date;
  now: Date;
  message: string;
  data?: Record<string, unknown>;
}

export async function markResolved(
  tx: Queryable,
  ctx: IncidentsContext,
  row: IncidentRow,
  facts: ResolveFacts,
): Promise<{ row: IncidentRow; effects: Effects }> {
  const resolvedAt = new Date(Math.max(facts.resolvedAt.getTime(), row.created_at.getTime()));
  const updated = (
    await tx.query<IncidentRow>(
      `update ops_incidents
          set state = 'resolved', resolved_at = $2, resolved_by = $3, next_escalation_at = null, updated_at = $4
        where id = $1 returning *`,
      [row.id, resolvedAt.toISOString(), facts.actor, facts.now.toISOString()],
    )
  ).rows[0]!;
  await appendTimeline(tx, row.id, facts.now, [
    { kind: 'resolved', actor: facts.actor, message: facts.message, data: facts.data },
  ]);

  const used = (
    await tx.query<{ channel: Channel }>(
      'select distinct channel from ops_notifications where incident_id = $1',
      [row.id],
    )
  ).rows.map((r) => r.channel);
  const channels = ctx.options.recoveryChannels.filter((c) => used.includes(c));
  const notifications = await insertNotifications(
    tx,
    row.id,
    'recovery',
    planNotifications(ctx.options, stepsUpTo(row.escalation_step), channels),
    { severity: row.severity, resolvedBy: facts.actor },
    facts.now,
  );

  const alerts = await loadAlerts(tx, row.id);
  const timeline = (
    await tx.query<TimelineRow>(
      'select * from ops_incident_timeline where incident_id = $1 order by at, id',
      [row.id],
    )
  ).rows;
  const draft = buildPostmortemDraft({
    incident: updated,
    alerts,
    timeline,
    stepNames: ctx.options.escalation.map((s) => s.name),
    generatedAt: facts.now,
  });
  await tx.query(
    `insert into ops_postmortems (incident_id, draft, body, created_at) values ($1, $2, $2, $3)
     on conflict (incident_id) do nothing`,
    [row.id, draft, facts.now.toISOString()],
  );
  return {
    row: updated,
    effects: {
      notifications,
      resolved: { severity: row.severity, seconds: (resolvedAt.getTime() - row.created_at.getTime()) / 1000 },
    },
  };
}
