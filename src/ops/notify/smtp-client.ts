/**
 * `sendMail`: one message over SMTP (RFC 5321) with `node:net`/`node:tls` — EHLO, STARTTLS when
 * offered (or required), AUTH PLAIN, MAIL FROM, RCPT TO per recipient, DATA with CRLF line ends and
 * dot-stuffing, QUIT. Implicit TLS (`secure`, port 465) is supported too.
 *
 * Failures are `NotifyError('OPS_SMTP_FAILED')`: retryable for connection trouble, timeouts and 4xx
 * replies; not retryable for 5xx replies (a refused recipient, bad credentials). The password never
 * reaches a message or a log.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { NotifyError, reasonText, snippet } from './errors.ts';

/** How to reach the SMTP server. */
export interface SmtpSettings {
  host: string;
  /** @defaultValue `465` when `secure`, else `587` */
  port?: number;
  /** Implicit TLS from the first byte (smtps). @defaultValue `false` */
  secure?: boolean;
  /** `auto` upgrades when the server offers STARTTLS, `required` fails without it. @defaultValue `'auto'` */
  startTls?: 'auto' | 'required' | 'never';
  username?: string | undefined;
  password?: string | undefined;
  /** Name sent with EHLO. @defaultValue `'localhost'` */
  clientName?: string;
  /** Whole-conversation time limit, ms. @defaultValue `15000` */
  timeoutMs?: number;
  /** Extra TLS options (a private CA, `rejectUnauthorized: false` for a test server). */
  tls?: tls.ConnectionOptions;
  /** Allow AUTH over an unencrypted connection (a local relay only). @defaultValue `false` */
  allowInsecureAuth?: boolean;
}

export interface MailMessage {
  from: string;
  to: readonly string[];
  subject: string;
  /** Plain-text body (any line ends). */
  text: string;
  /** Extra headers (ASCII values). */
  headers?: Readonly<Record<string, string>>;
}

export interface SentMail {
  messageId: string;
  /** The server's final reply to DATA (e.g. `250 2.0.0 queued as …`). */
  response: string;
  /** Recipients the server accepted. */
  accepted: string[];
}

interface Reply {
  code: number;
  lines: string[];
}

/** Reads SMTP replies (multi-line `250-…` then `250 …`) from a socket. */
class ReplyReader {
  private buffer = '';
  private replies: Reply[] = [];
  private pending: string[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private socket: net.Socket;

  constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private readonly onData = (chunk: Buffer) => {
    this.buffer += chunk.toString('utf8');
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.pending.push(line);
      if (!/^\d{3}-/.test(line)) {
        const code = Number(line.slice(0, 3));
        this.replies.push({ code: Number.isFinite(code) ? code : 0, lines: this.pending });
        this.pending = [];
      }
      nl = this.buffer.indexOf('\n');
    }
    this.flush();
  };
  private readonly onError = (err: Error) => this.fail(err);
  private readonly onClose = () => this.fail(new Error('the server closed the connection'));

  attach(socket: net.Socket): void {
    this.socket.off('data', this.onData).off('error', this.onError).off('close', this.onClose);
    this.socket = socket;
    socket.on('data', this.onData).on('error', this.onError).on('close', this.onClose);
  }

  /** Stops listening (before the socket is handed to TLS). */
  detach(): void {
    this.socket.off('data', this.onData).off('error', this.onError).off('close', this.onClose);
  }

  fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  private flush(): void {
    if (this.waiter && this.replies.length > 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(this.replies.shift()!);
    }
  }

  next(): Promise<Reply> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}

