/**
 * The incident settings of the configuration (raw strings in `Config`) parsed with the incident
 * module's parsers. Every bad setting is reported at once, by name, like the rest of the config.
 * Lives at the composition root: the platform's config knows no domain, the domain reads no env.
 */
import {
  type IncidentSettings,
  parseActionRemindEvery,
  parseChannelPolicy,
  parseEscalationPolicy,
  parseResponseTargets,
  parseSlackWebhooks,
  parseSmtpUrl,
  parseUpdateEvery,
  parseWeekdays,
  parseWorkingHours,
} from './ops/index.ts';
import type { Config } from './platform/config.ts';
import { ConfigError } from './platform/errors.ts';

const list = (raw: string | undefined) =>
  raw
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function incidentSettingsFromConfig(config: Readonly<Config>): IncidentSettings {
  const issues: { setting: string; message: string }[] = [];
  const parse = <T>(setting: string, raw: string | undefined, parser: (text: string) => T): T | undefined => {
    if (raw === undefined) return undefined;
    try {
      return parser(raw);
    } catch (err) {
      issues.push({ setting, message: (err as Error).message });
      return undefined;
    }
  };
  const settings: IncidentSettings = {
    alertWebhookToken: config.alertWebhookToken,
    alertWebhookTokenFile: config.alertWebhookTokenFile,
    incidentTimeZone: config.incidentTimeZone,
    incidentWorkingDays: parse('CB_INCIDENT_WORKING_DAYS', config.incidentWorkingDays, parseWeekdays),
    incidentWorkingHours: parse('CB_INCIDENT_WORKING_HOURS', config.incidentWorkingHours, parseWorkingHours),
    incidentHolidays: list(config.incidentHolidays),
    incidentResponseTargets: parse('CB_INCIDENT_RESPONSE_TARGETS', config.incidentResponseTargets, (t) =>
      parseResponseTargets(t),
    ),
    incidentChannels: parse('CB_INCIDENT_CHANNELS', config.incidentChannels, parseChannelPolicy),
    incidentUpdateEvery: parse('CB_INCIDENT_UPDATE_EVERY', config.incidentUpdateEvery, parseUpdateEvery),
    incidentActionRemindEvery: parse(
      'CB_INCIDENT_ACTION_REMIND_EVERY',
      config.incidentActionRemindEvery,
      parseActionRemindEvery,
    ),
    incidentEscalation: parse('CB_INCIDENT_ESCALATION', config.incidentEscalation, parseEscalationPolicy),
    oncallEmail: list(config.oncallEmail),
    oncallSms: list(config.oncallSms),
    oncallPhone: list(config.oncallPhone),
    smtp: parse('CB_SMTP_URL', config.smtpUrl, parseSmtpUrl),
    smtpFrom: config.smtpFrom,
    slackWebhooks: parse('CB_SLACK_WEBHOOK_URLS', config.slackWebhookUrls, parseSlackWebhooks),
    twilioBaseUrl: config.twilioBaseUrl,
    twilioAccountSid: config.twilioAccountSid,
    twilioAuthToken: config.twilioAuthToken,
    twilioFrom: config.twilioFrom,
    twilioVoiceUrl: config.twilioVoiceUrl,
    notifyRetryLimit: config.notifyRetryLimit,
    notifyRetryDelaySeconds: config.notifyRetryDelaySeconds,
    alertHeartbeatTimeoutMinutes: config.alertHeartbeatTimeoutMinutes,
  };
  // Half a Twilio setup would quietly take SMS and phone calls (P0's) out of every incident.
  const twilio = {
    CB_TWILIO_ACCOUNT_SID: config.twilioAccountSid,
    CB_TWILIO_AUTH_TOKEN: config.twilioAuthToken,
    CB_TWILIO_FROM: config.twilioFrom,
  };
  const twilioSet = Object.entries(twilio).filter(([, v]) => v !== undefined);
  if (twilioSet.length > 0 && twilioSet.length < 3)
    for (const [name, value] of Object.entries(twilio))
      if (value === undefined)
        issues.push({
          setting: name,
          message: `is needed too: ${twilioSet.map(([n]) => n).join(' and ')} ${twilioSet.length > 1 ? 'are' : 'is'} set, and SMS and phone calls need all three`,
        });
  // A transport without anyone to reach would drop its notices (a P0's e-mail, SMS, calls) without
  // a trace: nothing is queued for a channel whose recipients are empty.
  const steps = settings.incidentEscalation ?? [
    { email: settings.oncallEmail, sms: settings.oncallSms, phone: settings.oncallPhone },
  ];
  const reaches = (channel: 'email' | 'sms' | 'phone') => steps.some((s) => (s[channel]?.length ?? 0) > 0);
  const policy = settings.incidentEscalation ? 'CB_INCIDENT_ESCALATION' : 'CB_ONCALL_*';
  if (settings.smtp && !reaches('email'))
    issues.push({
      setting: 'CB_SMTP_URL',
      message: `is set, but no escalation step has an e-mail recipient (${policy === 'CB_ONCALL_*' ? 'CB_ONCALL_EMAIL' : '"email" in CB_INCIDENT_ESCALATION'}): every e-mail notice would reach nobody`,
    });
  if (twilioSet.length === 3 && !reaches('sms') && !reaches('phone'))
    issues.push({
      setting: 'CB_TWILIO_ACCOUNT_SID',
      message: `is set, but no escalation step has an SMS or phone recipient (${policy === 'CB_ONCALL_*' ? 'CB_ONCALL_SMS, CB_ONCALL_PHONE' : '"sms"/"phone" in CB_INCIDENT_ESCALATION'}): every SMS and call would reach nobody`,
    });
  if (issues.length > 0) throw new ConfigError(issues);
  return settings;
}
