/**
 * The instance's cap on concurrent requests (CB_HTTP_MAX_IN_FLIGHT; seed 2.1 并发连接数, 警戒值基于
 * 服务配置): a request arriving while the cap is reached is answered at once with 503
 * `CB_OVERLOADED` and `Retry-After: 1`, in the error model, instead of queueing behind the others
 * until every request is slow. The probes (`/healthz`, `/readyz`, `/metrics`) are never shed: an
 * overloaded instance must still say so. The cap is exported as `cb_http_requests_in_flight_limit`
 * (the ApiConcurrencyHigh alert fires at 80 % of it) and shed requests as
 * `cb_http_requests_shed_total`. 0 turns the cap off.
 */
import type { FastifyRequest } from 'fastify';
import { UnavailableError } from '../../platform/errors.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { globalPlugin } from './global-plugin.ts';

export interface LoadSheddingOptions {
  /** Requests served at once; 0: no cap. */
  maxInFlight: number;
  metrics: Pick<Metrics, 'httpRequestsInFlightLimit' | 'httpRequestsShed'>;
}

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export const loadSheddingPlugin = globalPlugin<LoadSheddingOptions>(
  'cb-load-shedding',
  async (app, options) => {
    const { maxInFlight, metrics } = options;
    metrics.httpRequestsInFlightLimit.set(maxInFlight);
    if (maxInFlight <= 0) return;
    let inFlight = 0;
    const counted = new WeakSet<FastifyRequest>();
    app.addHook('onRequest', (request, reply, done) => {
      if (PROBES.has(request.url.split('?', 1)[0]!)) return done();
      if (inFlight >= maxInFlight) {
        metrics.httpRequestsShed.inc();
        reply.header('retry-after', '1');
        return done(
          new UnavailableError(
            'CB_OVERLOADED',
            `this instance is serving its maximum of ${maxInFlight} requests at once (CB_HTTP_MAX_IN_FLIGHT); retry shortly`,
          ),
        );
      }
      // A stream (Server-Sent Events) is refused at the cap but not counted: it lasts minutes and
      // costs a socket, not a worker; CB_SSE_MAX_STREAMS caps streams.
      if (request.routeOptions.config?.stream === true) return done();
      inFlight++;
      counted.add(request);
      // 'close' fires exactly once, whether the reply was sent or the client went away.
      reply.raw.once('close', () => {
        if (counted.delete(request)) inFlight--;
      });
      done();
    });
  },
);
