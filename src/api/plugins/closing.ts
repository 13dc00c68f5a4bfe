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
 * connection is closed here only while no request of it is in flight, so a draining request is
 * never cut; one whose last request ends during the close is closed as that answer is sent
 * (`Connection: close`), where a keep-alive connection would otherwise hold the close for the
 * keep-alive timeout (72 s).
 */
import type { Socket } from 'node:net';
import { UnavailableError } from '../../platform/errors.ts';
import { globalPlugin } from './global-plugin.ts';

export const closingPlugin = globalPlugin('cb-closing', async (app) => {
  let closing = false;
  /** Open connections → requests of each not yet answered. */
  const inFlight = new Map<Socket, number>();

  app.server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  app.server.on('request', (request, response) => {
    const socket = request.socket;
    const count = inFlight.get(socket);
    if (count === undefined) return; // not a connection of ours to watch (e.g. inject)
    inFlight.set(socket, count + 1);
    response.once('close', () => {
      const left = inFlight.get(socket);
      if (left === undefined) return;
      inFlight.set(socket, left - 1);
      if (closing && left - 1 === 0) socket.destroySoon();
    });
  });

  app.addHook('preClose', (done) => {
    closing = true;
    // destroySoon: whatever is still being written goes out first.
    for (const [socket, count] of inFlight) if (count === 0) socket.destroySoon();
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    done(new UnavailableError('CB_SHUTTING_DOWN', 'this instance is shutting down'));
  });
  // The last answer of a connection during the close tells its client the connection ends with it
  // (a pipelined request behind it still gets its 503 first).
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing && (inFlight.get(request.raw.socket) ?? 0) <= 1) reply.header('connection', 'close');
    done(null, payload);
  });
});
