/**
 * The `CB_*` settings of incidents and how they become `IncidentsOptions`. The parsers throw an
 * `Error` whose message says what is wrong (never echoing a secret), for `src/platform/config.ts`
 * to report as a setting problem; `incidentsOptionsFromSettings` assembles the options `main.ts`
 * passes to `createIncidents`. See docs/incidents.md for the table of settings.
 */
import { readFileSync } from 'node:fs';
import { parseDurationSeconds } from '../../platform/duration.ts';
import type { SmtpSettings } from '../notify/smtp-client.ts';
import { type EscalationStep, type IncidentsOptions, MAX_ACTION_REMIND_EVERY_MINUTES } from './options.ts';
import type { ResponseTargets } from './response-targets.ts';
import { CHANNELS, type Channel, isChannel, SEVERITIES, type Severity } from './types.ts';

/** `P0=phone+sms+email+slack,P1=sms+email+slack,P2=email+slack,P3=email+slack` (severities not named keep the seed's). */
export function parseChannelPolicy(text: string): Partial<Record<Severity, Channel[]>> {
  const out: Partial<Record<Severity, Channel[]>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [sev, list = ''] = part.split('=');
    const severity = sev?.trim().toUpperCase() as Severity;
    if (!SEVERITIES.includes(severity)) throw new Error(`"${part}" must look like P1=sms+email+slack`);
    const channels = list
      .split('+')
      .map((c) => c.trim())
      .filter(Boolean);
    const bad = channels.filter((c) => !isChannel(c));
    if (bad.length > 0)
      throw new Error(`${severity}: ${bad.join(', ')} is not one of ${CHANNELS.join(', ')}`);
    out[severity] = channels as Channel[];
  }
  return out;
}

/**
 * `P0=30,P1=60`: minutes an acknowledged incident may go without a status update, by severity
 * (severities not named get no reminder); `off` for none.
 */
export function parseUpdateEvery(text: string): Partial<Record<Severity, number>> {
  const out: Partial<Record<Severity, number>> = {};
  if (text.trim().toLowerCase() === 'off') return out;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(P[0-3])\s*=\s*(\d{1,5})$/i.exec(part);
    const minutes = m ? Number(m[2]) : Number.NaN;
    if (!m || minutes < 1 || minutes > 10_080)
      throw new Error(`"${part}" must look like P0=30 (minutes, 1-10080), or the whole setting off`);
    out[m[1]!.toUpperCase() as Severity] = minutes;
  }
  return out;
}

/**
 * `24h`, `90m`, `7d`: how often an open action item past its due date is reminded, in minutes
 * (whole minutes, 1m-30d); `off` (null) for never.
 */
export function parseActionRemindEvery(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (value === 'off') return null;
  const seconds = parseDurationSeconds(value);
  if (
    seconds === undefined ||
    seconds % 60 !== 0 ||
    seconds < 60 ||
    seconds > MAX_ACTION_REMIND_EVERY_MINUTES * 60
  )
    throw new Error(
      `"${text.trim()}" must be a duration of whole minutes from 1m to 30d such as 24h, 90m or 7d, or off`,
    );
  return seconds / 60;
}

/**
 * The escalation policy as JSON: `[{"name":"primary","email":["oncall@x.org"],"sms":["+15551234567"],
 * "phone":["+15551234567"],"slack":["ops"]},{"name":"secondary",…},{"name":"manager","channels":["phone","email"],…}]`.
 * Shape only; addresses and numbers are checked by `createIncidents`.
 */
export function parseEscalationPolicy(text: string): EscalationStep[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      'must be a JSON array of steps: [{"name":"primary","email":[…],"sms":[…],"phone":[…],"slack":[…]}]',
    );
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error('must be a non-empty JSON array of steps');
  return value.map((step, i) => {
    if (step === null || typeof step !== 'object' || typeof (step as { name?: unknown }).name !== 'string')
      throw new Error(`step ${i + 1} needs a "name"`);
    const s = step as Record<string, unknown>;
    const list = (key: string): string[] | undefined => {
      const v = s[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
        throw new Error(`step ${i + 1} (${String(s.name)}): "${key}" must be an array of strings`);
      return v as string[];
    };
    const unknown = Object.keys(s).filter(
      (k) => !['name', 'email', 'sms', 'phone', 'slack', 'channels'].includes(k),
    );
    if (unknown.length > 0)
      throw new Error(`step ${i + 1} (${String(s.name)}): unknown field ${unknown.join(', ')}`);
    const out: EscalationStep = { name: s.name as string };
    const email = list('email');
    const sms = list('sms');
    const phone = list('phone');
    const slack = list('slack');
    const channels = list('channels');
    if (email) out.email = email;
    if (sms) out.sms = sms;
    if (phone) out.phone = phone;
    if (slack) out.slack = slack;
    if (channels) {
      const bad = channels.filter((c) => !isChannel(c));
      if (bad.length > 0)
        throw new Error(`step ${i + 1}: channel ${bad.join(', ')} is not one of ${CHANNELS.join(', ')}`);
      out.channels = channels as Channel[];
    }
    return out;
  });
}

