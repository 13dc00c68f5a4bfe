/**
 * The JSON shape of an incident's action item, free of server imports: incident-actions.ts answers
 * with it and the console's incident pages read it (web/src/pages/ops/incident-types.ts), so the
 * two cannot drift apart.
 */

/** What an action item may be: open until done, or dropped with a note saying why. */
export type ActionStatus = 'open' | 'done' | 'dropped';

/** A postmortem follow-up. */
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
