/**
 * Closing ends an incident's life (seed 3.3 step 10, 事后分析): allowed once it is resolved AND its
 * postmortem was edited — the body differs from the generated draft (whitespace aside). Saving the
 * untouched draft does not count; a postmortem nobody wrote is not a postmortem.
 */
import type { IncidentsContext } from './context.ts';
import { IncidentNotFoundError, IncidentStateError, PostmortemUneditedError } from './errors.ts';
import { type Incident, type IncidentRow, lockIncident, toIncident } from './incident-record.ts';
import { appendTimeline } from './timeline.ts';

export interface CloseInput {
  actor: string;
  message?: string | undefined;
}

/** True when `body` is more than the draft (ignoring whitespace differences). */
export function postmortemEdited(draft: string, body: string): boolean {
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  return norm(draft) !== norm(body);
}

export async function closeIncident(ctx: IncidentsContext, id: string, input: CloseInput): Promise<Incident> {
  const now = ctx.options.now();
  const row = await ctx.db.transaction(async (tx) => {
    const row = await lockIncident(tx, id);
    if (!row) throw new IncidentNotFoundError(id);
    if (row.state === 'closed') return row;
    if (row.state !== 'resolved')
      throw new IncidentStateError(id, row.state, 'close', 'resolve it first, then edit its postmortem');
    const pm = (
      await tx.query<{ draft: string; body: string }>(
        'select draft, body from ops_postmortems where incident_id = $1',
        [id],
      )
    ).rows[0];
    if (!pm || !postmortemEdited(pm.draft, pm.body)) throw new PostmortemUneditedError(id);
    const updated = (
      await tx.query<IncidentRow>(
        `update ops_incidents set state = 'closed', closed_at = $2, closed_by = $3, updated_at = $2
          where id = $1 returning *`,
        [id, now.toISOString(), input.actor],
      )
    ).rows[0]!;
    await appendTimeline(tx, id, now, [
      {
        kind: 'closed',
        actor: input.actor,
        message: `closed by ${input.actor}${input.message ? `: ${input.message}` : ''}`,
      },
    ]);
    return updated;
  });
  return toIncident(row, ctx.options);
}