/** `https://hooks.slack.com/…` (named `default`) or `ops=https://…,dev=https://…`. Never echoes a URL. */
export function parseSlackWebhooks(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  parts.forEach((part, i) => {
    const eq = part.indexOf('=');
    const named = eq > 0 && !part.slice(0, eq).includes(':');
    const name = named ? part.slice(0, eq).trim() : parts.length === 1 ? 'default' : `slack${i + 1}`;
    const url = named ? part.slice(eq + 1).trim() : part;
    if (!/^https?:\/\/[^\s]+$/.test(url))
      throw new Error(`webhook "${name}" is not an http(s) URL (value not shown)`);
    if (out[name] !== undefined) throw new Error(`webhook name "${name}" is used twice`);
    out[name] = url;
  });
  return out;
}

/**
 * `smtp://user:password@host:587` (STARTTLS when offered), `smtps://…:465` (implicit TLS);
 * `?starttls=required|never`, `?insecure_auth=1` (credentials over plain text: local relays only).
 * User and password are URL-encoded. Never echoes the password.
 */
export function parseSmtpUrl(text: string): SmtpSettings {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new Error('is not a URL like smtp://user:password@host:587 (value not shown)');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
    throw new Error(`must use smtp: or smtps:, got ${u.protocol}`);
  if (!u.hostname) throw new Error('has no host');
  const secure = u.protocol === 'smtps:';
  const startTls = u.searchParams.get('starttls') ?? 'auto';
  if (startTls !== 'auto' && startTls !== 'required' && startTls !== 'never')
    throw new Error('starttls must be auto, required or never');
  const out: SmtpSettings = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    startTls,
  };
  if (u.username) {
    out.username = decodeURIComponent(u.username);
    out.password = decodeURIComponent(u.password);
  }
  if (u.searchParams.get('insecure_auth') === '1') out.allowInsecureAuth = true;
  return out;
}

