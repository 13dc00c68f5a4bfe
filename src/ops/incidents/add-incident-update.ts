/**
 * Status updates and notes (seed 3.3 steps 5-7). An `update` is news for the people paged (it goes
 * out on the update channels, Slack by default); a `note` is for the record only. An update with
 * status `mitigated` marks the incident mitigated (the first such update is the postmortem's time
 * to mitigate). Closed incidents take notes only.
 */
import { applyEffects, type IncidentsContext } from './context.ts';
import { IncidentNotFoundError, IncidentStateError } from './errors.ts';
import { lockIncident, type TimelineEntry } from './incident-record.ts';
import { insertNotifications, planNotifications, stepsUpTo } from './plan-notifications.ts';
import { appendTimeline } from './timeline.ts';

export const UPDATE_STATUSES = ['investigating', 'identified', 'mitigated', 'monitoring'] as const;
export type UpdateStatus = (typeof UPDATE_STATUSES)[number];

export interface IncidentUpdateInput {
  actor: string;
  message: string;
  /** @defaultValue `'update'` */
  kind?: 'update' | 'note' | undefined;
  status?: UpdateStatus | undefined;
}

export async function addIncidentUpdate(
  ctx: IncidentsContext,
  id: string,
  input: IncidentUpdateInput,
): Promise<TimelineEntry> {
  const now = ctx.options.now();
  const kind = input.kind ?? 'update';
  const result = await ctx.db.transaction(async (tx) => {
    const row = await lockIncident(tx, id);
    if (!row) throw new IncidentNotFoundError(id);
    if (row.state === 'closed' && kind === 'update')
      throw new IncidentStateError(id, row.state, 'post a status update', 'add a note instead');
    if (input.status === 'mitigated' && row.mitigated_at === null)
      await tx.query('update ops_incidents set mitigated_at = $2 where id = $1', [id, now.toISOString()]);
    await tx.query('update ops_incidents set updated_at = $2 where id = $1', [id, now.toISOString()]);
    const data = { ...(input.status ? { status: input.status } : {}) };
    const [entryId] = await appendTimeline(tx, id, now, [
      {
        kind: kind === 'update' ? 'status_update' : 'note',
        actor: input.actor,
        message: input.status ? `[${input.status}] ${input.message}` : input.message,
        data,
      },
    ]);
    const notifications =
      kind === 'update' && row.state !== 'closed'
        ? await insertNotifications(
            tx,
            id,
            'update',
            planNotifications(ctx.options, stepsUpTo(row.escalation_step), ctx.options.updateChannels),
            {
              severity: row.severity,
              text: input.message,
              status: input.status ?? null,
              author: input.actor,
            },
            now,
          )
        : [];
    return {
      entry: {
        id: entryId!,
        at: now.toISOString(),
        kind: kind === 'update' ? 'status_update' : 'note',
        actor: input.actor,
        message: input.status ? `[${input.status}] ${input.message}` : input.message,
        data,
      },
      notifications,
    };
  });
  await applyEffects(ctx, { notifications: result.notifications });
  return result.entry;
}
