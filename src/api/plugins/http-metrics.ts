/**
 * HTTP metrics: `cb_http_request_duration_seconds{method,route,status_code}` and
 * `cb_http_requests_in_flight`.
 *
 * `route` is the route pattern (`/v1/things/:id`), never the raw path, and `unmatched` for requests
 * no route matched, so the label stays bounded whatever clients send. A request the client aborts
 * before the reply is observed once with status_code `499` (as nginx names it). The in-flight gauge
 * is decremented on the response's `close` event, which fires exactly once whether the reply was
 * sent or the connection dropped — so aborted requests cannot leak it.
 */
import type { FastifyRequest } from 'fastify';
import type { Metrics } from '../../platform/metrics.ts';
import { globalPlugin } from './global-plugin.ts';
import { routeOf } from './tracing.ts';

export interface HttpMetricsPluginOptions {
  metrics: Pick<Metrics, 'httpRequestDuration' | 'httpRequestsInFlight'>;
}

export const httpMetricsPlugin = globalPlugin<HttpMetricsPluginOptions>(
  'cb-http-metrics',
  async (app, options) => {
    const { httpRequestDuration, httpRequestsInFlight } = options.metrics;
    const observers = new WeakMap<FastifyRequest, (statusCode: number) => void>();

    app.addHook('onRequest', (request, reply, done) => {
      httpRequestsInFlight.inc();
      let observed = false;
      const observe = (statusCode: number) => {
        if (observed) return;
        observed = true;
        httpRequestDuration.observe(
          { method: request.method, route: routeOf(request), status_code: String(statusCode) },
          reply.elapsedTime / 1000,
        );
      };
      observers.set(request, observe);
      reply.raw.once('close', () => {
        httpRequestsInFlight.dec();
        observe(499);
      });
      done();
    });

    app.addHook('onResponse', (request, reply, done) => {
      observers.get(request)?.(reply.statusCode);
      done();
    });
  },
);