/** ISO weekdays: `1-5`, `1,2,3,4,5`, `mon-fri`, `mon,wed,fri`. */
export function parseWeekdays(text: string): number[] {
  const names = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const day = (t: string) => {
    const v = t.trim().toLowerCase();
    const n = /^[1-7]$/.test(v) ? Number(v) : names.indexOf(v.slice(0, 3)) + 1;
    if (n < 1) throw new Error(`"${t}" is not a weekday (1-7 or mon-sun)`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [a, b] = part.split('-');
    if (b === undefined) out.add(day(a!));
    else
      for (let d = day(a!), end = day(b); ; d = (d % 7) + 1) {
        out.add(d);
        if (d === end) break;
      }
  }
  if (out.size === 0) throw new Error('names no weekday');
  return [...out].sort();
}

/** `09:00-18:00`. */
export function parseWorkingHours(text: string): { start: string; end: string } {
  const m = /^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$/.exec(text);
  if (!m) throw new Error('must look like 09:00-18:00');
  return { start: m[1]!, end: m[2]! };
}

/** The incident settings as `config.ts` holds them (parsed). */
export interface IncidentSettings {
  /** CB_ALERT_WEBHOOK_TOKEN */
  alertWebhookToken?: string | undefined;
  /** CB_ALERT_WEBHOOK_TOKEN_FILE (read once here; wins over the token) */
  alertWebhookTokenFile?: string | undefined;
  /** CB_INCIDENT_TIME_ZONE */
  incidentTimeZone?: string | undefined;
  /** CB_INCIDENT_WORKING_DAYS (parseWeekdays) */
  incidentWorkingDays?: readonly number[] | undefined;
  /** CB_INCIDENT_WORKING_HOURS (parseWorkingHours) */
  incidentWorkingHours?: { start: string; end: string } | undefined;
  /** CB_INCIDENT_HOLIDAYS (comma list of YYYY-MM-DD) */
  incidentHolidays?: readonly string[] | undefined;
  /** CB_INCIDENT_RESPONSE_TARGETS (parseResponseTargets) */
  incidentResponseTargets?: ResponseTargets | undefined;
  /** CB_INCIDENT_UPDATE_EVERY (parseUpdateEvery) */
  incidentUpdateEvery?: Partial<Record<Severity, number>> | undefined;
  /** CB_INCIDENT_ACTION_REMIND_EVERY (parseActionRemindEvery): minutes, null for off */
  incidentActionRemindEvery?: number | null | undefined;
  /** CB_INCIDENT_CHANNELS (parseChannelPolicy) */
  incidentChannels?: Partial<Record<Severity, readonly Channel[]>> | undefined;
  /** CB_INCIDENT_ESCALATION (parseEscalationPolicy); without it one step from the CB_ONCALL_* lists */
  incidentEscalation?: readonly EscalationStep[] | undefined;
  /** CB_ONCALL_EMAIL, CB_ONCALL_SMS, CB_ONCALL_PHONE (comma lists) */
  oncallEmail?: readonly string[] | undefined;
  oncallSms?: readonly string[] | undefined;
  oncallPhone?: readonly string[] | undefined;
  /** CB_SMTP_URL (parseSmtpUrl) and CB_SMTP_FROM */
  smtp?: SmtpSettings | undefined;
  smtpFrom?: string | undefined;
  /** CB_SLACK_WEBHOOK_URLS (parseSlackWebhooks) */
  slackWebhooks?: Readonly<Record<string, string>> | undefined;
  /** CB_TWILIO_BASE_URL, CB_TWILIO_ACCOUNT_SID, CB_TWILIO_AUTH_TOKEN, CB_TWILIO_FROM, CB_TWILIO_VOICE_URL */
  twilioBaseUrl?: string | undefined;
  twilioAccountSid?: string | undefined;
  twilioAuthToken?: string | undefined;
  twilioFrom?: string | undefined;
  twilioVoiceUrl?: string | undefined;
  /** CB_NOTIFY_RETRY_LIMIT, CB_NOTIFY_RETRY_DELAY_SECONDS */
  notifyRetryLimit?: number | undefined;
  notifyRetryDelaySeconds?: number | undefined;
  /** CB_ALERT_HEARTBEAT_TIMEOUT_MINUTES */
  alertHeartbeatTimeoutMinutes?: number | undefined;
}

/** The token from its file (trimmed) or the setting; undefined when neither is set. */
export function readWebhookToken(
  s: Pick<IncidentSettings, 'alertWebhookToken' | 'alertWebhookTokenFile'>,
): string | undefined {
  if (s.alertWebhookTokenFile) {
    try {
      return readFileSync(s.alertWebhookTokenFile, 'utf8').trim() || undefined;
    } catch (err) {
      throw new Error(
        `cannot read CB_ALERT_WEBHOOK_TOKEN_FILE: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  return s.alertWebhookToken || undefined;
}

/** Options for `createIncidents` from the settings (what is unset keeps its default). */
export function incidentsOptionsFromSettings(s: IncidentSettings): IncidentsOptions {
  const o: IncidentsOptions = {};
  o.webhookToken = readWebhookToken(s);
  o.calendar = {
    ...(s.incidentTimeZone ? { timeZone: s.incidentTimeZone } : {}),
    ...(s.incidentWorkingDays ? { weekdays: s.incidentWorkingDays } : {}),
    ...(s.incidentWorkingHours ?? {}),
    ...(s.incidentHolidays ? { holidays: s.incidentHolidays } : {}),
  };
  if (s.incidentResponseTargets) o.responseTargets = s.incidentResponseTargets;
  if (s.incidentChannels) o.channels = s.incidentChannels;
  if (s.incidentUpdateEvery) o.updateEvery = s.incidentUpdateEvery;
  if (s.incidentActionRemindEvery !== undefined) o.actionRemindEveryMinutes = s.incidentActionRemindEvery;
  o.escalation = s.incidentEscalation ?? [
    {
      name: 'primary',
      email: s.oncallEmail ?? [],
      sms: s.oncallSms ?? [],
      phone: s.oncallPhone ?? [],
    },
  ];
  if (s.smtp) o.email = { ...s.smtp, from: s.smtpFrom ?? 'cb alerts <cb-alerts@localhost>' };
  if (s.slackWebhooks && Object.keys(s.slackWebhooks).length > 0) o.slack = { webhooks: s.slackWebhooks };
  if (s.twilioAccountSid && s.twilioAuthToken && s.twilioFrom)
    o.twilio = {
      accountSid: s.twilioAccountSid,
      authToken: s.twilioAuthToken,
      from: s.twilioFrom,
      ...(s.twilioBaseUrl ? { baseUrl: s.twilioBaseUrl } : {}),
      ...(s.twilioVoiceUrl ? { voiceUrl: s.twilioVoiceUrl } : {}),
    };
  o.delivery = {
    ...(s.notifyRetryLimit !== undefined ? { retryLimit: s.notifyRetryLimit } : {}),
    ...(s.notifyRetryDelaySeconds !== undefined ? { retryDelaySeconds: s.notifyRetryDelaySeconds } : {}),
  };
  if (s.alertHeartbeatTimeoutMinutes !== undefined)
    o.heartbeatTimeoutMs = s.alertHeartbeatTimeoutMinutes * 60_000;
  return o;
}
