/**
 * Turns a Fastify reply into a Server-Sent Events stream: the reply is hijacked (no serializer, no
 * compression — which would buffer), the headers set so far by the plugins (traceparent, CORS,
 * rate limit) are kept, and `text/event-stream` goes out at once with `Cache-Control: no-store`,
 * `X-Accel-Buffering: no` (nginx passes each event through instead of buffering) and
 * `Connection: close`.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

export interface SseResponse {
  /** Sends one event; `data` as JSON on one `data:` line; `id` becomes the client's Last-Event-ID. */
  send(event: string, data: unknown, id?: string): void;
  /** A comment line (`: text`): keeps proxies from closing an idle connection; clients ignore it. */
  comment(text: string): void;
  /** Ends the response (the client's EventSource reconnects unless it closes itself). */
  end(): void;
  readonly closed: boolean;
}

export interface OpenSseOptions {
  /** Reconnection delay the client should use, ms. */
  retryMs: number;
  /** Called once when the response is over, whoever ended it (the server, the client, the network). */
  onClose: () => void;
  /**
   * A client reading slower than the stream writes: once this much is buffered the stream ends
   * (the client reconnects and resumes) instead of growing the buffer. @defaultValue 1 MiB
   */
  maxBufferedBytes?: number | undefined;
}

export function openSse(reply: FastifyReply, options: OpenSseOptions): SseResponse {
  const maxBuffered = options.maxBufferedBytes ?? 1_048_576;
  reply.hijack();
  const raw = reply.raw;
  let closed = false;
  raw.once('close', () => {
    closed = true;
    options.onClose();
  });
  // The client may have gone while the stream was being prepared: then 'close' has already fired.
  if (raw.destroyed) {
    closed = true;
    queueMicrotask(options.onClose);
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) headers[name] = value;
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    // Not kept alive once the stream ends: the server's close closes only the connections idle at
    // that moment, and one whose stream it has just ended would otherwise linger until the
    // keep-alive timeout. A client reconnects on a new connection anyway.
    connection: 'close',
  });
  const write = (chunk: string) => {
    if (closed || raw.writableEnded) return;
    raw.write(chunk);
    if (raw.writableLength > maxBuffered) raw.end();
  };
  write(`retry: ${options.retryMs}\n\n`);
  return {
    send(event, data, id) {
      write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      write(`: ${text}\n\n`);
    },
    end() {
      if (!raw.writableEnded) raw.end();
    },
    get closed() {
      return closed || raw.writableEnded;
    },
  };
}
