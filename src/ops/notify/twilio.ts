/**
 * Text messages and voice calls through a Twilio-style HTTP API:
 * `POST <base>/2010-04-01/Accounts/<sid>/Messages.json` (`To`, `From`, `Body`) and `…/Calls.json`
 * (`To`, `From`, and `Url` of TwiML or inline `Twiml`), form-encoded, with basic auth `sid:token`.
 * The base URL is configurable so tests and other providers with the same API can be used.
 */
import { httpPost } from './http-post.ts';

export interface TwilioSettings {
  /** @defaultValue `'https://api.twilio.com'` */
  baseUrl?: string;
  accountSid: string;
  /** Secret. */
  authToken: string;
  /** Sender number (E.164) or messaging service. */
  from: string;
  /** TwiML URL for calls; without it the call speaks an inline `Twiml` `<Say>`. */
  voiceUrl?: string | undefined;
  /** @defaultValue `10000` */
  timeoutMs?: number;
}

function post(
  settings: TwilioSettings,
  resource: 'Messages' | 'Calls',
  form: Record<string, string>,
  signal: AbortSignal | undefined,
) {
  const base = (settings.baseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const basic = Buffer.from(`${settings.accountSid}:${settings.authToken}`, 'utf8').toString('base64');
  return httpPost({
    url: `${base}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/${resource}.json`,
    target: resource === 'Messages' ? 'sms provider' : 'voice provider',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(form).toString(),
    timeoutMs: settings.timeoutMs ?? 10_000,
    signal,
  });
}

/** The provider's id of a created message or call, when it says. */
function sidOf(text: string): string | undefined {
  try {
    const sid = (JSON.parse(text) as { sid?: unknown }).sid;
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends one text message to `to` (E.164); `signal` stops it. */
export async function sendSms(
  settings: TwilioSettings,
  to: string,
  body: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const r = await post(settings, 'Messages', { To: to, From: settings.from, Body: body }, signal);
  return sidOf(r.text);
}

/** Places one call to `to` that speaks `say` (or plays `settings.voiceUrl`); `signal` stops it. */
export async function placeCall(
  settings: TwilioSettings,
  to: string,
  say: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const how: Record<string, string> = settings.voiceUrl
    ? { Url: settings.voiceUrl }
    : {
        Twiml: `<Response><Say>${escapeXml(say)}</Say><Pause length="1"/><Say>${escapeXml(say)}</Say></Response>`,
      };
  const r = await post(settings, 'Calls', { To: to, From: settings.from, ...how }, signal);
  return sidOf(r.text);
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
