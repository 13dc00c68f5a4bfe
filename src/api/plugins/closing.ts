/**
 * What the HTTP server does once `app.close()` has begun:
 *
 * - new requests are refused: 503 `CB_SHUTTING_DOWN` with `Connection: close`, in the error model.
 *   Requests already running finish normally.
 * - connections with no request running are closed at once, and so is a connection accepted in
 *   the moment before the listener stops.
 *
 * Why not Fastify's `return503OnClosing`: it answers before any hook runs, with its own body
 * (`{"error":"Service Unavailable",…}`), outside the error model, without `traceparent` and
 * uncounted in the metrics. The server is built with `return503OnClosing: false` and this hook
 * does the same job in the house format.
 *
 * Why the connections are closed here: `forceCloseConnections: 'idle'` closes only connections
 * that have finished a request. Node counts a connection that has not sent one yet (browsers open
 * them ahead of need; a client may stop in the middle of its headers) as active, so the server's
 * close waited for it until the headers timeout, long past the shutdown grace period. A
 * connection is closed here only while no response is bound to it (what Node's own
 * closeIdleConnections reads), so a draining request is never cut; one whose last request ends
 * during the close is closed once that answer is written, where a keep-alive connection would
 * otherwise hold the close for the keep-alive timeout (72 s).
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { UnavailableError } from '../../platform/errors.ts';
import { globalPlugin } from './global-plugin.ts';

/** A socket of the HTTP server, with the response Node has bound to it (as Node's own closeIdleConnections reads it). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

export const closingPlugin = globalPlugin('cb-closing', async (app) => {
  let closing = false;
  const open = new Set<HttpSocket>();

  app.server.on('connection', (socket: HttpSocket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });

  /**
   * Ends `socket` once no response is bound to it. A response that is running is waited for; a
   * pipelined request queued behind it binds the next one, which is waited for in turn. Listeners
   * are added only from the close on: none per request in normal running.
   */
  const endWhenIdle = (socket: HttpSocket) => {
    const response = socket._httpMessage;
    if (!response) {
      socket.destroySoon(); // whatever is still being written goes out first
      return;
    }
    response.once('close', () => setImmediate(() => endWhenIdle(socket)));
  };

  app.addHook('preClose', (done) => {
    closing = true;
    for (const socket of open) endWhenIdle(socket);
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    done(new UnavailableError('CB_SHUTTING_DOWN', 'this instance is shutting down'));
  });
});
