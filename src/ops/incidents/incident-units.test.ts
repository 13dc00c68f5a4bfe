import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderEmail, renderSlack, renderSms, renderVoice } from '../notify/render-notice.ts';
import { type AlertmanagerPayload, readPayload } from './alertmanager-payload.ts';
import { diffAlerts, groupLockKey } from './apply-alert-group.ts';
import { buildPostmortemDraft, cell, formatDuration } from './build-postmortem.ts';
import { postmortemEdited } from './close-incident.ts';
import type { AlertRow, IncidentRow, TimelineRow } from './incident-record.ts';
import { reliability } from './incident-stats.ts';
import { resolveIncidentsOptions } from './options.ts';
import { planNotifications } from './plan-notifications.ts';
import { tokenMatches } from './routes.ts';
import { runbookLink } from './runbooks.ts';
import {
  incidentsOptionsFromSettings,
  parseChannelPolicy,
  parseEscalationPolicy,
  parseSlackWebhooks,
  parseSmtpUrl,
  parseWeekdays,
  parseWorkingHours,
  readWebhookToken,
} from './settings.ts';

const T = (iso: string) => new Date(iso);

describe('readPayload', () => {
  const payload = (over: Partial<AlertmanagerPayload> = {}): AlertmanagerPayload => ({
    version: '4',
    groupKey: '{}/{severity=~"P1|P2"}:{correlation="serving"}',
    status: 'firing',
    receiver: 'cb-incidents',
    groupLabels: { correlation: 'serving' },
    commonLabels: { correlation: 'serving' },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    alerts: [
      {
        status: 'firing',
        labels: {
          alertname: 'DatabaseSlowQueries',
          severity: 'P2',
          dependency: 'database',
          correlation: 'serving',
        },
        annotations: { summary: 'slow queries' },
        startsAt: '2026-03-04T10:00:00.123Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prom/graph',
        fingerprint: 'aaa',
      },
      {
        status: 'firing',
        labels: { alertname: 'ApiErrorRateHigh', severity: 'p1', dependency: 'api', correlation: 'serving' },
        annotations: {},
        startsAt: '2026-03-04T10:01:00Z',
        endsAt: '2026-03-04T10:10:00Z',
        generatorURL: '',
        fingerprint: '',
      },
      {
        status: 'resolved',
        labels: { alertname: 'Odd', severity: 'critical', correlation: 'serving' },
        startsAt: '2026-03-04T09:00:00Z',
        endsAt: '2026-03-04T09:30:00Z',
        fingerprint: 'ccc',
      },
    ],
    ...over,
  });

  test('default: a correlation group spanning dependencies becomes one titled group of alerts', () => {
    const g = readPayload(payload(), 'P2', T('2026-03-04T10:02:00Z'));
    expect(g).toMatchObject({
      groupKey: '{}/{severity=~"P1|P2"}:{correlation="serving"}',
      groupLabels: { correlation: 'serving' },
      dependency: null,
      title: '3 alerts on serving: DatabaseSlowQueries, ApiErrorRateHigh, Odd',
    });
    expect(g.alerts.map((a) => [a.alertname, a.severity, a.status, a.endsAt?.toISOString() ?? null])).toEqual(
      [
        ['DatabaseSlowQueries', 'P2', 'firing', null],
        // A firing alert's endsAt is only Alertmanager's expiry guess.
        ['ApiErrorRateHigh', 'P1', 'firing', null],
        // "critical" is not P0-P3: the default applies.
        ['Odd', 'P2', 'resolved', '2026-03-04T09:30:00.000Z'],
      ],
    );
    expect(g.alerts[0]!.startsAt.toISOString()).toBe('2026-03-04T10:00:00.123Z');
    expect(g.alerts[1]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(g.alerts[1]!.generatorUrl).toBeNull();
  });

  test('args: commonAnnotations.summary titles the group; one dependency names it', () => {
    const one = payload({
      groupLabels: { dependency: 'database' },
      commonLabels: { dependency: 'database' },
      commonAnnotations: { summary: 'The database is in trouble' },
    });
    expect(readPayload(one, 'P3', new Date())).toMatchObject({
      dependency: 'database',
      title: 'The database is in trouble',
    });
  });
});

describe('diffAlerts', () => {
  const alert = (fingerprint: string, status: 'firing' | 'resolved', startsAt: string) => ({
    fingerprint,
    alertname: fingerprint,
    severity: 'P2' as const,
    status,
    startsAt: T(startsAt),
    endsAt: status === 'resolved' ? T('2026-01-01T02:00:00Z') : null,
    labels: {},
    annotations: {},
    generatorUrl: null,
  });
  const known = new Map([
    [
      'a',
      {
        status: 'firing' as const,
        startsAt: Date.parse('2026-01-01T00:00:00Z'),
        severity: 'P2' as const,
        endsAt: null,
      },
    ],
    [
      'b',
      {
        status: 'resolved' as const,
        startsAt: Date.parse('2026-01-01T00:00:00Z'),
        severity: 'P2' as const,
        endsAt: 1,
      },
    ],
  ]);

  test('behavior: only new instances, new firings and resolutions of what fires are changes', () => {
    const changes = diffAlerts(known, [
      alert('a', 'firing', '2026-01-01T00:00:00Z'), // re-sent: nothing
      alert('b', 'firing', '2026-01-01T00:00:00Z'), // late copy of a resolved instance: nothing
      alert('b', 'firing', '2026-01-01T01:00:00Z'), // a new instance: fires again
      alert('c', 'firing', '2026-01-01T01:00:00Z'), // new alert
    ]);
    expect(changes.map((c) => [c.alert.fingerprint, c.kind])).toEqual([
      ['b', 'firing'],
      ['c', 'firing'],
    ]);
    expect(diffAlerts(known, [alert('a', 'resolved', '2026-01-01T00:00:00Z')]).map((c) => c.kind)).toEqual([
      'resolved',
    ]);
    // The resolution of an older instance does not resolve the current one.
    expect(diffAlerts(known, [alert('a', 'resolved', '2025-12-31T00:00:00Z')])).toEqual([]);
    expect(diffAlerts(known, [alert('b', 'resolved', '2026-01-01T00:00:00Z')])).toEqual([]);
  });

  test('args: the advisory lock key is a stable signed 64-bit integer per group', () => {
    expect(groupLockKey('g')).toBe(groupLockKey('g'));
    expect(groupLockKey('g')).not.toBe(groupLockKey('h'));
    expect(BigInt(groupLockKey('g')) >= -(2n ** 63n) && BigInt(groupLockKey('g')) < 2n ** 63n).toBe(true);
  });
});

describe('postmortem draft', () => {
  const incident: IncidentRow = {
    id: '42',
    group_key: '{}:{dependency="database"}',
    group_labels: { dependency: 'database' },
    dependency: 'database',
    title: 'Database | down',
    severity: 'P0',
    state: 'resolved',
    assignee: 'alice',
    previous_id: '41',
    started_at: T('2026-03-04T09:58:30Z'),
    created_at: T('2026-03-04T10:00:00Z'),
    escalation_step: 1,
    ack_deadline: T('2026-03-04T10:10:00Z'),
    next_escalation_at: null,
    acknowledged_at: T('2026-03-04T10:07:15Z'),
    acknowledged_by: 'alice',
    mitigated_at: T('2026-03-04T10:30:00Z'),
    resolved_at: T('2026-03-04T11:02:03Z'),
    resolved_by: 'alertmanager',
    closed_at: null,
    closed_by: null,
    updated_at: T('2026-03-04T11:02:03Z'),
  };
  const alerts: AlertRow[] = [
    {
      incident_id: '42',
      fingerprint: 'f1',
      alertname: 'DatabaseDown',
      severity: 'P0',
      status: 'resolved',
      starts_at: T('2026-03-04T09:58:30Z'),
      ends_at: T('2026-03-04T11:02:03Z'),
      labels: {},
      annotations: { summary: 'PostgreSQL is unreachable', runbook_url: 'docs/runbooks/DatabaseDown.md' },
      generator_url: null,
      first_seen_at: T('2026-03-04T10:00:00Z'),
      last_seen_at: T('2026-03-04T11:02:03Z'),
    },
  ];
  const timeline: TimelineRow[] = [
    {
      id: '1',
      incident_id: '42',
      at: T('2026-03-04T10:00:00Z'),
      kind: 'triggered',
      actor: 'alertmanager',
      message: 'P0 incident opened:\nline two',
      data: {},
    },
  ];

  test('default: summary, key times, alerts, timeline, sections to fill', () => {
    const md = buildPostmortemDraft({
      incident,
      alerts,
      timeline,
      stepNames: ['primary', 'secondary'],
      generatedAt: T('2026-03-04T11:02:03Z'),
    });
    expect(md.split('\n').slice(0, 20)).toEqual([
      '# Postmortem: incident #42 — Database | down',
      '',
      '> Draft generated 2026-03-04T11:02:03Z from the incident record. Complete every section;',
      '> the incident can be closed once this draft has been edited.',
      '',
      '## Summary',
      '',
      'PostgreSQL is unreachable',
      '',
      '- **Severity:** P0',
      '- **Dependency:** database',
      '- **Status:** resolved (resolved by alertmanager)',
      '- **Assignee:** alice',
      '- **Escalation reached:** step 2 (secondary)',
      '- **Alertmanager group:** `{}:{dependency="database"}`',
      '- **Re-trigger of:** incident #41',
      '',
      '## Key times',
      '',
      '| Measure | From → to | When | Duration |',
    ]);
    expect(md).toContain(
      '| Time to detect | first alert started → incident created | 2026-03-04T09:58:30Z → 2026-03-04T10:00:00Z | 1m 30s |',
    );
    expect(md).toContain(
      '| Time to acknowledge | incident created → acknowledged | 2026-03-04T10:07:15Z by alice | 7m 15s |',
    );
    expect(md).toContain(
      '| Time to mitigate | incident created → update marked mitigated | 2026-03-04T10:30:00Z | 30m 00s |',
    );
    expect(md).toContain(
      '| Time to resolve | incident created → resolved | 2026-03-04T11:02:03Z | 1h 02m 03s |',
    );
    expect(md).toContain(
      '| Impact duration | first alert started → resolved | 2026-03-04T09:58:30Z → 2026-03-04T11:02:03Z | 1h 03m 33s |',
    );
    expect(md).toContain(
      '| DatabaseDown | P0 | 2026-03-04T09:58:30Z | 2026-03-04T11:02:03Z | PostgreSQL is unreachable | [runbook](docs/runbooks/DatabaseDown.md) |',
    );
    expect(md).toContain(
      '| 2026-03-04T10:00:00Z | triggered | alertmanager | P0 incident opened: line two |',
    );
    // With CB_PUBLIC_URL the runbook opens where the instance serves it, as in notifications; an
    // annotation of another kind is kept, with what would break the Markdown link encoded.
    const served = buildPostmortemDraft({
      incident,
      alerts: [
        ...alerts,
        { ...alerts[0]!, alertname: 'Wiki', annotations: { runbook_url: 'https://wiki.example/a (b)|c' } },
      ],
      timeline,
      stepNames: ['primary', 'secondary'],
      generatedAt: T('2026-03-04T11:02:03Z'),
      publicUrl: 'https://ops.example',
    });
    expect(served).toContain('[runbook](https://ops.example/v1/runbooks/DatabaseDown) |');
    expect(served).toContain('[runbook](https://wiki.example/a%20%28b%29%7Cc) |');
    for (const s of [
      '## Impact',
      '## Root cause and contributing factors',
      '## What went well, what went badly',
      '## Action items',
    ])
      expect(md).toContain(s);
  });

  test('args: durations and table cells', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(999)).toBe('1s');
    expect(formatDuration(3 * 86_400_000 + 3_600_000)).toBe('3d 01h 00m');
    expect(cell('a|b\nc')).toBe('a\\|b c');
    expect(cell('')).toBe('—');
  });

  test('behavior: only a real change counts as an edit', () => {
    expect(postmortemEdited('a\n\nb', 'a b  ')).toBe(false);
    expect(postmortemEdited('a b', 'a b c')).toBe(true);
  });
});

