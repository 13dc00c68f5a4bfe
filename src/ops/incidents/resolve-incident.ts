/**
 * An operator resolves an incident (seed 3.3 step 8): same as Alertmanager resolving the group —
 * recovery notice, postmortem draft, `cb_incident_resolve_seconds`. Alerts that keep firing after a
 * manual resolution do not reopen it; only a new alert instance opens a new incident.
 */
import { applyEffects, type IncidentsContext } from './context.ts';
import { IncidentNotFoundError, IncidentStateError } from './errors.ts';
import { type Incident, lockIncident, toIncident } from './incident-record.ts';
import { markResolved } from './mark-resolved.ts';

export interface ResolveInput {
  actor: string;
  message?: string | undefined;
}

export async function resolveIncident(
  ctx: IncidentsContext,
  id: string,
  input: ResolveInput,
): Promise<Incident> {
  const now = ctx.options.now();
  const result = await ctx.db.transaction(async (tx) => {
    const row = await lockIncident(tx, id);
    if (!row) throw new IncidentNotFoundError(id);
    if (row.state === 'resolved') return { row, effects: { notifications: [] } };
    if (row.state === 'closed')
      throw new IncidentStateError(id, row.state, 'resolve', 'a closed incident is final');
    return markResolved(tx, ctx, row, {
      actor: input.actor,
      resolvedAt: now,
      now,
      message: `resolved by ${input.actor}${input.message ? `: ${input.message}` : ''}`,
    });
  });
  await applyEffects(ctx, result.effects);
  return toIncident(result.row, ctx.options);
}
