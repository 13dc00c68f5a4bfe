import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NotifyError } from './errors.ts';
import { postSlackMessage } from './slack.ts';
import { formatMessage, sendMail } from './smtp-client.ts';
import { type HttpSink, type SmtpSink, startHttpSink, startSmtpSink } from './test-sinks.ts';
import { placeCall, sendSms } from './twilio.ts';

let smtp: SmtpSink;
let http: HttpSink;

beforeAll(async () => {
  smtp = await startSmtpSink();
  http = await startHttpSink();
});
afterAll(async () => {
  await smtp?.close();
  await http?.close();
});

const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as NotifyError;
  }
  throw new Error('expected a rejection');
};

describe('sendMail', () => {
  test('default: the message reaches the server with its headers, CRLF lines and dot-stuffing', async () => {
    const sent = await sendMail(
      { host: '127.0.0.1', port: smtp.port, clientName: 'cb.test' },
      {
        from: 'cb alerts <alerts@cb.test>',
        to: ['oncall@cb.test', 'Backup <backup@cb.test>'],
        subject: '[P1] TRIGGERED #7: database slow',
        text: 'first line\n.starts with a dot\n..two dots\nlast\n',
        headers: { 'X-CB-Incident': '7' },
      },
    );
    expect(sent.accepted).toEqual(['oncall@cb.test', 'backup@cb.test']);
    expect(sent.response).toBe('250 2.0.0 queued');
    const m = smtp.messages.at(-1)!;
    expect(m.from).toBe('alerts@cb.test');
    expect(m.to).toEqual(['oncall@cb.test', 'backup@cb.test']);
    expect(m.headers).toMatchObject({
      from: 'cb alerts <alerts@cb.test>',
      to: 'oncall@cb.test, Backup <backup@cb.test>',
      subject: '[P1] TRIGGERED #7: database slow',
      'mime-version': '1.0',
      'content-type': 'text/plain; charset=utf-8',
      'content-transfer-encoding': '7bit',
      'x-cb-incident': '7',
      'message-id': sent.messageId,
    });
    expect(m.headers.date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(m.body).toBe('first line\r\n.starts with a dot\r\n..two dots\r\nlast\r\n');
    expect(m.raw).not.toMatch(/[^\r]\n/);
  });

  test('behavior: non-ASCII subjects are encoded words and such bodies go as base64', async () => {
    await sendMail(
      { host: '127.0.0.1', port: smtp.port },
      { from: 'a@cb.test', to: ['b@cb.test'], subject: '告警: 数据库不可用', text: '数据库不可用\n.点' },
    );
    const m = smtp.messages.at(-1)!;
    expect(m.headers.subject).toBe(`=?UTF-8?B?${Buffer.from('告警: 数据库不可用').toString('base64')}?=`);
    expect(m.headers['content-transfer-encoding']).toBe('base64');
    expect(m.body).toBe('数据库不可用\r\n.点');
  });

  test('args: a message line of a single dot cannot end DATA early', () => {
    const formatted = formatMessage({ from: 'a@x', to: ['b@x'], subject: 's', text: 'a\n.\nb' }, '<id@x>');
    expect(formatted.endsWith('\r\na\r\n..\r\nb\r\n')).toBe(true);
  });

  test('behavior: AUTH PLAIN with the configured credentials', async () => {
    const authed = await startSmtpSink({ auth: { username: 'cb', password: 's3cret-pw' } });
    try {
      await sendMail(
        {
          host: '127.0.0.1',
          port: authed.port,
          username: 'cb',
          password: 's3cret-pw',
          allowInsecureAuth: true,
        },
        { from: 'a@cb.test', to: ['b@cb.test'], subject: 's', text: 'hi' },
      );
      expect(authed.messages[0]?.username).toBe('cb');
      const bad = await caught(
        sendMail(
          {
            host: '127.0.0.1',
            port: authed.port,
            username: 'cb',
            password: 'wrong-pw',
            allowInsecureAuth: true,
          },
          { from: 'a@cb.test', to: ['b@cb.test'], subject: 's', text: 'hi' },
        ),
      );
      expect(bad).toMatchObject({ code: 'OPS_SMTP_FAILED', retryable: false });
      expect(bad.message).toContain('AUTH refused: 535');
      expect(bad.message).not.toContain('wrong-pw');
    } finally {
      await authed.close();
    }
  });

  test('behavior: STARTTLS upgrades the connection before credentials are sent', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-smtp-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
    } catch {
      ctx.skip('openssl is not installed');
    }
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    const secure = await startSmtpSink({ tls: { key, cert }, auth: { username: 'cb', password: 'pw' } });
    try {
      await sendMail(
        {
          host: '127.0.0.1',
          port: secure.port,
          username: 'cb',
          password: 'pw',
          startTls: 'required',
          tls: { ca: cert, servername: 'localhost' },
        },
        { from: 'a@cb.test', to: ['b@cb.test'], subject: 'over tls', text: 'hi' },
      );
      expect(secure.messages[0]).toMatchObject({ encrypted: true, username: 'cb' });
      // A certificate that does not verify is refused (retryable: it may be fixed).
      const untrusted = await caught(
        sendMail(
          { host: '127.0.0.1', port: secure.port, username: 'cb', password: 'pw' },
          { from: 'a@cb.test', to: ['b@cb.test'], subject: 's', text: 'hi' },
        ),
      );
      expect(untrusted.message).toContain('TLS handshake failed');
    } finally {
      await secure.close();
    }
  });

  test('error: a refused recipient is final, a 4xx is retryable, a dead server is retryable', async () => {
    const picky = await startSmtpSink({
      rcptReply: (a) =>
        a.startsWith('gone')
          ? '550 5.1.1 no such user'
          : a.startsWith('busy')
            ? '451 4.3.0 try later'
            : undefined,
    });
    try {
      const gone = await caught(
        sendMail(
          { host: '127.0.0.1', port: picky.port },
          { from: 'a@x.test', to: ['gone@x.test'], subject: 's', text: 't' },
        ),
      );
      expect(gone).toMatchObject({ code: 'OPS_SMTP_FAILED', retryable: false });
      expect(gone.message).toContain('RCPT TO gone@x.test refused: 550 5.1.1 no such user');
      const busy = await caught(
        sendMail(
          { host: '127.0.0.1', port: picky.port },
          { from: 'a@x.test', to: ['busy@x.test'], subject: 's', text: 't' },
        ),
      );
      expect(busy).toMatchObject({ retryable: true });
    } finally {
      await picky.close();
    }
    const down = await caught(
      sendMail(
        { host: '127.0.0.1', port: 1, timeoutMs: 2000 },
        { from: 'a@x.test', to: ['b@x.test'], subject: 's', text: 't' },
      ),
    );
    expect(down).toMatchObject({ code: 'OPS_SMTP_FAILED', retryable: true });
    const noTls = await caught(
      sendMail(
        { host: '127.0.0.1', port: smtp.port, startTls: 'required' },
        { from: 'a@x.test', to: ['b@x.test'], subject: 's', text: 't' },
      ),
    );
    expect(noTls.message).toContain('STARTTLS is required');
    const plainAuth = await caught(
      sendMail(
        { host: '127.0.0.1', port: smtp.port, username: 'u', password: 'p' },
        { from: 'a@x.test', to: ['b@x.test'], subject: 's', text: 't' },
      ),
    );
    expect(plainAuth.message).toContain('refusing to send credentials over an unencrypted connection');
  });

  test("behavior: the caller's signal stops a send waiting on a silent server at once, named, retryable", async () => {
    // A server that accepts the connection and never greets: only the 15 s timeout would end it.
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    try {
      const controller = new AbortController();
      const t0 = Date.now();
      setTimeout(() => controller.abort(new Error('job ran longer than 2 s')), 200);
      const stopped = await caught(
        sendMail(
          { host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port },
          { from: 'a@x.test', to: ['b@x.test'], subject: 's', text: 't' },
          controller.signal,
        ),
      );
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(stopped).toMatchObject({ code: 'OPS_SMTP_FAILED', retryable: true });
      expect(stopped.message).toContain('greeting: stopped: job ran longer than 2 s');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('postSlackMessage', () => {
  test('default: JSON { text, blocks } to the webhook URL', async () => {
    const before = http.requests.length;
    await postSlackMessage(
      { url: `${http.url}/services/T000/B000/XXXX`, name: 'ops' },
      { text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }] },
    );
    const r = http.requests[before]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/services/T000/B000/XXXX');
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.json).toEqual({
      text: 'hello',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }],
    });
  });

  test('error: 5xx is retryable, 4xx is not, and neither names the secret URL', async () => {
    const url = `${http.url}/services/T000/B000/SECRETPART`;
    http.respond = () => ({ status: 500, body: 'internal_error' });
    const e500 = await caught(postSlackMessage({ url, name: 'ops' }, { text: 'x', blocks: [] }));
    http.respond = () => ({ status: 404, body: 'no_service' });
    const e404 = await caught(postSlackMessage({ url, name: 'ops' }, { text: 'x', blocks: [] }));
    http.respond = () => ({ status: 200, body: 'ok', delayMs: 500 });
    const slow = await caught(
      postSlackMessage({ url, name: 'ops', timeoutMs: 100 }, { text: 'x', blocks: [] }),
    );
    http.respond = () => ({ status: 200, body: 'ok' });
    expect(e500).toMatchObject({ code: 'OPS_NOTIFY_FAILED', retryable: true });
    expect(e500.message).toBe('slack webhook "ops" answered 500: internal_error');
    expect(e404).toMatchObject({ code: 'OPS_NOTIFY_REJECTED', retryable: false });
    expect(slow).toMatchObject({ code: 'OPS_NOTIFY_FAILED', retryable: true });
    expect(slow.message).toContain('no answer within 100 ms');
    http.respond = () => ({ status: 200, body: 'ok', delayMs: 2000 });
    const t0 = Date.now();
    const stopped = await caught(
      postSlackMessage({ url, name: 'ops', signal: AbortSignal.timeout(100) }, { text: 'x', blocks: [] }),
    );
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(stopped).toMatchObject({ code: 'OPS_NOTIFY_FAILED', retryable: true });
    expect(stopped.message).toMatch(/^slack webhook "ops": stopped: /);
    http.respond = () => ({ status: 200, body: 'ok' });
    for (const e of [e500, e404, slow, stopped])
      expect(JSON.stringify({ m: e.message, d: e.details })).not.toContain('SECRETPART');
  });
});