describe('reliability', () => {
  const row = (
    severity: 'P1',
    started: string,
    created: string,
    acked: string | null,
    resolved: string | null,
  ) => ({
    severity,
    started_at: T(started),
    created_at: T(created),
    acknowledged_at: acked ? T(acked) : null,
    resolved_at: resolved ? T(resolved) : null,
  });

  test('behavior: overlapping impact windows count once; open incidents run to the period end', () => {
    const rows = [
      row(
        'P1',
        '2026-01-01T00:00:00Z',
        '2026-01-01T00:00:00Z',
        '2026-01-01T00:10:00Z',
        '2026-01-01T02:00:00Z',
      ),
      row('P1', '2026-01-01T01:00:00Z', '2026-01-01T01:00:00Z', null, '2026-01-01T03:00:00Z'),
      row('P1', '2026-01-01T22:00:00Z', '2026-01-01T22:00:00Z', null, null),
    ];
    const r = reliability(
      rows,
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-01-02T00:00:00Z'),
      Date.parse('2026-01-05T00:00:00Z'),
    );
    expect(r).toEqual({
      incidents: 3,
      acknowledged: 1,
      resolved: 2,
      mttaSeconds: 600,
      mttrSeconds: (7200 + 7200) / 2,
      downtimeSeconds: 3 * 3600 + 2 * 3600,
      mtbfSeconds: Math.round((86_400 - 5 * 3600) / 3),
    });
    // An incident that began before the period counts for downtime, not as a failure of it.
    const later = reliability(
      rows,
      Date.parse('2026-01-01T01:30:00Z'),
      Date.parse('2026-01-01T04:00:00Z'),
      Date.now(),
    );
    expect(later).toMatchObject({ incidents: 0, mtbfSeconds: null, downtimeSeconds: 5400 });
  });
});

