/**
 * Refuses new requests once `app.close()` has begun: 503 `CB_SHUTTING_DOWN` with
 * `Connection: close`, in the error model. Requests already running finish normally.
 *
 * Why not Fastify's `return503OnClosing`: it answers before any hook runs, with its own body
 * (`{"error":"Service Unavailable",…}`), outside the error model, without `traceparent` and
 * uncounted in the metrics. The server is built with `return503OnClosing: false` and this hook
 * does the same job in the house format.
 */
import { UnavailableError } from '../../platform/errors.ts';
import { globalPlugin } from './global-plugin.ts';

export const closingPlugin = globalPlugin('cb-closing', async (app) => {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    done(new UnavailableError('CB_SHUTTING_DOWN', 'this instance is shutting down'));
  });
});