describe('twilio-style SMS and voice', () => {
  const settings = () => ({
    baseUrl: http.url,
    accountSid: 'AC123',
    authToken: 'tok-secret',
    from: '+15550000000',
  });

  test('default: form-encoded Messages.json and Calls.json with basic auth', async () => {
    http.respond = (r) => ({
      status: 201,
      body: JSON.stringify({ sid: r.url.includes('Calls') ? 'CA1' : 'SM1' }),
    });
    const before = http.requests.length;
    expect(await sendSms(settings(), '+15551112222', '[P0] #1 api down')).toBe('SM1');
    expect(await placeCall(settings(), '+15551112222', 'Priority zero <incident> 1')).toBe('CA1');
    const [sms, call] = http.requests.slice(before);
    const basic = `Basic ${Buffer.from('AC123:tok-secret').toString('base64')}`;
    expect(sms).toMatchObject({
      url: '/2010-04-01/Accounts/AC123/Messages.json',
      form: { To: '+15551112222', From: '+15550000000', Body: '[P0] #1 api down' },
    });
    expect(sms!.headers.authorization).toBe(basic);
    expect(call!.url).toBe('/2010-04-01/Accounts/AC123/Calls.json');
    expect(call!.form).toMatchObject({ To: '+15551112222', From: '+15550000000' });
    expect(call!.form!.Twiml).toContain('<Say>Priority zero &#60;incident&#62; 1</Say>');
    await placeCall({ ...settings(), voiceUrl: 'https://example.test/twiml' }, '+1555', 'x');
    expect(http.requests.at(-1)!.form).toMatchObject({ Url: 'https://example.test/twiml' });
    expect(http.requests.at(-1)!.form!.Twiml).toBeUndefined();
    http.respond = () => ({ status: 200, body: 'ok' });
  });

  test('error: a provider 429 is retryable and the token is not in the message', async () => {
    http.respond = () => ({ status: 429, body: '{"message":"Too Many Requests"}' });
    const e = await caught(sendSms(settings(), '+1555', 'x'));
    http.respond = () => ({ status: 200, body: 'ok' });
    expect(e).toMatchObject({ code: 'OPS_NOTIFY_FAILED', retryable: true });
    expect(e.message).toBe('sms provider answered 429: {"message":"Too Many Requests"}');
    expect(e.message).not.toContain('tok-secret');
  });
});