describe('options and planning', () => {
  test('error: every bad option is listed at once', () => {
    let error: unknown;
    try {
      resolveIncidentsOptions({
        calendar: { timeZone: 'Nowhere/Land' },
        channels: { P0: ['pager' as 'sms'] },
        escalation: [
          { name: 'primary', email: ['not-an-address'], sms: ['5551234'], slack: ['missing'] },
          { name: 'primary' },
        ],
        delivery: { retryDelaySeconds: 0 },
        publicUrl: 'ftp://x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'OPS_OPTIONS_INVALID' });
    expect((error as { issues: string[] }).issues).toEqual([
      'calendar: time zone "Nowhere/Land" is not an IANA zone',
      'channels.P0: "pager" is not one of phone, sms, email, slack',
      'escalation[0].email "not-an-address" is not an address',
      'escalation[0]: "5551234" is not an E.164 number (+ and 7-15 digits)',
      'escalation[0].slack "missing" names no configured Slack webhook',
      'escalation[1].name must be set and unique',
      'delivery.retryDelaySeconds must be a whole number from 1 to 86400',
      'publicUrl must be an http(s) URL',
    ]);
  });

  test('behavior: plans cover configured channels with recipients, merged across steps', () => {
    const o = resolveIncidentsOptions({
      email: { host: 'smtp.test', from: 'a@cb.test' },
      slack: { webhooks: { ops: 'https://hooks.slack.test/x', dev: 'https://hooks.slack.test/y' } },
      escalation: [
        { name: 'primary', email: ['p@cb.test'], sms: ['+15550000001'] },
        { name: 'secondary', email: ['s@cb.test', 'p@cb.test'], slack: ['dev'] },
      ],
    });
    // No SMS provider configured: the SMS recipients are skipped.
    expect(planNotifications(o, [0], o.channels.P0)).toEqual([
      { channel: 'email', step: 0, recipients: ['p@cb.test'] },
      { channel: 'slack', step: 0, recipients: ['ops', 'dev'] },
    ]);
    expect(planNotifications(o, [0, 1], ['email', 'slack'])).toEqual([
      { channel: 'email', step: 1, recipients: ['p@cb.test', 's@cb.test'] },
      { channel: 'slack', step: 1, recipients: ['ops', 'dev'] },
    ]);
  });

  test('args: the webhook token is compared whole', () => {
    expect(tokenMatches('secret', 'secret')).toBe(true);
    expect(tokenMatches('secre', 'secret')).toBe(false);
    expect(tokenMatches(undefined, '')).toBe(false);
  });
});

describe('rendering', () => {
  const notice = {
    kind: 'triggered' as const,
    incidentId: '7',
    title: 'x'.repeat(400),
    severity: 'P1' as const,
    previousSeverity: null,
    state: 'triggered' as const,
    dependency: 'api',
    stepName: 'primary',
    ackDeadline: T('2026-03-04T10:30:00Z'),
    link: 'https://cb.test/v1/incidents/7',
    alerts: [],
    totalAlerts: 0,
    updateText: null,
    updateStatus: null,
    author: null,
    resolvedBy: null,
  };
  test('args: a text message fits two segments; a call says what happened', () => {
    expect(renderSms(notice)).toHaveLength(320);
    expect(renderSms({ ...notice, title: 'API errors' })).toBe(
      '[P1] TRIGGERED #7: API errors | ack by 2026-03-04T10:30Z | https://cb.test/v1/incidents/7',
    );
    expect(renderVoice({ ...notice, title: 'API errors', kind: 'escalated', stepName: 'secondary' })).toBe(
      'cb alert. priority one incident 7 was not acknowledged and has been escalated to secondary: API errors. Dependency api. Please acknowledge it in the cb console.',
    );
  });

  test('behavior: a status update reminder asks for an update, not an acknowledgement', () => {
    const due = {
      ...notice,
      title: 'Queue backlog',
      kind: 'update_due' as const,
      state: 'acknowledged' as const,
      updateText: 'No status update for 60 minutes (every 60 minutes for P1): post one.',
    };
    expect(renderSms(due)).toBe(
      '[P1] STATUS UPDATE DUE #7: Queue backlog | No status update for 60 minutes (every 60 minutes for P1): post one. | https://cb.test/v1/incidents/7',
    );
    const mail = renderEmail(due);
    expect(mail.subject).toBe('[P1] STATUS UPDATE DUE #7: Queue backlog');
    expect(mail.text).toContain('\nNo status update for 60 minutes');
    expect(mail.text).toContain('Post an update: POST https://cb.test/v1/incidents/7/updates');
    expect(mail.text).not.toMatch(/Acknowledge|Update from/);
    expect(renderVoice(due)).toBe(
      'cb alert. priority one incident 7 is waiting for a status update: Queue backlog. Dependency api. Please post one in the cb console.',
    );
    expect(JSON.stringify(renderSlack(due).blocks)).not.toContain('Update* from');
  });

  test('behavior: an overdue action item reminder names the item and asks to close or move it, not to acknowledge', () => {
    const text =
      'Action item #4 is overdue: Write the runbook (owner cy), due 2026-07-02 12:00 UTC, 5 minutes late. Mark it done, drop it with a note saying why, or move its due date.';
    const overdue = {
      ...notice,
      title: 'Redis down',
      kind: 'action_overdue' as const,
      state: 'resolved' as const,
      resolvedBy: 'alertmanager',
      updateText: text,
      actionId: '4',
    };
    expect(renderSms(overdue, 1000)).toBe(
      `[P1] ACTION ITEM OVERDUE #7: Redis down | ${text} | https://cb.test/v1/incidents/7`,
    );
    const mail = renderEmail(overdue);
    expect(mail.subject).toBe('[P1] ACTION ITEM OVERDUE #7: Redis down');
    expect(mail.text).toContain(`\n${text}\n`);
    expect(mail.text).toContain('Resolved by: alertmanager');
    expect(mail.text).toContain(
      'Mark it done, drop it with a note, or move its due date: PATCH https://cb.test/v1/incidents/7/actions/4',
    );
    expect(mail.text).not.toMatch(/Acknowledge|Update from|Post an update/);
    expect(renderVoice(overdue)).toBe(
      'cb alert. priority one incident 7 has an action item past its due date: Redis down. Dependency api. Please complete it, drop it or move its due date in the cb console.',
    );
    const slack = JSON.stringify(renderSlack(overdue).blocks);
    expect(slack).toContain('Write the runbook (owner cy)');
    expect(slack).toContain('*Resolved by*');
    expect(slack).not.toContain('Acknowledge by');
  });
});

describe('runbook links', () => {
  test('args: a shipped runbook path links to the instance when its public URL is known; other annotations pass through', () => {
    expect(runbookLink('docs/runbooks/RedisDown.md', 'https://ops.example/cb/')).toBe(
      'https://ops.example/cb/v1/runbooks/RedisDown',
    );
    expect(runbookLink('docs/runbooks/RedisDown.md', undefined)).toBe('docs/runbooks/RedisDown.md');
    expect(runbookLink('https://wiki.example/redis', 'https://cb.test')).toBe('https://wiki.example/redis');
    expect(runbookLink('docs/runbooks/../../secret.md', 'https://cb.test')).toBe(
      'docs/runbooks/../../secret.md',
    );
    expect(runbookLink(undefined, 'https://cb.test')).toBeNull();
  });

  test('behavior: in Slack a URL is a link and a bare path is code, never a broken link', () => {
    const alert = {
      alertname: 'RedisDown',
      severity: 'P1' as const,
      status: 'firing' as const,
      summary: null,
      description: null,
    };
    const notice = {
      kind: 'triggered' as const,
      incidentId: '8',
      title: 'Redis is down',
      severity: 'P1' as const,
      previousSeverity: null,
      state: 'triggered' as const,
      dependency: 'cache',
      stepName: 'primary',
      ackDeadline: T('2026-03-04T10:30:00Z'),
      link: null,
      totalAlerts: 1,
      updateText: null,
      updateStatus: null,
      author: null,
      resolvedBy: null,
    };
    const slackText = (runbookUrl: string) =>
      JSON.stringify(renderSlack({ ...notice, alerts: [{ ...alert, runbookUrl }] }));
    expect(slackText('https://cb.test/v1/runbooks/RedisDown')).toContain(
      '<https://cb.test/v1/runbooks/RedisDown|runbook>',
    );
    const bare = slackText('docs/runbooks/RedisDown.md');
    expect(bare).toContain('runbook: `docs/runbooks/RedisDown.md`');
    expect(bare).not.toContain('|runbook>');
  });
});

describe('settings', () => {
  test('args: SMTP URLs, Slack webhooks, weekdays, hours, channels', () => {
    expect(parseSmtpUrl('smtp://alerts%40x.org:p%40ss@mail.x.org:2525?starttls=required')).toEqual({
      host: 'mail.x.org',
      port: 2525,
      secure: false,
      startTls: 'required',
      username: 'alerts@x.org',
      password: 'p@ss',
    });
    expect(parseSmtpUrl('smtps://mail.x.org')).toMatchObject({ port: 465, secure: true });
    expect(parseSmtpUrl('smtp://relay.local:25?insecure_auth=1')).toMatchObject({
      port: 25,
      allowInsecureAuth: true,
    });
    expect(parseSlackWebhooks('https://hooks.slack.com/services/T/B/X')).toEqual({
      default: 'https://hooks.slack.com/services/T/B/X',
    });
    expect(parseSlackWebhooks('ops=https://h/1, dev=https://h/2')).toEqual({
      ops: 'https://h/1',
      dev: 'https://h/2',
    });
    expect(parseWeekdays('mon-fri')).toEqual([1, 2, 3, 4, 5]);
    expect(parseWeekdays('1-5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseWeekdays('sat-mon')).toEqual([1, 6, 7]);
    expect(parseWeekdays('mon,wed,fri')).toEqual([1, 3, 5]);
    expect(parseWorkingHours('08:30 - 17:30')).toEqual({ start: '08:30', end: '17:30' });
    expect(parseChannelPolicy('P0=phone+sms, p3=slack')).toEqual({ P0: ['phone', 'sms'], P3: ['slack'] });
  });

  test('error: bad settings say what is wrong without echoing secrets', () => {
    expect(() => parseSmtpUrl('smtp//user:secret-pw@host')).toThrow(
      'is not a URL like smtp://user:password@host:587 (value not shown)',
    );
    expect(() => parseSmtpUrl('http://host')).toThrow('must use smtp: or smtps:, got http:');
    expect(() => parseSlackWebhooks('ops=not-a-url-secret')).toThrow(
      'webhook "ops" is not an http(s) URL (value not shown)',
    );
    expect(() => parseWeekdays('someday')).toThrow('"someday" is not a weekday');
    expect(() => parseWorkingHours('9-5')).toThrow('must look like 09:00-18:00');
    expect(() => parseChannelPolicy('P1=sms+pager')).toThrow(
      'P1: pager is not one of phone, sms, email, slack',
    );
    expect(() => parseEscalationPolicy('{')).toThrow('must be a JSON array of steps');
    expect(() => parseEscalationPolicy('[{"email":[]}]')).toThrow('step 1 needs a "name"');
    expect(() => parseEscalationPolicy('[{"name":"a","emails":[]}]')).toThrow(
      'step 1 (a): unknown field emails',
    );
    expect(() => parseEscalationPolicy('[{"name":"a","sms":"+1555"}]')).toThrow(
      '"sms" must be an array of strings',
    );
  });

  test('default: settings become options; the token file wins and is read once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-settings-'));
    try {
      writeFileSync(join(dir, 'token'), ' from-file \n');
      expect(
        readWebhookToken({ alertWebhookToken: 'inline', alertWebhookTokenFile: join(dir, 'token') }),
      ).toBe('from-file');
      expect(readWebhookToken({ alertWebhookToken: 'inline' })).toBe('inline');
      expect(() => readWebhookToken({ alertWebhookTokenFile: join(dir, 'missing') })).toThrow(
        'cannot read CB_ALERT_WEBHOOK_TOKEN_FILE: ENOENT',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const o = incidentsOptionsFromSettings({
      alertWebhookToken: 'tok',
      incidentTimeZone: 'Asia/Shanghai',
      incidentWorkingDays: [1, 2, 3, 4, 5],
      incidentWorkingHours: { start: '09:00', end: '18:00' },
      incidentHolidays: ['2026-10-01'],
      oncallEmail: ['oncall@x.org'],
      oncallSms: ['+8613800000001'],
      smtp: parseSmtpUrl('smtp://mail.x.org'),
      slackWebhooks: parseSlackWebhooks('https://hooks.slack.test/1'),
      twilioAccountSid: 'AC1',
      twilioAuthToken: 't',
      twilioFrom: '+15550000000',
      notifyRetryLimit: 3,
      alertHeartbeatTimeoutMinutes: 15,
    });
    expect(o).toMatchObject({
      webhookToken: 'tok',
      calendar: { timeZone: 'Asia/Shanghai', start: '09:00', end: '18:00', holidays: ['2026-10-01'] },
      escalation: [{ name: 'primary', email: ['oncall@x.org'], sms: ['+8613800000001'], phone: [] }],
      email: { host: 'mail.x.org', from: 'cb alerts <cb-alerts@localhost>' },
      slack: { webhooks: { default: 'https://hooks.slack.test/1' } },
      twilio: { accountSid: 'AC1', from: '+15550000000' },
      delivery: { retryLimit: 3 },
      heartbeatTimeoutMs: 900_000,
    });
    // What comes out is accepted by createIncidents' checks.
    expect(() => resolveIncidentsOptions(o)).not.toThrow();
    expect(() => resolveIncidentsOptions(incidentsOptionsFromSettings({}))).not.toThrow();
  });
});
