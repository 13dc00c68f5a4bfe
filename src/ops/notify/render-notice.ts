/**
 * What a notification says, per channel: an email (subject + plain text), a text message (short),
 * words for a voice call, and a Slack message (`text` + Block Kit `blocks`). Pure functions of an
 * `IncidentNotice`, so every channel tells the same story.
 */
import type { IncidentState, NotificationKind, Severity } from '../incidents/types.ts';
import type { SlackBlock, SlackMessage } from './slack.ts';

export interface NoticeAlert {
  alertname: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  summary: string | null;
  description: string | null;
  runbookUrl: string | null;
}

export interface IncidentNotice {
  kind: NotificationKind;
  incidentId: string;
  title: string;
  severity: Severity;
  previousSeverity: Severity | null;
  state: IncidentState;
  dependency: string | null;
  /** The escalation step notified. */
  stepName: string;
  ackDeadline: Date | null;
  /** Link to the incident in the API, when the public URL is known. */
  link: string | null;
  alerts: NoticeAlert[];
  totalAlerts: number;
  /** Status update text, status and author (kind `update`). */
  updateText: string | null;
  updateStatus: string | null;
  author: string | null;
  resolvedBy: string | null;
  /** The overdue action item (kind `action_overdue`); its title, owner and due date are in `updateText`. */
  actionId?: string | null;
}

const VERB: Record<NotificationKind, string> = {
  triggered: 'TRIGGERED',
  escalated: 'ESCALATED',
  severity_raised: 'SEVERITY RAISED',
  update: 'UPDATE',
  update_due: 'STATUS UPDATE DUE',
  action_overdue: 'ACTION ITEM OVERDUE',
  recovery: 'RESOLVED',
};

/** Kinds that ask for an acknowledgement (not news about an acknowledged or resolved incident). */
const asksForAck = (kind: NotificationKind) =>
  kind === 'triggered' || kind === 'escalated' || kind === 'severity_raised';

/** Reminders: their text is the whole message (no author, no status). */
const isReminder = (kind: NotificationKind) => kind === 'update_due' || kind === 'action_overdue';

const utc = (d: Date) => d.toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');

/** `[P1] TRIGGERED #12: API down`. */
export function headline(n: IncidentNotice): string {
  const extra =
    n.kind === 'escalated'
      ? ` to ${n.stepName}`
      : n.kind === 'severity_raised' && n.previousSeverity
        ? ` (was ${n.previousSeverity})`
        : '';
  return `[${n.severity}] ${VERB[n.kind]}${extra} #${n.incidentId}: ${n.title}`;
}

export function renderEmail(n: IncidentNotice): { subject: string; text: string } {
  const lines = [
    headline(n),
    '',
    `Incident #${n.incidentId}: ${n.title}`,
    `Severity: ${n.severity}${n.previousSeverity ? ` (was ${n.previousSeverity})` : ''}`,
    `State: ${n.state}`,
    `Dependency: ${n.dependency ?? '-'}`,
  ];
  if (asksForAck(n.kind) && n.ackDeadline)
    lines.push(`Acknowledge by: ${n.ackDeadline.toISOString()} (${n.stepName})`);
  if (n.kind === 'recovery' || (n.kind === 'action_overdue' && n.resolvedBy))
    lines.push(`Resolved by: ${n.resolvedBy ?? '-'}`);
  if (n.link) lines.push(`Link: ${n.link}`);
  if (n.updateText && isReminder(n.kind)) lines.push('', n.updateText);
  else if (n.updateText) {
    lines.push(
      '',
      `Update${n.updateStatus ? ` [${n.updateStatus}]` : ''} from ${n.author ?? 'unknown'}:`,
      n.updateText,
    );
  }
  lines.push('', `Alerts (${n.alerts.length} of ${n.totalAlerts}):`);
  for (const a of n.alerts) {
    lines.push(`- [${a.status}] ${a.alertname} (${a.severity})${a.summary ? `: ${a.summary}` : ''}`);
    if (a.description) lines.push(`  ${a.description.replace(/\n/g, '\n  ')}`);
    if (a.runbookUrl) lines.push(`  Runbook: ${a.runbookUrl}`);
  }
  if (n.link && asksForAck(n.kind)) lines.push('', `Acknowledge: POST ${n.link}/ack (scope incidents:write)`);
  if (n.link && n.kind === 'update_due')
    lines.push('', `Post an update: POST ${n.link}/updates (scope incidents:write)`);
  if (n.link && n.kind === 'action_overdue' && n.actionId)
    lines.push(
      '',
      `Mark it done, drop it with a note, or move its due date: PATCH ${n.link}/actions/${n.actionId} (scope incidents:write)`,
    );
  lines.push('', '-- cb incident management');
  return { subject: headline(n), text: lines.join('\n') };
}

