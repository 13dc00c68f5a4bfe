/**
 * Appends to an incident's timeline — every alert firing or resolving, notification sent or failed,
 * acknowledgement, escalation, status update and note — in the caller's transaction, one statement
 * per call. A repeated webhook payload that changes nothing adds one `repeat` entry, or bumps the
 * count of the last entry when that is already a repeat, so re-sends never grow the timeline.
 */
import type { Queryable } from '../../platform/db/create-db.ts';

export type TimelineKind =
  | 'triggered'
  | 'retriggered'
  | 'alert_firing'
  | 'alert_resolved'
  | 'repeat'
  | 'severity_raised'
  | 'notification_sent'
  | 'notification_failed'
  | 'acknowledged'
  | 'escalated'
  | 'escalation_exhausted'
  | 'status_update'
  | 'update_due'
  | 'note'
  | 'resolved'
  | 'closed'
  | 'postmortem_edited'
  | 'action_added'
  | 'action_updated'
  | 'action_overdue';

export interface TimelineInput {
  kind: TimelineKind;
  message: string;
  actor?: string | null | undefined;
  data?: Record<string, unknown> | undefined;
  /** @defaultValue the `at` of the call */
  at?: Date | undefined;
}

/** The JSON rows of `entries` for the insert (times default to `at`). */
export function timelineRows(entries: readonly TimelineInput[], at: Date): string {
  return JSON.stringify(
    entries.map((e) => ({
      at: (e.at ?? at).toISOString(),
      kind: e.kind,
      actor: e.actor ?? null,
      message: e.message,
      data: e.data ?? {},
    })),
  );
}

/** `select` of the rows of `timelineRows` (parameter `$n`), in order. */
export function timelineSelect(param: string): string {
  return `rows from (jsonb_to_recordset(${param}::jsonb)
              as (at timestamptz, kind text, actor text, message text, data jsonb))
            with ordinality as x(at, kind, actor, message, data, n)`;
}

/** Inserts `entries` in order; returns their ids. */
export async function appendTimeline(
  tx: Queryable,
  incidentId: string,
  at: Date,
  entries: readonly TimelineInput[],
): Promise<string[]> {
  if (entries.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `insert into ops_incident_timeline (incident_id, at, kind, actor, message, data)
     select $1, x.at, x.kind, x.actor, x.message, coalesce(x.data, '{}'::jsonb)
       from ${timelineSelect('$2')}
      order by x.n
     returning id`,
    [incidentId, timelineRows(entries, at)],
  );
  return rows.map((r) => r.id);
}

/** Records a repeated payload: bumps the last entry when it is a repeat, else appends one. */
export async function recordRepeat(tx: Queryable, incidentId: string, at: Date): Promise<void> {
  const bumped = await tx.query(
    `update ops_incident_timeline t
        set at = $2,
            data = jsonb_set(t.data, '{count}', to_jsonb(coalesce((t.data->>'count')::int, 1) + 1))
       from (select id, kind from ops_incident_timeline where incident_id = $1 order by id desc limit 1) last
      where t.id = last.id and last.kind = 'repeat'`,
    [incidentId, at.toISOString()],
  );
  if (bumped.rowCount > 0) return;
  await appendTimeline(tx, incidentId, at, [
    {
      kind: 'repeat',
      actor: 'alertmanager',
      message: 'Alertmanager re-sent the group; nothing changed',
      data: { count: 1 },
    },
  ]);
}
