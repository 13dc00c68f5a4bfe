/**
 * Action items (seed 3.3 step 10 事后分析: 根本原因分析和改进措施; 9 持续改进): what must change so
 * an incident does not happen again — a title, an owner, a due date — tracked from open to done (or
 * dropped, with a note saying why) across incidents, so postmortem conclusions do not end as text
 * nobody follows up. Each change goes to the incident's timeline. Open items past their due date are
 * sampled as `cb_incident_actions_open{overdue="true"}` (alert IncidentActionsOverdue).
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { ValidationError } from '../../platform/errors.ts';
import type { IncidentsContext } from './context.ts';
import { IncidentActionNotFoundError, IncidentNotFoundError } from './errors.ts';
import type { ActionStatus, IncidentAction } from './incident-action-shape.ts';
import { lockIncident } from './incident-record.ts';
import { appendTimeline } from './timeline.ts';

export const ACTION_STATUSES = ['open', 'done', 'dropped'] as const satisfies readonly ActionStatus[];
export type { ActionStatus, IncidentAction };

interface ActionRow {
  id: string;
  incident_id: string;
  title: string;
  owner: string | null;
  due_at: Date | null;
  status: ActionStatus;
  note: string | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
  closed_at: Date | null;
}

const COLUMNS = `id::text as id, incident_id::text as incident_id, title, owner, due_at, status, note,
  created_at, created_by, updated_at, updated_by, closed_at`;

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

export function toAction(r: ActionRow, now: Date): IncidentAction {
  return {
    id: r.id,
    incidentId: r.incident_id,
    title: r.title,
    owner: r.owner,
    dueAt: iso(r.due_at),
    status: r.status,
    note: r.note,
    createdAt: iso(r.created_at)!,
    createdBy: r.created_by,
    updatedAt: iso(r.updated_at)!,
    updatedBy: r.updated_by,
    closedAt: iso(r.closed_at),
    overdue: r.status === 'open' && r.due_at !== null && new Date(r.due_at).getTime() < now.getTime(),
  };
}

export interface NewAction {
  actor: string;
  title: string;
  owner?: string | undefined;
  dueAt?: Date | undefined;
}

/** Adds an action item to an incident (any state: a postmortem is written once it resolved). */
export async function addIncidentAction(
  ctx: IncidentsContext,
  incidentId: string,
  input: NewAction,
): Promise<IncidentAction> {
  const now = ctx.options.now();
  return ctx.db.transaction(async (tx) => {
    if (!(await lockIncident(tx, incidentId))) throw new IncidentNotFoundError(incidentId);
    const { rows } = await tx.query<ActionRow>(
      `insert into ops_incident_actions (incident_id, title, owner, due_at, created_at, created_by, updated_at, updated_by)
       values ($1, $2, $3, $4, $5, $6, $5, $6) returning ${COLUMNS}`,
      [
        incidentId,
        input.title,
        input.owner ?? null,
        input.dueAt?.toISOString() ?? null,
        now.toISOString(),
        input.actor,
      ],
    );
    const action = toAction(rows[0]!, now);
    await appendTimeline(tx, incidentId, now, [
      {
        kind: 'action_added',
        actor: input.actor,
        message: `action item #${action.id}: ${action.title}${action.owner ? ` (owner ${action.owner})` : ''}${action.dueAt ? `, due ${action.dueAt.slice(0, 10)}` : ''}`,
        data: { actionId: action.id },
      },
    ]);
    return action;
  });
}

export interface ActionChange {
  actor: string;
  status?: ActionStatus | undefined;
  title?: string | undefined;
  /** null clears it. */
  owner?: string | null | undefined;
  /** null clears it. */
  dueAt?: Date | null | undefined;
  note?: string | undefined;
}

/** Changes an action item; dropping one needs a note saying why. */
export async function updateIncidentAction(
  ctx: IncidentsContext,
  incidentId: string,
  actionId: string,
  change: ActionChange,
): Promise<IncidentAction> {
  if (change.status === 'dropped' && !change.note)
    throw new ValidationError('dropping an action item needs a note saying why', [
      { path: 'body.note', message: 'required when status is dropped' },
    ]);
  const now = ctx.options.now();
  return ctx.db.transaction(async (tx) => {
    if (!(await lockIncident(tx, incidentId))) throw new IncidentNotFoundError(incidentId);
    const before = (
      await tx.query<ActionRow>(
        `select ${COLUMNS} from ops_incident_actions where id = $1 and incident_id = $2 for update`,
        [actionId, incidentId],
      )
    ).rows[0];
    if (!before) throw new IncidentActionNotFoundError(incidentId, actionId);
    const status = change.status ?? before.status;
    const closedAt = status === 'open' ? null : before.status === status ? before.closed_at : now;
    const { rows } = await tx.query<ActionRow>(
      `update ops_incident_actions
          set title = $3, owner = $4, due_at = $5, status = $6, note = $7, closed_at = $8,
              updated_at = $9, updated_by = $10
        where id = $1 and incident_id = $2 returning ${COLUMNS}`,
      [
        actionId,
        incidentId,
        change.title ?? before.title,
        change.owner === undefined ? before.owner : change.owner,
        change.dueAt === undefined ? before.due_at : change.dueAt,
        status,
        change.note ?? before.note,
        closedAt,
        now.toISOString(),
        change.actor,
      ],
    );
    const action = toAction(rows[0]!, now);
    const what = status !== before.status ? (status === 'open' ? 'reopened' : status) : 'changed';
    await appendTimeline(tx, incidentId, now, [
      {
        kind: 'action_updated',
        actor: change.actor,
        message: `action item #${action.id} ${what}: ${action.title}${change.note ? ` — ${change.note}` : ''}`,
        data: { actionId: action.id, status },
      },
    ]);
    return action;
  });
}

/** The action items of one incident, oldest first. */
export async function incidentActions(
  db: Queryable,
  incidentId: string,
  now: Date,
): Promise<IncidentAction[]> {
  const { rows } = await db.query<ActionRow>(
    `select ${COLUMNS} from ops_incident_actions where incident_id = $1 order by id`,
    [incidentId],
  );
  return rows.map((r) => toAction(r, now));
}

/** Action items across incidents: open ones by due date (undated last), or all newest first. */
export async function listIncidentActions(
  ctx: IncidentsContext,
  query: {
    status?: ActionStatus | undefined;
    overdue?: boolean | undefined;
    owner?: string | undefined;
    limit?: number | undefined;
  },
): Promise<IncidentAction[]> {
  const now = ctx.options.now();
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (query.status) add('status = ?', query.status);
  if (query.owner) add('owner = ?', query.owner);
  if (query.overdue) {
    where.push(`status = 'open'`);
    add('due_at < ?', now.toISOString());
  }
  params.push(query.limit ?? 100);
  const { rows } = await ctx.db.query<ActionRow>(
    `select ${COLUMNS} from ops_incident_actions ${where.length ? `where ${where.join(' and ')}` : ''}
      order by ${query.status === 'open' || query.overdue ? 'due_at nulls last, id' : 'id desc'}
      limit $${params.length}`,
    params,
  );
  return rows.map((r) => toAction(r, now));
}

/** Open action items, and those past their due date (for `cb_incident_actions_open`). */
export async function countOpenActions(db: Queryable, now: Date): Promise<{ open: number; overdue: number }> {
  const { rows } = await db.query<{ open: number; overdue: number }>(
    `select count(*)::int as open, (count(*) filter (where due_at < $1))::int as overdue
       from ops_incident_actions where status = 'open'`,
    [now.toISOString()],
  );
  return rows[0] ?? { open: 0, overdue: 0 };
}
