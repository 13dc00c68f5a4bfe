/**
 * Reading and editing an incident's postmortem (a markdown document; the draft is written when
 * the incident resolves). `edited` tells whether the body differs from the draft — the rule for
 * closing.
 */

import { postmortemEdited } from './close-incident.ts';
import type { IncidentsContext } from './context.ts';
import { IncidentNotFoundError, PostmortemNotFoundError } from './errors.ts';
import { lockIncident } from './incident-record.ts';
import { appendTimeline } from './timeline.ts';

export interface Postmortem {
  incidentId: string;
  markdown: string;
  /** True when the body differs from the generated draft (needed to close). */
  edited: boolean;
  createdAt: string;
  editedAt: string | null;
  editedBy: string | null;
}

interface PostmortemRow {
  incident_id: string;
  draft: string;
  body: string;
  created_at: Date;
  edited_at: Date | null;
  edited_by: string | null;
}

const toPostmortem = (r: PostmortemRow): Postmortem => ({
  incidentId: r.incident_id,
  markdown: r.body,
  edited: postmortemEdited(r.draft, r.body),
  createdAt: r.created_at.toISOString(),
  editedAt: r.edited_at?.toISOString() ?? null,
  editedBy: r.edited_by,
});

export async function getPostmortem(ctx: IncidentsContext, id: string): Promise<Postmortem> {
  if (!/^\d{1,18}$/.test(id)) throw new IncidentNotFoundError(id);
  const { rows } = await ctx.db.query<PostmortemRow & { found: boolean }>(
    `select i.id is not null as found, p.*
       from (select $1::bigint as id) q
       left join ops_incidents i on i.id = q.id
       left join ops_postmortems p on p.incident_id = q.id`,
    [id],
  );
  const r = rows[0];
  if (!r?.found) throw new IncidentNotFoundError(id);
  if (r.incident_id === null) throw new PostmortemNotFoundError(id);
  return toPostmortem(r);
}

export async function savePostmortem(
  ctx: IncidentsContext,
  id: string,
  input: { actor: string; markdown: string },
): Promise<Postmortem> {
  const now = ctx.options.now();
  return ctx.db.transaction(async (tx) => {
    const row = await lockIncident(tx, id);
    if (!row) throw new IncidentNotFoundError(id);
    const { rows } = await tx.query<PostmortemRow>(
      `update ops_postmortems set body = $2, edited_at = $3, edited_by = $4 where incident_id = $1 returning *`,
      [id, input.markdown, now.toISOString(), input.actor],
    );
    if (!rows[0]) throw new PostmortemNotFoundError(id);
    await appendTimeline(tx, id, now, [
      { kind: 'postmortem_edited', actor: input.actor, message: `postmortem edited by ${input.actor}` },
    ]);
    return toPostmortem(rows[0]);
  });
}
