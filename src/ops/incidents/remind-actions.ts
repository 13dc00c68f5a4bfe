/**
 * Overdue action item reminders (seed 3.3 step 10 事后分析: 改进措施; 9 持续改进). An open action
 * item past its due date is reminded on the update channels (Slack by default) of every escalation
 * step its incident notified — "Action item #4 is overdue: Alert on Redis memory (owner ana), due
 * 2026-05-06 00:00 UTC, 33 hours late" — once when the sweep first finds it overdue, then once every
 * `actionRemindEveryMinutes` (CB_INCIDENT_ACTION_REMIND_EVERY, a day by default) while it stays open
 * and overdue, each with an `action_overdue` timeline entry on its incident and
 * `cb_incident_action_reminders_total`. Done, dropped, undated or moved into the future: no more.
 * The last reminder is `ops_incident_actions.reminded_at`, set in the transaction that writes the
 * notifications, so a reminder is sent once whatever the crashes and concurrent sweeps.
 */
import { applyEffects, type IncidentsContext } from './context.ts';
import { lockIncident } from './incident-record.ts';
import { insertNotifications, planNotifications, stepsUpTo } from './plan-notifications.ts';
import { appendTimeline } from './timeline.ts';
import type { Channel, Severity } from './types.ts';

/**
 * Due a reminder, SQL over `ops_incident_actions a` with `$1` = now and `$2` = now − the interval:
 * open and past due, never reminded, or last reminded before its due date (it was moved since, and
 * falling overdue again is news), or longer ago than the interval.
 */
const DUE = `a.status = 'open' and a.due_at < $1
  and (a.reminded_at is null or a.reminded_at < a.due_at or a.reminded_at <= $2)`;

/** Most items reminded by one sweep (the next sweep takes the rest, oldest due date first). */
const BATCH = 200;

/** Reminds every open action item due a reminder; returns how many were reminded. */
export async function remindOverdueActions(ctx: IncidentsContext): Promise<number> {
  const every = ctx.options.actionRemindEveryMinutes;
  if (every === null) return 0;
  const now = ctx.options.now();
  const due = await ctx.db.query<{ id: string; incident_id: string }>(
    `select a.id::text as id, a.incident_id::text as incident_id from ops_incident_actions a
      where ${DUE} order by a.due_at, a.id limit ${BATCH}`,
    [now.toISOString(), new Date(now.getTime() - every * 60_000).toISOString()],
  );
  let reminded = 0;
  for (const { id, incident_id } of due.rows) {
    // One item that fails (a lock timeout, a bad row) must not hold back the others, nor the rest
    // of the sweep: it is tried again at the next one.
    try {
      if (await remindOne(ctx, incident_id, id, every)) reminded++;
    } catch (err) {
      ctx.logger.warn('overdue action item not reminded; tried again at the next sweep', {
        err,
        context: { incidentId: incident_id, actionId: id },
      });
    }
  }
  return reminded;
}

interface Reminded {
  severity: Severity;
  notifications: { id: string; channel: Channel }[];
}

/**
 * One reminder, checked again under the incident's lock and the item's (the order every change of
 * an item takes): a concurrent sweep that reminded it first, or a change that closed or moved it,
 * wins.
 */
async function remindOne(
  ctx: IncidentsContext,
  incidentId: string,
  actionId: string,
  every: number,
): Promise<boolean> {
  const now = ctx.options.now();
  const result = await ctx.db.transaction(async (tx): Promise<Reminded | undefined> => {
    const incident = await lockIncident(tx, incidentId);
    if (!incident) return undefined;
    const { rows } = await tx.query<{ title: string; owner: string | null; due_at: Date }>(
      `select a.title, a.owner, a.due_at from ops_incident_actions a
        where a.id = $3 and a.incident_id = $4 and ${DUE} for update`,
      [now.toISOString(), new Date(now.getTime() - every * 60_000).toISOString(), actionId, incidentId],
    );
    const item = rows[0];
    if (!item) return undefined;
    await tx.query('update ops_incident_actions set reminded_at = $2 where id = $1', [
      actionId,
      now.toISOString(),
    ]);
    const dueAt = new Date(item.due_at);
    const text = `Action item #${actionId} is overdue: ${item.title} (owner ${item.owner ?? 'not set'}), due ${utcMinute(dueAt)}, ${lateBy(now.getTime() - dueAt.getTime())} late. Mark it done, drop it with a note saying why, or move its due date.`;
    await appendTimeline(tx, incidentId, now, [
      {
        kind: 'action_overdue',
        actor: null,
        message: text,
        data: { actionId, owner: item.owner, dueAt: dueAt.toISOString(), everyMinutes: every },
      },
    ]);
    const notifications = await insertNotifications(
      tx,
      incidentId,
      'action_overdue',
      planNotifications(ctx.options, stepsUpTo(incident.escalation_step), ctx.options.updateChannels),
      { severity: incident.severity, text, actionId },
      now,
    );
    return { severity: incident.severity, notifications };
  });
  if (!result) return false;
  // Counted when it went somewhere (no update channel configured: the timeline entry only).
  if (result.notifications.length > 0) ctx.metrics.incidentActionReminders.inc();
  ctx.logger.info('incident action item overdue', {
    context: { incidentId, actionId, severity: result.severity },
  });
  await applyEffects(ctx, { notifications: result.notifications });
  return true;
}

/** `2026-05-06 00:00 UTC`. */
function utcMinute(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `45 minutes`, `30 hours`, `3 days`: in the largest unit of which there are at least two. */
function lateBy(ms: number): string {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.floor(hours / 24)} days`;
}
