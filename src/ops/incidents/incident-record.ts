/**
 * How incidents, their alerts, timeline entries and notifications are stored (`0040_incidents.sql`)
 * and how they appear in the API (ids as strings, times as ISO 8601).
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { ResolvedIncidentsOptions } from './options.ts';
import type { Channel, IncidentState, NotificationKind, Severity } from './types.ts';

export interface IncidentRow {
  id: string;
  group_key: string;
  group_labels: Record<string, string>;
  dependency: string | null;
  title: string;
  severity: Severity;
  state: IncidentState;
  assignee: string | null;
  previous_id: string | null;
  started_at: Date;
  created_at: Date;
  escalation_step: number;
  ack_deadline: Date | null;
  next_escalation_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  mitigated_at: Date | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  closed_at: Date | null;
  closed_by: string | null;
  updated_at: Date;
}

export interface AlertRow {
  incident_id: string;
  fingerprint: string;
  alertname: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  starts_at: Date;
  ends_at: Date | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generator_url: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
}

export interface TimelineRow {
  id: string;
  incident_id: string;
  at: Date;
  kind: string;
  actor: string | null;
  message: string;
  data: Record<string, unknown>;
}

export interface NotificationRow {
  id: string;
  incident_id: string;
  kind: NotificationKind;
  channel: Channel;
  step: number;
  recipients: string[];
  delivered: string[];
  message: Record<string, unknown>;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  created_at: Date;
  queued_at: Date | null;
  sent_at: Date | null;
  failed_at: Date | null;
}

/** An incident as the API shows it. */
export interface Incident {
  id: string;
  groupKey: string;
  /** Alertmanager's groupLabels: what the group's alerts share (`correlation`, `dependency`). */
  groupLabels: Record<string, string>;
  dependency: string | null;
  title: string;
  severity: Severity;
  state: IncidentState;
  assignee: string | null;
  previousId: string | null;
  startedAt: string;
  createdAt: string;
  escalation: {
    step: number;
    stepName: string;
    ackDeadline: string | null;
    nextEscalationAt: string | null;
  };
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  mitigatedAt: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  closedAt: string | null;
  closedBy: string | null;
  updatedAt: string;
}

export interface IncidentAlert {
  fingerprint: string;
  alertname: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  startsAt: string;
  endsAt: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorUrl: string | null;
}

export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  actor: string | null;
  message: string;
  data: Record<string, unknown>;
}

export interface IncidentNotification {
  id: string;
  kind: NotificationKind;
  channel: Channel;
  step: number;
  recipients: number;
  delivered: number;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  failedAt: string | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function toIncident(
  row: IncidentRow,
  options: Pick<ResolvedIncidentsOptions, 'escalation'>,
): Incident {
  return {
    id: row.id,
    groupKey: row.group_key,
    groupLabels: row.group_labels,
    dependency: row.dependency,
    title: row.title,
    severity: row.severity,
    state: row.state,
    assignee: row.assignee,
    previousId: row.previous_id,
    startedAt: row.started_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    escalation: {
      step: row.escalation_step,
      stepName: options.escalation[row.escalation_step]?.name ?? `step ${row.escalation_step + 1}`,
      ackDeadline: iso(row.ack_deadline),
      nextEscalationAt: iso(row.next_escalation_at),
    },
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    mitigatedAt: iso(row.mitigated_at),
    resolvedAt: iso(row.resolved_at),
    resolvedBy: row.resolved_by,
    closedAt: iso(row.closed_at),
    closedBy: row.closed_by,
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toAlert(row: AlertRow): IncidentAlert {
  return {
    fingerprint: row.fingerprint,
    alertname: row.alertname,
    severity: row.severity,
    status: row.status,
    startsAt: row.starts_at.toISOString(),
    endsAt: iso(row.ends_at),
    labels: row.labels,
    annotations: row.annotations,
    generatorUrl: row.generator_url,
  };
}

export function toTimelineEntry(row: TimelineRow): TimelineEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    kind: row.kind,
    actor: row.actor,
    message: row.message,
    data: row.data,
  };
}

export function toNotification(row: NotificationRow): IncidentNotification {
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    step: row.step,
    recipients: row.recipients.length,
    delivered: row.delivered.length,
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    sentAt: iso(row.sent_at),
    failedAt: iso(row.failed_at),
  };
}

/** The incident row, locked for the rest of the transaction; undefined when there is none. */
export async function lockIncident(tx: Queryable, id: string): Promise<IncidentRow | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const { rows } = await tx.query<IncidentRow>('select * from ops_incidents where id = $1 for update', [id]);
  return rows[0];
}

export async function loadAlerts(tx: Queryable, incidentId: string): Promise<AlertRow[]> {
  const { rows } = await tx.query<AlertRow>(
    'select * from ops_incident_alerts where incident_id = $1 order by starts_at, fingerprint',
    [incidentId],
  );
  return rows;
}
