/**
 * Status update reminders (seed 3.3 step 7 状态更新: 定期更新问题状态和进展). An acknowledged
 * incident of a severity with an interval (`updateEvery`, CB_INCIDENT_UPDATE_EVERY: P0 30 and P1 60
 * minutes by default) is due a status update that interval after the latest of its acknowledgement,
 * its last status update, and the last reminder. The sweep finds those past due and reminds the
 * update channels (Slack by default) of every escalation step notified so far — "no status update
 * for 30 minutes: post one" — with an `update_due` timeline entry and `cb_incident_update_reminders_total`.
 * Posting an update restarts the interval; a reminder never repeats within one.
 */
import { applyEffects, type IncidentsContext } from './context.ts';
import { lockIncident } from './incident-record.ts';
import { insertNotifications, planNotifications, stepsUpTo } from './plan-notifications.ts';
import { appendTimeline } from './timeline.ts';
import type { Severity } from './types.ts';

/** The latest of acknowledgement, last status update and last reminder; SQL over `ops_incidents i`. */
const SINCE = `greatest(i.acknowledged_at, i.update_reminded_at,
  (select max(t.at) from ops_incident_timeline t where t.incident_id = i.id and t.kind = 'status_update'))`;

/** Reminds every acknowledged incident past its update interval; returns how many were reminded. */
export async function remindDueUpdates(ctx: IncidentsContext): Promise<number> {
  const every = Object.entries(ctx.options.updateEvery) as [Severity, number][];
  if (every.length === 0) return 0;
  const now = ctx.options.now();
  const due = await ctx.db.query<{ id: string }>(
    `select i.id::text as id from ops_incidents i
       join unnest($1::text[], $2::int[]) as e(severity, minutes) on e.severity = i.severity
      where i.state = 'acknowledged' and ${SINCE} + make_interval(mins => e.minutes) <= $3
      order by i.id limit 200`,
    [every.map(([s]) => s), every.map(([, m]) => m), now.toISOString()],
  );
  let reminded = 0;
  for (const { id } of due.rows) if (await remindOne(ctx, id)) reminded++;
  return reminded;
}

/** One reminder, checked again under the incident's lock (a concurrent update or sweep wins). */
async function remindOne(ctx: IncidentsContext, id: string): Promise<boolean> {
  const now = ctx.options.now();
  const result = await ctx.db.transaction(async (tx) => {
    const row = await lockIncident(tx, id);
    if (row?.state !== 'acknowledged') return undefined;
    const minutes = ctx.options.updateEvery[row.severity];
    if (minutes === undefined) return undefined;
    const since = await tx.query<{ since: Date | null }>(
      `select ${SINCE} as since from ops_incidents i where i.id = $1`,
      [id],
    );
    const last = since.rows[0]?.since;
    if (!last || new Date(last).getTime() + minutes * 60_000 > now.getTime()) return undefined;
    await tx.query('update ops_incidents set update_reminded_at = $2 where id = $1', [id, now.toISOString()]);
    const quiet = Math.round((now.getTime() - new Date(last).getTime()) / 60_000);
    const text = `No status update for ${quiet} minutes (every ${minutes} minutes for ${row.severity}): post one with what is known, what is being done and when the next update comes.`;
    await appendTimeline(tx, id, now, [
      { kind: 'update_due', actor: null, message: text, data: { minutes } },
    ]);
    const notifications = await insertNotifications(
      tx,
      id,
      'update_due',
      planNotifications(ctx.options, stepsUpTo(row.escalation_step), ctx.options.updateChannels),
      { severity: row.severity, text },
      now,
    );
    return { severity: row.severity, notifications };
  });
  if (!result) return false;
  ctx.metrics.incidentUpdateReminders.inc({ severity: result.severity });
  ctx.logger.info('incident status update due', { context: { incidentId: id, severity: result.severity } });
  await applyEffects(ctx, { notifications: result.notifications });
  return true;
}
