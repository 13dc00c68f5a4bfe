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

/** What an action item may be: open until done, or dropped with a note saying why. */
export type ActionStatus = 'open' | 'done' | 'dropped';

/** A postmortem follow-up (mirrors `IncidentAction` of src/ops/incidents/incident-actions.ts). */
export interface IncidentAction {
  id: string;
  incidentId: string;
  title: string;
  owner: string | null;
  /** ISO date-time, or none. */
  dueAt: string | null;
  status: ActionStatus;
  /** Why it was dropped (or the last note given). */
  note: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  closedAt: string | null;
  /** Open and past its due date. */
  overdue: boolean;
}

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
