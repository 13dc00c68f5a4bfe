/**
 * Reads: one incident with its alerts, timeline (in time order) and notifications; and the list,
 * newest first, filtered by state and severity, with an opaque cursor.
 */

import type { Db, Queryable } from '../../platform/db/create-db.ts';
import { readSnapshot } from '../../platform/db/read-snapshot.ts';
import { ValidationError } from '../../platform/errors.ts';
import { IncidentNotFoundError } from './errors.ts';
import { type IncidentAction, incidentActions } from './incident-actions.ts';
import {
  type AlertRow,
  type Incident,
  type IncidentAlert,
  type IncidentNotification,
  type IncidentRow,
  type NotificationRow,
  type TimelineEntry,
  type TimelineRow,
  toAlert,
  toIncident,
  toNotification,
  toTimelineEntry,
} from './incident-record.ts';
import type { ResolvedIncidentsOptions } from './options.ts';
import type { IncidentState, Severity } from './types.ts';

export interface IncidentDetail extends Incident {
  alerts: IncidentAlert[];
  timeline: TimelineEntry[];
  notifications: IncidentNotification[];
  postmortem: { exists: boolean; edited: boolean };
  /** Action items (postmortem follow-ups), oldest first. */
  actions: IncidentAction[];
}

/** Most timeline entries returned with an incident (a flapping group can have many). */
export const MAX_TIMELINE = 2000;

/**
 * One incident with its alerts, timeline, notifications and postmortem state, read in one snapshot
 * (a repeatable-read, read-only transaction): their writers change several of them at once — a
 * delivery attempt updates its notification and adds its timeline entry in one statement — and
 * separate reads on a pool could show one change without the other (a notification already
 * `failed` next to a timeline that has not yet said so).
 */
export async function getIncident(
  db: Db,
  options: Pick<ResolvedIncidentsOptions, 'escalation'> & { now?: () => Date },
  id: string,
): Promise<IncidentDetail> {
  if (!/^\d{1,18}$/.test(id)) throw new IncidentNotFoundError(id);
  const now = options.now?.() ?? new Date();
  return readSnapshot(db, (q) => readIncident(q, options, id, now));
}

async function readIncident(
  db: Queryable,
  options: Pick<ResolvedIncidentsOptions, 'escalation'>,
  id: string,
  now: Date,
): Promise<IncidentDetail> {
  const row = (await db.query<IncidentRow>('select * from ops_incidents where id = $1', [id])).rows[0];
  if (!row) throw new IncidentNotFoundError(id);
  const [alerts, timeline, notifications, postmortem, actions] = await Promise.all([
    db.query<AlertRow>(
      'select * from ops_incident_alerts where incident_id = $1 order by starts_at, fingerprint',
      [id],
    ),
    db.query<TimelineRow>(
      `select * from (select * from ops_incident_timeline where incident_id = $1 order by id desc limit ${MAX_TIMELINE}) t
        order by at, id`,
      [id],
    ),
    db.query<NotificationRow>('select * from ops_notifications where incident_id = $1 order by id', [id]),
    db.query<{ draft: string; body: string }>(
      'select draft, body from ops_postmortems where incident_id = $1',
      [id],
    ),
    incidentActions(db, id, now),
  ]);
  const pm = postmortem.rows[0];
  return {
    ...toIncident(row, options),
    alerts: alerts.rows.map(toAlert),
    timeline: timeline.rows.map(toTimelineEntry),
    notifications: notifications.rows.map(toNotification),
    postmortem: {
      exists: pm !== undefined,
      edited:
        pm !== undefined && pm.draft.replace(/\s+/g, ' ').trim() !== pm.body.replace(/\s+/g, ' ').trim(),
    },
    actions,
  };
}

export interface ListIncidentsQuery {
  states?: readonly IncidentState[] | undefined;
  severities?: readonly Severity[] | undefined;
  /** @defaultValue `50` (at most 500) */
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface IncidentPage {
  items: Incident[];
  nextCursor: string | null;
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^i:\d{1,18}$/.test(id))
    throw new ValidationError(
      'invalid cursor',
      [{ path: 'cursor', message: 'not a cursor returned by this API' }],
      'CB_BAD_CURSOR',
    );
  return id.slice(2);
}

export async function listIncidents(
  db: Queryable,
  options: Pick<ResolvedIncidentsOptions, 'escalation'>,
  query: ListIncidentsQuery,
): Promise<IncidentPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.states?.length) {
    params.push([...query.states]);
    where.push(`state = any($${params.length}::text[])`);
  }
  if (query.severities?.length) {
    params.push([...query.severities]);
    where.push(`severity = any($${params.length}::text[])`);
  }
  if (query.cursor) {
    params.push(decodeCursor(query.cursor));
    where.push(`id < $${params.length}::bigint`);
  }
  params.push(limit + 1);
  const { rows } = await db.query<IncidentRow>(
    `select * from ops_incidents ${where.length ? `where ${where.join(' and ')}` : ''}
      order by id desc limit $${params.length}`,
    params,
  );
  const items = rows.slice(0, limit).map((r) => toIncident(r, options));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last ? Buffer.from(`i:${last.id}`, 'utf8').toString('base64url') : null,
  };
}
