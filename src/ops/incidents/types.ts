/**
 * The vocabulary of incidents: severities (seed 3.1, P0 highest), states (seed 3.3), channels.
 */

/** Alert and incident severity; P0 is the most urgent. */
export type Severity = 'P0' | 'P1' | 'P2' | 'P3';
export const SEVERITIES: readonly Severity[] = ['P0', 'P1', 'P2', 'P3'];

/** triggered → acknowledged → resolved → closed (acknowledging may be skipped). */
export type IncidentState = 'triggered' | 'acknowledged' | 'resolved' | 'closed';
export const INCIDENT_STATES: readonly IncidentState[] = ['triggered', 'acknowledged', 'resolved', 'closed'];

/** A way to reach people: a voice call, a text message, an email, a Slack channel. */
export type Channel = 'phone' | 'sms' | 'email' | 'slack';
export const CHANNELS: readonly Channel[] = ['phone', 'sms', 'email', 'slack'];

/** Why a notification goes out. */
export type NotificationKind =
  | 'triggered'
  | 'escalated'
  | 'severity_raised'
  | 'update'
  /** An acknowledged incident went without a status update for its interval (a reminder). */
  | 'update_due'
  /** An open action item of the incident is past its due date (a reminder). */
  | 'action_overdue'
  | 'recovery';

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

/** The more urgent of two severities. */
export function higherSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;
}

/** True when `a` is strictly more urgent than `b`. */
export function isMoreUrgent(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);
}
