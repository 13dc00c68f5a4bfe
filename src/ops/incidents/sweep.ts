/**
 * The safety net, run by a cron job (every minute by default) and by anyone who calls it: escalates
 * incidents whose deadline passed without their timer firing (a lost job, a restart between commit
 * and arming), reminds the update channels of acknowledged incidents due a status update
 * (remind-updates.ts) and of open action items past their due date (remind-actions.ts), and queues
 * notifications whose delivery job was never sent, and checks the alerting pipeline's heartbeat
 * (alerting-heartbeat.ts). All idempotent.
 */
import { checkHeartbeat } from './alerting-heartbeat.ts';
import { type IncidentsContext, queueDeliveries } from './context.ts';
import { escalateIncident } from './escalate-incident.ts';
import { remindOverdueActions } from './remind-actions.ts';
import { remindDueUpdates } from './remind-updates.ts';
import type { Channel } from './types.ts';

export interface SweepResult {
  /** The alerting pipeline's heartbeat: its silence opened or resolved cb's own incident. */
  heartbeat: 'opened' | 'resolved' | 'none';
  escalated: number;
  /** Acknowledged incidents reminded that a status update is due. */
  updatesDue: number;
  /** Open action items past their due date reminded. */
  actionsOverdue: number;
  requeued: number;
}

export async function sweepIncidents(ctx: IncidentsContext): Promise<SweepResult> {
  const now = ctx.options.now();
  const due = await ctx.db.query<{ id: string; escalation_step: number }>(
    `select id, escalation_step from ops_incidents
      where state = 'triggered' and next_escalation_at <= $1 order by next_escalation_at limit 200`,
    [now.toISOString()],
  );
  let escalated = 0;
  for (const r of due.rows) {
    if ((await escalateIncident(ctx, r.id, r.escalation_step)) === 'escalated') escalated++;
  }
  const updatesDue = await remindDueUpdates(ctx);
  const actionsOverdue = await remindOverdueActions(ctx);
  const lost = await ctx.db.query<{ id: string; channel: Channel }>(
    `select id, channel from ops_notifications
      where queued_at is null and state = 'pending' and created_at <= $1 order by id limit 2000`,
    [new Date(now.getTime() - ctx.options.requeueAfterMs).toISOString()],
  );
  const requeued = await queueDeliveries(ctx, lost.rows);
  const heartbeat = await checkHeartbeat(ctx);
  if (escalated > 0 || updatesDue > 0 || actionsOverdue > 0 || requeued > 0)
    ctx.logger.info('incident sweep', { metrics: { escalated, updatesDue, actionsOverdue, requeued } });
  return { escalated, updatesDue, actionsOverdue, requeued, heartbeat };
}
