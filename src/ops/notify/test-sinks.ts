/**
 * Local stand-ins for the notification providers, for tests and the benchmark (not used by the
 * product): an SMTP server that keeps every message it receives, and an HTTP server that records
 * every request (Slack webhooks, the SMS/voice API) and answers what the test says.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message after DATA, dot-stuffing removed, CRLF line ends. */
  raw: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body, decoded when it was base64. */
  body: string;
  /** The AUTH PLAIN identity, when the client authenticated. */
  username: string | undefined;
  /** True when the message arrived over TLS (after STARTTLS). */
  encrypted: boolean;
  /** When the message was accepted (Unix ms). */
  at: number;
}

export interface SmtpSinkOptions {
  /** Credentials to demand: the sink offers AUTH PLAIN and refuses other ones with 535. */
  auth?: { username: string; password: string };
  /** A reply to give to RCPT TO instead of 250 (e.g. `550 no such user`). */
  rcptReply?: (address: string) => string | undefined;
  /** Offer STARTTLS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((plain) => {
    sockets.add(plain);
    plain.on('close', () => sockets.delete(plain));
    plain.on('error', () => {});
    let socket: net.Socket = plain;
    let encrypted = false;
    let buffer = '';
    let inData = false;
    let data: string[] = [];
    let from = '';
    let to: string[] = [];
    let username: string | undefined;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 sink.test ESMTP ready');
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl = buffer.indexOf('\r\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        nl = buffer.indexOf('\r\n');
        if (inData) {
          if (line === '.') {
            inData = false;
            const raw = data.join('\r\n');
            const [head = '', ...rest] = raw.split('\r\n\r\n');
            const headers: Record<string, string> = {};
            for (const h of head.split('\r\n')) {
              const colon = h.indexOf(':');
              if (colon > 0) headers[h.slice(0, colon).toLowerCase()] = h.slice(colon + 1).trim();
            }
            let body = rest.join('\r\n\r\n');
            if (headers['content-transfer-encoding'] === 'base64')
              body = Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8');
            messages.push({ from, to, raw, headers, body, username, encrypted, at: Date.now() });
            from = '';
            to = [];
            data = [];
            reply('250 2.0.0 queued');
          } else data.push(line.startsWith('.') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          socket.write('250-sink.test\r\n250-8BITMIME\r\n');
          if (options.tls && !encrypted) socket.write('250-STARTTLS\r\n');
          reply(options.auth ? '250 AUTH PLAIN' : '250 SIZE 10485760');
        } else if (verb === 'STAR' && options.tls && !encrypted) {
          reply('220 2.0.0 ready to start TLS');
          plain.off('data', onData);
          buffer = '';
          const secure = new tls.TLSSocket(plain, { isServer: true, ...options.tls });
          secure.on('error', () => {});
          secure.on('data', onData);
          socket = secure;
          encrypted = true;
          return;
        } else if (verb === 'HELO') reply('250 sink.test');
        else if (verb === 'AUTH') {
          const [, mech, token] = line.split(' ');
          const [, user, pass] = Buffer.from(token ?? '', 'base64')
            .toString('utf8')
            .split('\0');
          if (mech === 'PLAIN' && user === options.auth?.username && pass === options.auth?.password) {
            username = user;
            reply('235 2.7.0 authenticated');
          } else reply('535 5.7.8 authentication failed');
        } else if (verb === 'MAIL') {
          if (options.auth && username === undefined) reply('530 5.7.0 authentication required');
          else {
            from = /<([^>]*)>/.exec(line)?.[1] ?? '';
            reply('250 2.1.0 ok');
          }
        } else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const custom = options.rcptReply?.(address);
          if (custom) reply(custom);
          else {
            to.push(address);
            reply('250 2.1.5 ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'RSET') reply('250 ok');
        else if (verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 5.5.2 command not recognised');
      }
    };
    plain.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON, when it is. */
  json: unknown;
  /** The body parsed as a form, when it is one. */
  form: Record<string, string> | undefined;
  at: number;
}

export interface HttpSinkReply {
  status: number;
  body?: string;
  /** Answer after this many ms. */
  delayMs?: number;
}

export interface HttpSink {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: ReceivedRequest[];
  /** Decides each answer; 200 with a small JSON body by default. */
  respond: (request: ReceivedRequest) => HttpSinkReply;
  close(): Promise<void>;
}

export async function startHttpSink(): Promise<HttpSink> {
  const sink = {
    url: '',
    requests: [] as ReceivedRequest[],
    respond: ((r: ReceivedRequest) =>
      r.url.includes('/2010-04-01/')
        ? { status: 201, body: JSON.stringify({ sid: `SM${r.at}` }) }
        : { status: 200, body: 'ok' }) as (request: ReceivedRequest) => HttpSinkReply,
    close: async () => {},
  };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const form = String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body))
        : undefined;
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json,
        form,
        at: Date.now(),
      };
      sink.requests.push(received);
      const answer = sink.respond(received);
      const send = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
