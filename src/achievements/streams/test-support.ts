/**
 * For tests: a Server-Sent Events client over real HTTP (node:http), since `app.inject()` does
 * not stream. It parses events and comments as they arrive; `next()` waits for the next event.
 */
import { get, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: unknown;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** The JSON body of a refusal (status other than 200). */
  body: unknown;
  /** The next event not yet taken (comments are not events); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Every event received so far, taken or not. */
  readonly events: SseEvent[];
  /** Comment lines received (without the `: `). */
  readonly comments: string[];
  /** Resolves when the server ends the stream (or it breaks). */
  readonly ended: Promise<void>;
  readonly isEnded: boolean;
  /** Closes it from the client's side. */
  close(): void;
}

export async function openSseClient(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  // node:http without an agent: one connection of its own, gone with the stream (fetch, aborted,
  // leaves a fresh idle connection behind, which holds a server's close until its keep-alive ends).
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = get(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, resolve);
    request.on('error', reject);
  });
  const status = response.statusCode ?? 0;
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') responseHeaders.set(name, value);
  }
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let taken = 0;
  let isEnded = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  if (status !== 200) {
    let text = '';
    for await (const chunk of response) text += String(chunk);
    return {
      status,
      headers: responseHeaders,
      body: JSON.parse(text) as unknown,
      next: () => Promise.reject(new Error(`no stream: ${status}`)),
      events,
      comments,
      ended: Promise.resolve(),
      isEnded: true,
      close: () => {},
    };
  }

  response.setEncoding('utf8');
  let buffer = '';
  response.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      let data: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data = line.slice(6);
      }
      if (data !== undefined) events.push({ event, id, data: JSON.parse(data) as unknown });
      notify();
    }
  });
  const ended = new Promise<void>((resolve) => {
    response.once('close', () => {
      isEnded = true;
      notify();
      resolve();
    });
  });

  return {
    status,
    headers: responseHeaders,
    body: undefined,
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (taken < events.length) return events[taken++]!;
        if (isEnded) throw new Error(`the stream ended; events: ${JSON.stringify(events)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; events: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    events,
    comments,
    ended,
    get isEnded() {
      return isEnded;
    },
    close() {
      response.destroy();
    },
  };
}
