/**
 * Acknowledgement (seed 3.3 step 4): the on-call engineer has it. Stops escalation, sets the
 * assignee (the given one, else the current one, else the acknowledger), observes
 * `cb_incident_ack_seconds`. Acknowledging an acknowledged incident changes nothing; a resolved or
 * closed one cannot be acknowledged (`OPS_INCIDENT_STATE`).
 */
import { applyEffects, type IncidentsContext } from './context.ts';
import { IncidentNotFoundError, IncidentStateError } from './errors.ts';
import { type Incident, type IncidentRow, lockIncident, toIncident } from './incident-record.ts';
import { appendTimeline } from './timeline.ts';

export interface AcknowledgeInput {
  actor: string;
  assignee?: string | undefined;
  note?: string | undefined;
}

export async function acknowledgeIncident(
  ctx: IncidentsContext,
  id: string,
  input: AcknowledgeInput,
): Promise<Incident> {
  const now = ctx.options.now();
  const result = await ctx.db.transaction(async (tx) => {
    const row = await lockIncident(tx, id);
    if (!row) throw new IncidentNotFoundError(id);
    if (row.state === 'acknowledged') return { row, seconds: undefined };
    if (row.state !== 'triggered')
      throw new IncidentStateError(
        id,
        row.state,
        'acknowledge',
        'only a triggered incident can be acknowledged',
      );
    const updated = (
      await tx.query<IncidentRow>(
        `update ops_incidents
            set state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3,
                assignee = coalesce($4, assignee, $3), next_escalation_at = null, updated_at = $2
          where id = $1 returning *`,
        [id, now.toISOString(), input.actor, input.assignee ?? null],
      )
    ).rows[0]!;
    await appendTimeline(tx, id, now, [
      {
        kind: 'acknowledged',
        actor: input.actor,
        message: `acknowledged by ${input.actor}${updated.assignee !== input.actor ? `; assigned to ${updated.assignee}` : ''}${input.note ? `: ${input.note}` : ''}`,
        data: { assignee: updated.assignee, step: row.escalation_step },
      },
    ]);
    return { row: updated, seconds: (now.getTime() - row.created_at.getTime()) / 1000 };
  });
  if (result.seconds !== undefined)
    await applyEffects(ctx, {
      notifications: [],
      acknowledged: { severity: result.row.severity, seconds: Math.max(0, result.seconds) },
    });
  return toIncident(result.row, ctx.options);
}
