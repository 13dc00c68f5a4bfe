/**
 * HTTP metrics: `cb_http_request_duration_seconds{method,route,status_code}` and
 * `cb_http_requests_in_flight`.
 *
 * `route` is the route pattern (`/v1/things/:id`), never the raw path, and `unmatched` for requests
 * no route matched, so the label stays bounded whatever clients send. A request the client aborts
 * before the reply is observed once with status_code `499` (as nginx names it). The in-flight gauge
 * is decremented on the response's `close` event, which fires exactly once whether the reply was
 * sent or the connection dropped — so aborted requests cannot leak it.
 *
 * A streaming route (`config.stream`, Server-Sent Events) is timed to its response head — its end
 * comes minutes later and would swamp the latency figures — and is not in flight: streams have their
 * own cap and gauge (`cb_sse_streams`). Its client closing it after the head is its normal end.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { Metrics } from '../../platform/metrics.ts';
import { globalPlugin } from './global-plugin.ts';
import { routeOf } from './tracing.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A long-lived streaming response (Server-Sent Events): timed in
     * cb_http_request_duration_seconds to its response head, not counted in
     * cb_http_requests_in_flight nor against CB_HTTP_MAX_IN_FLIGHT, and its client closing it after
     * the head is logged as its end, not as an abort. @defaultValue false
     */
    stream?: boolean;
  }
}

export interface HttpMetricsPluginOptions {
  metrics: Pick<Metrics, 'httpRequestDuration' | 'httpRequestsInFlight'>;
}

export const httpMetricsPlugin = globalPlugin<HttpMetricsPluginOptions>(
  'cb-http-metrics',
  async (app, options) => {
    const { httpRequestDuration, httpRequestsInFlight } = options.metrics;
    const observers = new WeakMap<FastifyRequest, (statusCode: number) => void>();

    app.addHook('onRequest', (request, reply, done) => {
      const stream = request.routeOptions.config?.stream === true;
      if (!stream) httpRequestsInFlight.inc();
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
      if (stream) {
        // Observed when the head goes out, whether the stream's own or an error reply's.
        const raw = reply.raw;
        const writeHead = raw.writeHead;
        raw.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
          const result = writeHead.apply(this, args);
          observe(raw.statusCode);
          return result;
        } as ServerResponse['writeHead'];
      }
      reply.raw.once('close', () => {
        if (!stream) httpRequestsInFlight.dec();
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
