/**
 * The postmortem draft written when an incident resolves (seed 3.3 step 10, 事后分析): summary,
 * severity, key times (detect, acknowledge, mitigate, resolve), the alerts involved, the timeline,
 * and empty sections for impact, contributing factors and action items. Markdown; pure.
 *
 * Durations: time to detect runs from the first alert's `startsAt` to the incident's creation; time
 * to acknowledge, mitigate and resolve run from the creation (as `cb_incident_ack_seconds` and
 * `cb_incident_resolve_seconds` do); mitigation is the first status update marked `mitigated`, or
 * the resolution when there was none. The impact duration runs from `startsAt` to the resolution.
 */
import type { AlertRow, IncidentRow, TimelineRow } from './incident-record.ts';
import { runbookLink } from './runbooks.ts';

export interface PostmortemInput {
  incident: IncidentRow;
  alerts: readonly AlertRow[];
  timeline: readonly TimelineRow[];
  /** Escalation step names, by index. */
  stepNames: readonly string[];
  generatedAt: Date;
  /** CB_PUBLIC_URL: shipped runbooks are linked where the instance serves them, as notifications do. */
  publicUrl?: string | undefined;
}

/** Most timeline rows in a draft; a longer timeline is cut with a note (the API has all of it). */
const MAX_TIMELINE_ROWS = 300;

/** `1h 02m 03s`, `4m 05s`, `12s`; "—" when unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${pad(h)}h ${pad(m)}m`;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(sec)}s`;
  if (m > 0) return `${m}m ${pad(sec)}s`;
  return `${sec}s`;
}

/** A table cell: one line, pipes escaped. */
export function cell(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\r?\n\s*/g, ' ');
}

/** The runbook cell: a Markdown link (characters that would end it or the cell percent-encoded). */
const runbook = (annotation: string | undefined, publicUrl: string | undefined) => {
  const link = runbookLink(annotation, publicUrl);
  if (!link) return '—';
  const safe = link.replace(
    /[()<>\s|\\]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return `[runbook](${safe})`;
};

const time = (d: Date | null) => (d === null ? '—' : d.toISOString().replace('.000Z', 'Z'));
const between = (a: Date | null, b: Date | null) =>
  a === null || b === null ? null : b.getTime() - a.getTime();

export function buildPostmortemDraft(input: PostmortemInput): string {
  const { incident: i, alerts, timeline } = input;
  const mitigatedAt = i.mitigated_at ?? i.resolved_at;
  const summary = alerts.map((a) => a.annotations.summary).find((s) => s) ?? i.title;
  const lines: string[] = [
    `# Postmortem: incident #${i.id} — ${i.title.replace(/\s*\r?\n\s*/g, ' ')}`,
    '',
    `> Draft generated ${time(input.generatedAt)} from the incident record. Complete every section;`,
    '> the incident can be closed once this draft has been edited.',
    '',
    '## Summary',
    '',
    summary,
    '',
    `- **Severity:** ${i.severity}`,
    `- **Dependency:** ${i.dependency ?? '—'}`,
    `- **Status:** ${i.state}${i.resolved_by ? ` (resolved by ${i.resolved_by})` : ''}`,
    `- **Assignee:** ${i.assignee ?? '—'}`,
    `- **Escalation reached:** step ${i.escalation_step + 1} (${input.stepNames[i.escalation_step] ?? '—'})`,
    `- **Alertmanager group:** \`${i.group_key.replace(/`/g, "'")}\``,
    ...(i.previous_id ? [`- **Re-trigger of:** incident #${i.previous_id}`] : []),
    '',
    '## Key times',
    '',
    '| Measure | From → to | When | Duration |',
    '|---|---|---|---|',
    `| Time to detect | first alert started → incident created | ${time(i.started_at)} → ${time(i.created_at)} | ${formatDuration(between(i.started_at, i.created_at))} |`,
    `| Time to acknowledge | incident created → acknowledged | ${time(i.acknowledged_at)}${i.acknowledged_by ? ` by ${cell(i.acknowledged_by)}` : ''} | ${i.acknowledged_at ? formatDuration(between(i.created_at, i.acknowledged_at)) : 'not acknowledged'} |`,
    `| Time to mitigate | incident created → ${i.mitigated_at ? 'update marked mitigated' : 'resolved (no mitigation update)'} | ${time(mitigatedAt)} | ${formatDuration(between(i.created_at, mitigatedAt))} |`,
    `| Time to resolve | incident created → resolved | ${time(i.resolved_at)} | ${formatDuration(between(i.created_at, i.resolved_at))} |`,
    `| Impact duration | first alert started → resolved | ${time(i.started_at)} → ${time(i.resolved_at)} | ${formatDuration(between(i.started_at, i.resolved_at))} |`,
    '',
    '## Alerts involved',
    '',
    '| Alert | Severity | Started | Ended | Summary | Runbook |',
    '|---|---|---|---|---|---|',
    ...alerts.map(
      (a) =>
        `| ${cell(a.alertname)} | ${a.severity} | ${time(a.starts_at)} | ${time(a.ends_at)} | ${cell(a.annotations.summary ?? a.annotations.description)} | ${runbook(a.annotations.runbook_url, input.publicUrl)} |`,
    ),
    '',
    '## Timeline',
    '',
    '| Time (UTC) | Event | By | Details |',
    '|---|---|---|---|',
    ...timeline
      .slice(0, MAX_TIMELINE_ROWS)
      .map((t) => `| ${time(t.at)} | ${t.kind} | ${cell(t.actor)} | ${cell(t.message)} |`),
    ...(timeline.length > MAX_TIMELINE_ROWS
      ? ['', `_${timeline.length - MAX_TIMELINE_ROWS} later entries omitted; see GET /v1/incidents/${i.id}._`]
      : []),
    '',
    '## Impact',
    '',
    '_Who and what was affected, how badly, for how long (members, integrators, on-chain actions)._',
    '',
    '## Root cause and contributing factors',
    '',
    '- _What failed, and why; what made it worse or slower to find._',
    '',
    '## What went well, what went badly',
    '',
    '- _Detection, alert quality, runbooks, escalation, communication._',
    '',
    '## Action items',
    '',
    '| Action | Owner | Due | Tracking |',
    '|---|---|---|---|',
    '| _…_ | | | |',
    '',
  ];
  return lines.join('\n');
}
