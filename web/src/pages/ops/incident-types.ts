/** Shapes of the incidents API (src/ops/incidents). */
export interface Incident {
  id: string;
  title: string;
  severity: 'P0' | 'P1' | 'P2' | 'P3';
  state: 'triggered' | 'acknowledged' | 'resolved' | 'closed';
  dependency: string | null;
  assignee: string | null;
  startedAt: string;
  escalation: { step: number; stepName: string; ackDeadline: string | null; nextEscalationAt: string | null };
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  updatedAt: string;
}

export interface IncidentDetail extends Incident {
  alerts: {
    fingerprint: string;
    alertname: string;
    severity: string;
    status: string;
    startsAt: string;
    annotations: Record<string, string>;
  }[];
  timeline: { id: string; at: string; kind: string; actor: string | null; message: string }[];
  notifications: {
    id: string;
    kind: string;
    channel: string;
    state: string;
    recipients: number;
    delivered: number;
    lastError: string | null;
  }[];
  postmortem: { exists: boolean; edited: boolean };
  actions: IncidentAction[];
}

import type { ActionStatus, IncidentAction } from '../../../../src/ops/incidents/incident-action-shape.ts';

export type { ActionStatus, IncidentAction };

export interface Postmortem {
  incidentId: string;
  markdown: string;
  edited: boolean;
  editedAt: string | null;
  editedBy: string | null;
}

export const SEVERITY_TONE: Record<string, string> = { P0: 'bad', P1: 'bad', P2: 'warn', P3: 'info' };
export const STATE_TONE: Record<string, string> = {
  triggered: 'bad',
  acknowledged: 'warn',
  resolved: 'ok',
  closed: 'muted',
};
export const ACTION_STATUS_TONE: Record<ActionStatus, string> = {
  open: 'info',
  done: 'ok',
  dropped: 'muted',
};