/** At most `max` characters (two SMS segments by default). */
export function renderSms(n: IncidentNotice, max = 320): string {
  const parts = [headline(n)];
  if (asksForAck(n.kind) && n.ackDeadline) parts.push(`ack by ${utc(n.ackDeadline)}`);
  if (n.updateText) parts.push(n.updateText);
  if (n.link) parts.push(n.link);
  const text = parts.join(' | ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const SPOKEN: Record<Severity, string> = {
  P0: 'priority zero',
  P1: 'priority one',
  P2: 'priority two',
  P3: 'priority three',
};

export function renderVoice(n: IncidentNotice): string {
  const what =
    n.kind === 'recovery'
      ? 'has been resolved'
      : n.kind === 'escalated'
        ? `was not acknowledged and has been escalated to ${n.stepName}`
        : n.kind === 'severity_raised'
          ? 'has been raised in severity'
          : n.kind === 'update'
            ? 'has an update'
            : n.kind === 'update_due'
              ? 'is waiting for a status update'
              : n.kind === 'action_overdue'
                ? 'has an action item past its due date'
                : 'has been triggered';
  const tail = asksForAck(n.kind)
    ? ' Please acknowledge it in the cb console.'
    : n.kind === 'update_due'
      ? ' Please post one in the cb console.'
      : n.kind === 'action_overdue'
        ? ' Please complete it, drop it or move its due date in the cb console.'
        : '';
  return `cb alert. ${SPOKEN[n.severity]} incident ${n.incidentId} ${what}: ${n.title}.${n.dependency ? ` Dependency ${n.dependency}.` : ''}${tail}`;
}

/** Slack mrkdwn escaping. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSlack(n: IncidentNotice): SlackMessage {
  const emoji =
    n.kind === 'recovery' ? ':white_check_mark:' : n.severity === 'P0' ? ':rotating_light:' : ':warning:';
  const fields = [
    `*Severity*\n${n.severity}${n.previousSeverity ? ` (was ${n.previousSeverity})` : ''}`,
    `*State*\n${n.state}`,
    `*Dependency*\n${esc(n.dependency ?? '-')}`,
    n.kind === 'recovery' || (n.kind === 'action_overdue' && n.resolvedBy)
      ? `*Resolved by*\n${esc(n.resolvedBy ?? '-')}`
      : `*Acknowledge by*\n${n.ackDeadline ? `${utc(n.ackDeadline)} (${esc(n.stepName)})` : '-'}`,
  ];
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${headline(n)}`.slice(0, 150), emoji: true } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (n.updateText && isReminder(n.kind))
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: esc(n.updateText).slice(0, 3000) } });
  else if (n.updateText)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Update${n.updateStatus ? ` [${n.updateStatus}]` : ''}* from ${esc(n.author ?? 'unknown')}:\n${esc(n.updateText)}`.slice(
          0,
          3000,
        ),
      },
    });
  if (n.alerts.length > 0)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: n.alerts
          .map(
            (a) =>
              `• \`${a.status}\` *${esc(a.alertname)}* (${a.severity})${a.summary ? `: ${esc(a.summary)}` : ''}${slackRunbook(a.runbookUrl)}`,
          )
          .join('\n')
          .slice(0, 3000),
      },
    });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `incident #${n.incidentId}${n.link ? ` · <${n.link}|details>` : ''} · ${n.totalAlerts} alert(s)`,
      },
    ],
  });
  return { text: `${emoji} ${esc(headline(n))}`, blocks };
}

/** A runbook in a Slack line: a link when it is a URL, else its path as code (a path is no link). */
function slackRunbook(runbook: string | null): string {
  if (!runbook) return '';
  return /^https?:\/\//.test(runbook) ? ` <${runbook}|runbook>` : ` runbook: \`${esc(runbook)}\``;
}
