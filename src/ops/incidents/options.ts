/**
 * Options of `createIncidents`, field by field with defaults, and their one-time check: every
 * problem is reported at once (`OPS_OPTIONS_INVALID`), then the resolved options are frozen.
 */
import type { SmtpSettings } from '../notify/smtp-client.ts';
import type { TwilioSettings } from '../notify/twilio.ts';
import { IncidentsOptionsError } from './errors.ts';
import { DEFAULT_RESPONSE_TARGETS, type ResponseTargets } from './response-targets.ts';
import { CHANNELS, type Channel, isChannel, SEVERITIES, type Severity } from './types.ts';
import {
  calendarProblems,
  createWorkingCalendar,
  type WorkingCalendar,
  type WorkingCalendarSpec,
} from './working-calendar.ts';

/** One step of the escalation policy: who is notified, on which channels. */
export interface EscalationStep {
  /** Shown in the timeline and messages: `primary`, `secondary`, `manager`. */
  name: string;
  email?: readonly string[];
  /** E.164 numbers for text messages. */
  sms?: readonly string[];
  /** E.164 numbers for voice calls. */
  phone?: readonly string[];
  /** Names of Slack webhooks (keys of `slack.webhooks`). @defaultValue every configured webhook */
  slack?: readonly string[];
  /** Channels this step may be reached on. @defaultValue every channel of the severity's policy */
  channels?: readonly Channel[];
}

/** SMTP server and sender of incident emails. */
export interface EmailOptions extends SmtpSettings {
  /** `From` of every message, e.g. `cb alerts <alerts@example.org>`. */
  from: string;
}

export interface SlackOptions {
  /** Incoming-webhook URLs by name (secrets); steps refer to the names. */
  webhooks: Readonly<Record<string, string>>;
  /** @defaultValue `10000` */
  timeoutMs?: number;
}

export interface DeliveryOptions {
  /** Retries of a failed delivery before it is recorded as failed and dead-lettered. @defaultValue `5` */
  retryLimit?: number;
  /** Base of the exponential backoff between retries, seconds (≥ 1). @defaultValue `10` */
  retryDelaySeconds?: number;
  /**
   * Worker loops per channel queue per process. One is enough for most installs: a loop takes a
   * batch, sends it in parallel and records it in one statement (more loops mostly add polling).
   * @defaultValue `1`
   */
  concurrency?: number;
  /** Deliveries one loop takes at a time (sent in parallel). @defaultValue `25` */
  batchSize?: number;
  /**
   * A run still sending after this long is stopped and its jobs retried. JobRunningTooLong warns at
   * 30 s for these queues: a value under ~105 s leaves the alert no time to fire first
   * (test/alerting/job-expiry.test.ts checks the default). @defaultValue `120`
   */
  expireInSeconds?: number;
}

