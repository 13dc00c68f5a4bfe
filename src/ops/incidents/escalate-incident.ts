/**
 * Escalation after a missed response target (seed 3.1): an incident still `triggered` when its ack
 * deadline passes moves to the next step of the escalation policy — recorded in the timeline,
 * counted in `cb_escalations_total`, that step notified on the severity's channels — and the next
 * step's clock starts (the same response target, counted from the escalation). After the last step
 * the incident stays there (`escalation_exhausted` in the timeline).
 *
 * Called by the delayed escalation job armed at each deadline and by the sweep; both are safe to
 * run twice or late: `expectedStep` must still be the incident's step, and acknowledging or
 * resolving clears `next_escalation_at`, which stops everything.
 */
import type { Effects, IncidentsContext } from './context.ts';
import { applyEffects } from './context.ts';
import { lockIncident } from './incident-record.ts';
import { insertNotifications, planNotifications } from './plan-notifications.ts';
import { ackDeadline } from './response-targets.ts';
import { appendTimeline } from './timeline.ts';

export type EscalationOutcome = 'escalated' | 'exhausted' | 'not-due' | 'stopped';

export async function escalateIncident(
  ctx: IncidentsContext,
  incidentId: string,
  expectedStep: number,
): Promise<EscalationOutcome> {
  const o = ctx.options;
  const result = await ctx.db.transaction(
    async (tx): Promise<{ outcome: EscalationOutcome; effects: Effects }> => {
      const none = { notifications: [] };
      const row = await lockIncident(tx, incidentId);
      if (row?.state !== 'triggered' || row.escalation_step !== expectedStep || !row.next_escalation_at)
        return { outcome: 'stopped', effects: none };
      const now = o.now();
      if (row.next_escalation_at > now) {
        // Armed early (clock skew, or the deadline moved later): arm again for the real deadline.
        return {
          outcome: 'not-due',
          effects: {
            notifications: [],
            escalation: { incidentId, step: expectedStep, at: row.next_escalation_at },
          },
        };
      }
      const from = o.escalation[expectedStep]?.name ?? `step ${expectedStep + 1}`;
      const nextStep = expectedStep + 1;
      const next = o.escalation[nextStep];
      if (!next) {
        await tx.query('update ops_incidents set next_escalation_at = null, updated_at = $2 where id = $1', [
          incidentId,
          now.toISOString(),
        ]);
        await appendTimeline(tx, incidentId, now, [
          {
            kind: 'escalation_exhausted',
            actor: 'system',
            message: `not acknowledged by ${row.next_escalation_at.toISOString()}; "${from}" is the last escalation step`,
            data: { step: expectedStep, missedDeadline: row.next_escalation_at.toISOString() },
          },
        ]);
        return { outcome: 'exhausted', effects: none };
      }
      const deadline = ackDeadline(row.severity, now, o.calendar, o.responseTargets);
      await tx.query(
        `update ops_incidents set escalation_step = $2, ack_deadline = $3, next_escalation_at = $3, updated_at = $4
        where id = $1`,
        [incidentId, nextStep, deadline.toISOString(), now.toISOString()],
      );
      await appendTimeline(tx, incidentId, now, [
        {
          kind: 'escalated',
          actor: 'system',
          message: `not acknowledged by ${row.next_escalation_at.toISOString()}: escalated from "${from}" to "${next.name}", who must acknowledge by ${deadline.toISOString()}`,
          data: {
            fromStep: expectedStep,
            toStep: nextStep,
            stepName: next.name,
            missedDeadline: row.next_escalation_at.toISOString(),
            ackDeadline: deadline.toISOString(),
          },
        },
      ]);
      const notifications = await insertNotifications(
        tx,
        incidentId,
        'escalated',
        planNotifications(o, [nextStep], o.channels[row.severity]),
        { severity: row.severity, stepName: next.name },
        now,
      );
      return {
        outcome: 'escalated',
        effects: {
          notifications,
          escalated: row.severity,
          escalation: { incidentId, step: nextStep, at: deadline },
        },
      };
    },
  );
  if (result.outcome === 'escalated')
    ctx.logger.warn('incident escalated', { context: { incidentId, toStep: expectedStep + 1 } });
  await applyEffects(ctx, result.effects);
  return result.outcome;
}