const text = (r: Reply) => r.lines.join(' | ');

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
export function encodeHeaderValue(value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  return `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

/** RFC 5322 date: `Wed, 04 Mar 2026 10:00:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** The bare address of `Name <addr>` or `addr`. */
export function addressOf(mailbox: string): string {
  const m = /<([^>]+)>\s*$/.exec(mailbox);
  return (m ? m[1]! : mailbox).trim();
}

/**
 * The message as sent after DATA: headers, a blank line, the body with CRLF line ends and
 * dot-stuffed (a line starting with `.` gets another). The body is 7-bit when it can be, base64
 * otherwise (non-ASCII text or a line over 998 characters). Ends without the final `.` line.
 */
export function formatMessage(message: MailMessage, messageId: string, date = new Date()): string {
  const body = message.text.replace(/\r\n|\r|\n/g, '\n');
  const lines = body.split('\n');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: 7-bit safe text is the point
  const sevenBit = /^[\x09\x20-\x7e\n]*$/.test(body) && lines.every((l) => l.length <= 998);
  const headers: [string, string][] = [
    ['From', encodeHeaderValue(message.from)],
    ['To', message.to.map(encodeHeaderValue).join(', ')],
    ['Subject', encodeHeaderValue(message.subject)],
    ['Date', rfc5322Date(date)],
    ['Message-ID', messageId],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Transfer-Encoding', sevenBit ? '7bit' : 'base64'],
    ...Object.entries(message.headers ?? {}).map(
      ([k, v]) => [k.replace(/[^A-Za-z0-9-]/g, ''), encodeHeaderValue(v)] as [string, string],
    ),
  ];
  const bodyLines = sevenBit
    ? lines.map((l) => (l.startsWith('.') ? `.${l}` : l))
    : (Buffer.from(body.replace(/\n/g, '\r\n'), 'utf8')
        .toString('base64')
        .match(/.{1,76}/g) ?? []);
  return `${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${bodyLines.join('\r\n')}\r\n`;
}

/** Sends one message; resolves when the server accepted it for delivery. `signal` stops it. */
export async function sendMail(
  settings: SmtpSettings,
  message: MailMessage,
  signal?: AbortSignal,
): Promise<SentMail> {
  if (message.to.length === 0)
    throw new NotifyError('OPS_SMTP_FAILED', 'no recipients', { retryable: false });
  const secure = settings.secure ?? false;
  const port = settings.port ?? (secure ? 465 : 587);
  const timeoutMs = settings.timeoutMs ?? 15_000;
  const startTls = settings.startTls ?? 'auto';
  const where = `${settings.host}:${port}`;
  const fail = (message: string, retryable: boolean, cause?: unknown) =>
    new NotifyError('OPS_SMTP_FAILED', `smtp ${where}: ${message}`, { retryable, cause });

  // SNI takes a host name, never an address (RFC 6066).
  const sni = net.isIP(settings.host) ? {} : { servername: settings.host };
  let socket: net.Socket = secure
    ? tls.connect({ host: settings.host, port, ...sni, ...settings.tls })
    : net.connect({ host: settings.host, port });
  const reader = new ReplyReader(socket);
  const stop = (why: string) => {
    reader.fail(new Error(why));
    socket.destroy();
  };
  const timer = setTimeout(() => stop(`no answer within ${timeoutMs} ms`), timeoutMs);
  const onAbort = () => stop(`stopped: ${reasonText(signal?.reason)}`);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let encrypted = secure;

  const expect = async (step: string, ok: (code: number) => boolean): Promise<Reply> => {
    let reply: Reply;
    try {
      reply = await reader.next();
    } catch (err) {
      throw fail(`${step}: ${(err as Error).message}`, true, err);
    }
    if (!ok(reply.code)) {
      // 4xx: try again later; 5xx: the server refuses for good.
      throw fail(`${step} refused: ${snippet(text(reply))}`, reply.code < 500);
    }
    return reply;
  };
  const send = (line: string) => socket.write(`${line}\r\n`);
  const ehlo = async () => {
    send(`EHLO ${settings.clientName ?? 'localhost'}`);
    const reply = await expect('EHLO', (c) => c === 250);
    return new Set(reply.lines.slice(1).map((l) => l.slice(4).trim().toUpperCase()));
  };

  try {
    await expect('greeting', (c) => c === 220);
    let extensions = await ehlo();
    const offersStartTls = [...extensions].some((e) => e === 'STARTTLS');
    if (!encrypted && startTls !== 'never' && (offersStartTls || startTls === 'required')) {
      if (!offersStartTls) throw fail('STARTTLS is required but the server does not offer it', false);
      send('STARTTLS');
      await expect('STARTTLS', (c) => c === 220);
      reader.detach();
      const plain = socket;
      socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ socket: plain, ...sni, ...settings.tls }, () => resolve(s));
        s.once('error', reject);
      }).catch((err: unknown) => {
        throw fail(`TLS handshake failed: ${(err as Error).message}`, true, err);
      });
      reader.attach(socket);
      encrypted = true;
      extensions = await ehlo();
    }
    if (settings.username !== undefined) {
      if (!encrypted && !settings.allowInsecureAuth)
        throw fail('refusing to send credentials over an unencrypted connection', false);
      const auth = [...extensions].find((e) => e.startsWith('AUTH'));
      if (!auth?.split(/[\s=]+/).includes('PLAIN')) throw fail('the server does not offer AUTH PLAIN', false);
      const token = Buffer.from(`\0${settings.username}\0${settings.password ?? ''}`, 'utf8').toString(
        'base64',
      );
      send(`AUTH PLAIN ${token}`);
      await expect('AUTH', (c) => c === 235);
    }
    send(`MAIL FROM:<${addressOf(message.from)}>`);
    await expect('MAIL FROM', (c) => c === 250);
    const accepted: string[] = [];
    for (const to of message.to) {
      send(`RCPT TO:<${addressOf(to)}>`);
      await expect(`RCPT TO ${addressOf(to)}`, (c) => c === 250 || c === 251);
      accepted.push(addressOf(to));
    }
    send('DATA');
    await expect('DATA', (c) => c === 354);
    const domain = addressOf(message.from).split('@')[1] ?? 'localhost';
    const messageId = `<${randomBytes(12).toString('hex')}@${domain}>`;
    socket.write(`${formatMessage(message, messageId)}.\r\n`);
    const done = await expect('message', (c) => c === 250);
    send('QUIT');
    // The message is accepted; the goodbye is a courtesy not worth waiting long for.
    await Promise.race([
      reader.next().catch(() => undefined),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    return { messageId, response: snippet(text(done)), accepted };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}