export interface IncidentsOptions {
  /** Bearer token Alertmanager sends; without it the webhook answers 503. */
  webhookToken?: string | undefined;
  /** Working hours that response targets use. @defaultValue Monday-Friday 09:00-18:00 UTC */
  calendar?: WorkingCalendarSpec;
  /** Ack targets per severity. @defaultValue `DEFAULT_RESPONSE_TARGETS` (seed 3.1) */
  responseTargets?: ResponseTargets;
  /**
   * Channels per severity. @defaultValue seed 3.1: P0 phone, sms, email, slack; P1 sms, email,
   * slack; P2 and P3 email, slack
   */
  channels?: Partial<Record<Severity, readonly Channel[]>>;
  /** Who is notified first, and next each time a response target is missed. @defaultValue one empty `primary` step */
  escalation?: readonly EscalationStep[];
  /** Channels of the recovery notice (of those the incident used). @defaultValue `['sms', 'email', 'slack']` */
  recoveryChannels?: readonly Channel[];
  /** Channels that carry status updates. @defaultValue `['slack']` */
  updateChannels?: readonly Channel[];
  /**
   * Minutes an acknowledged incident may go without a status update (seed 3.3 step 7 状态更新:
   * 定期更新问题状态和进展) before the update channels are reminded that one is due; severities not
   * named get no reminder. @defaultValue `DEFAULT_UPDATE_EVERY`: P0 30, P1 60
   */
  updateEvery?: Partial<Record<Severity, number>>;
  /**
   * Minutes between reminders of an open action item past its due date (seed 3.3 step 10 改进措施):
   * the update channels are told when it falls overdue, then once per interval while it stays open
   * and overdue; `null` for none. @defaultValue `1440` (a day)
   */
  actionRemindEveryMinutes?: number | null;
  email?: EmailOptions | undefined;
  slack?: SlackOptions | undefined;
  /** SMS and voice provider (Twilio API). */
  twilio?: TwilioSettings | undefined;
  delivery?: DeliveryOptions;
  /** Base URL of the API, for links in messages. */
  publicUrl?: string | undefined;
  /**
   * Largest webhook body accepted (Alertmanager sends a whole group in one call; a 413 would be
   * retried forever). @defaultValue `16 MiB`
   */
  webhookBodyLimitBytes?: number;
  /** Severity of an alert whose `severity` label is missing or not P0-P3. @defaultValue `'P2'` */
  defaultSeverity?: Severity;
  /** How often `cb_incidents` is sampled from the database, ms. @defaultValue `15000` */
  sampleIntervalMs?: number;
  /** Cron of the sweep that escalates overdue incidents and re-queues lost deliveries. @defaultValue `'* * * * *'` */
  sweepCron?: string;
  /** A notification not queued this long after it was written is queued by the sweep, ms. @defaultValue `30000` */
  requeueAfterMs?: number;
  /**
   * The alerting pipeline is silent when no AlertingHeartbeat reached the webhook for this long
   * (it comes every minute): the sweep then opens an AlertingPipelineSilent incident of its own.
   * CB_ALERT_HEARTBEAT_TIMEOUT_MINUTES. @defaultValue `600000` (10 minutes)
   */
  heartbeatTimeoutMs?: number;
  /** The clock. @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** The checked, defaulted options. */
export interface ResolvedIncidentsOptions {
  readonly webhookToken: string | undefined;
  readonly calendar: WorkingCalendar;
  readonly responseTargets: ResponseTargets;
  readonly channels: Readonly<Record<Severity, readonly Channel[]>>;
  readonly escalation: readonly EscalationStep[];
  readonly recoveryChannels: readonly Channel[];
  readonly updateChannels: readonly Channel[];
  readonly updateEvery: Readonly<Partial<Record<Severity, number>>>;
  readonly actionRemindEveryMinutes: number | null;
  readonly email: EmailOptions | undefined;
  readonly slack: SlackOptions | undefined;
  readonly twilio: TwilioSettings | undefined;
  readonly delivery: Readonly<Required<DeliveryOptions>>;
  readonly publicUrl: string | undefined;
  readonly webhookBodyLimitBytes: number;
  readonly defaultSeverity: Severity;
  readonly sampleIntervalMs: number;
  readonly sweepCron: string;
  readonly requeueAfterMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly now: () => Date;
}

/** Minutes between status updates of an acknowledged incident, by severity (none for P2 and P3). */
export const DEFAULT_UPDATE_EVERY: Readonly<Partial<Record<Severity, number>>> = Object.freeze({
  P0: 30,
  P1: 60,
});

/** Minutes between reminders of an overdue action item: a day. */
export const DEFAULT_ACTION_REMIND_EVERY_MINUTES = 1440;

/** Longest interval between reminders of an overdue action item, minutes: 30 days. */
export const MAX_ACTION_REMIND_EVERY_MINUTES = 43_200;

/** Seed 3.1 通知渠道. */
export const DEFAULT_CHANNELS: Readonly<Record<Severity, readonly Channel[]>> = Object.freeze({
  P0: ['phone', 'sms', 'email', 'slack'],
  P1: ['sms', 'email', 'slack'],
  P2: ['email', 'slack'],
  P3: ['email', 'slack'],
});

const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/** Channels that have transport settings. */
export function configuredChannels(
  o: Pick<ResolvedIncidentsOptions, 'email' | 'slack' | 'twilio'>,
): Set<Channel> {
  const out = new Set<Channel>();
  if (o.email) out.add('email');
  if (o.twilio) {
    out.add('sms');
    out.add('phone');
  }
  if (o.slack && Object.keys(o.slack.webhooks).length > 0) out.add('slack');
  return out;
}

export function resolveIncidentsOptions(options: IncidentsOptions = {}): ResolvedIncidentsOptions {
  const issues: string[] = [];
  const channelList = (where: string, list: readonly unknown[]) => {
    for (const c of list)
      if (!isChannel(c)) issues.push(`${where}: "${String(c)}" is not one of ${CHANNELS.join(', ')}`);
  };

  issues.push(...calendarProblems(options.calendar ?? {}).map((i) => `calendar: ${i}`));
  const targets = options.responseTargets ?? DEFAULT_RESPONSE_TARGETS;
  for (const s of SEVERITIES) {
    const t = targets[s];
    for (const [k, v] of [
      ['inHours', t?.inHours],
      ['offHours', t?.offHours],
    ] as const) {
      if (!v || !(v.minutes >= 0) || (v.clock !== 'wall' && v.clock !== 'working'))
        issues.push(`responseTargets.${s}.${k} must be { minutes >= 0, clock: wall | working }`);
    }
  }
  const channels = { ...DEFAULT_CHANNELS, ...options.channels };
  for (const s of SEVERITIES) channelList(`channels.${s}`, channels[s]);
  const recoveryChannels = options.recoveryChannels ?? ['sms', 'email', 'slack'];
  const updateChannels = options.updateChannels ?? ['slack'];
  channelList('recoveryChannels', recoveryChannels);
  channelList('updateChannels', updateChannels);
  const updateEvery = options.updateEvery ?? DEFAULT_UPDATE_EVERY;
  for (const [s, minutes] of Object.entries(updateEvery))
    if (
      !SEVERITIES.includes(s as Severity) ||
      !Number.isInteger(minutes) ||
      minutes! < 1 ||
      minutes! > 10_080
    )
      issues.push(`updateEvery.${s} must be a severity P0-P3 with 1-10080 minutes`);
  const actionRemindEveryMinutes =
    options.actionRemindEveryMinutes === undefined
      ? DEFAULT_ACTION_REMIND_EVERY_MINUTES
      : options.actionRemindEveryMinutes;
  if (
    actionRemindEveryMinutes !== null &&
    (!Number.isInteger(actionRemindEveryMinutes) ||
      actionRemindEveryMinutes < 1 ||
      actionRemindEveryMinutes > MAX_ACTION_REMIND_EVERY_MINUTES)
  )
    issues.push(
      `actionRemindEveryMinutes must be a whole number from 1 to ${MAX_ACTION_REMIND_EVERY_MINUTES}, or null for no reminders`,
    );

  const slackNames = new Set(Object.keys(options.slack?.webhooks ?? {}));
  for (const [name, url] of Object.entries(options.slack?.webhooks ?? {})) {
    if (!/^[a-zA-Z0-9_-]{1,40}$/.test(name))
      issues.push(`slack webhook name "${name}" must be 1-40 of a-z 0-9 _ -`);
    if (!/^https?:\/\//.test(url)) issues.push(`slack webhook "${name}" must be an http(s) URL`);
  }
  const escalation = options.escalation ?? [{ name: 'primary' }];
  if (escalation.length === 0) issues.push('escalation needs at least one step');
  const stepNames = new Set<string>();
  escalation.forEach((step, i) => {
    const where = `escalation[${i}]`;
    if (!step.name || stepNames.has(step.name)) issues.push(`${where}.name must be set and unique`);
    stepNames.add(step.name);
    for (const a of step.email ?? [])
      if (!EMAIL.test(a)) issues.push(`${where}.email "${a}" is not an address`);
    for (const n of [...(step.sms ?? []), ...(step.phone ?? [])])
      if (!E164.test(n)) issues.push(`${where}: "${n}" is not an E.164 number (+ and 7-15 digits)`);
    for (const s of step.slack ?? [])
      if (!slackNames.has(s)) issues.push(`${where}.slack "${s}" names no configured Slack webhook`);
    channelList(`${where}.channels`, step.channels ?? []);
  });

  if (options.email) {
    if (!options.email.host) issues.push('email.host is required');
    if (!EMAIL.test(options.email.from.replace(/^.*<([^>]+)>\s*$/, '$1')))
      issues.push(`email.from "${options.email.from}" is not an address`);
  }
  if (options.twilio) {
    if (!options.twilio.accountSid || !options.twilio.authToken || !options.twilio.from)
      issues.push('twilio needs accountSid, authToken and from');
  }
  const delivery = {
    retryLimit: options.delivery?.retryLimit ?? 5,
    retryDelaySeconds: options.delivery?.retryDelaySeconds ?? 10,
    concurrency: options.delivery?.concurrency ?? 1,
    batchSize: options.delivery?.batchSize ?? 25,
    expireInSeconds: options.delivery?.expireInSeconds ?? 120,
  };
  const intIn = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max)
      issues.push(`${name} must be a whole number from ${min} to ${max}`);
  };
  intIn('delivery.retryLimit', delivery.retryLimit, 0, 100);
  intIn('delivery.retryDelaySeconds', delivery.retryDelaySeconds, 1, 86_400);
  intIn('delivery.concurrency', delivery.concurrency, 1, 64);
  intIn('delivery.batchSize', delivery.batchSize, 1, 1000);
  intIn('delivery.expireInSeconds', delivery.expireInSeconds, 1, 3600);
  const sampleIntervalMs = options.sampleIntervalMs ?? 15_000;
  intIn('sampleIntervalMs', sampleIntervalMs, 10, 3_600_000);
  const requeueAfterMs = options.requeueAfterMs ?? 30_000;
  intIn('requeueAfterMs', requeueAfterMs, 0, 86_400_000);
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 600_000;
  intIn('heartbeatTimeoutMs', heartbeatTimeoutMs, 1000, 86_400_000);
  const webhookBodyLimitBytes = options.webhookBodyLimitBytes ?? 16 * 1024 * 1024;
  intIn('webhookBodyLimitBytes', webhookBodyLimitBytes, 1024, 1024 * 1024 * 1024);
  const defaultSeverity = options.defaultSeverity ?? 'P2';
  if (!SEVERITIES.includes(defaultSeverity))
    issues.push(`defaultSeverity must be one of ${SEVERITIES.join(', ')}`);
  if (options.publicUrl !== undefined && !/^https?:\/\/\S+$/.test(options.publicUrl))
    issues.push('publicUrl must be an http(s) URL');
  if (issues.length > 0) throw new IncidentsOptionsError(issues);

  return Object.freeze({
    webhookToken: options.webhookToken === '' ? undefined : options.webhookToken,
    calendar: createWorkingCalendar(options.calendar ?? {}),
    responseTargets: targets,
    channels: Object.freeze(channels),
    escalation: Object.freeze([...escalation]),
    recoveryChannels,
    updateChannels,
    updateEvery,
    actionRemindEveryMinutes,
    email: options.email,
    slack: options.slack,
    twilio: options.twilio,
    delivery: Object.freeze(delivery),
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    webhookBodyLimitBytes,
    defaultSeverity,
    sampleIntervalMs,
    sweepCron: options.sweepCron ?? '* * * * *',
    requeueAfterMs,
    heartbeatTimeoutMs,
    now: options.now ?? (() => new Date()),
  });
}
