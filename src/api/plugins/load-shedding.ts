/**
 * Load shedding: a request that this instance cannot serve in time is answered at once with 503
 * `CB_OVERLOADED` and `Retry-After: 1`, in the error model, instead of queueing behind the others
 * until every request is slow. Two limits, each its own `reason` in `cb_http_requests_shed_total`:
 *
 * - `in_flight` — the cap on concurrent requests (CB_HTTP_MAX_IN_FLIGHT; seed 2.1 并发连接数, 警戒值
 *   基于服务配置), exported as `cb_http_requests_in_flight_limit` (ApiConcurrencyHigh fires at 80 %
 *   of it).
 * - `queue` — the time the oldest database request of this instance has been waiting for a
 *   connection (CB_HTTP_MAX_QUEUE_MS). An instance over its capacity queues there, not on the event
 *   loop: measured with `npm run bench:load` past the breaking point, the event loop lagged 2–3 ms
 *   while 255 requests waited on a pool of 10. A count of requests says nothing of how long they
 *   wait — 512 in flight is 0.3 s where the instance serves 1,500 requests/s and 17 s on the
 *   embedded database at 30/s — a wait does: while the head of the queue has waited longer than
 *   the limit, new requests are refused, the queue drains, and the requests let in are answered
 *   within about the limit plus their own time, whatever the machine.
 *
 * Measured with `npm run bench:load -- --connections 1024` on PostgreSQL (2-core AMD EPYC, the
 * generator on the same host), at 1,520 requests/s, past this machine's ~1,000: without shedding
 * the step before already broke (1,013/s: p95 3.7 s, all answered); with the defaults, 30 % shed
 * and p95 1.3 s; with CB_HTTP_MAX_QUEUE_MS=100, 5.7 % shed and p95 0.3 s. Below capacity
 * (1,013/s) neither shed a request.
 *
 * Not on the embedded database: PGlite runs its engine on the main thread, and a chain of waiting
 * statements runs before the event loop reads a socket again, so requests wait in the kernel,
 * unread, and the database queue looks short whenever one is read — past its breaking point
 * (`--driver pglite`, ~100 requests/s) p95 was 6.2 s with not one request shed on the queue
 * limit. Shedding on the event loop's lateness instead (a timer's delay, two ticks in a row over
 * 500 ms) was tried and not kept: at 100 requests/s, just under that capacity, it shed 4.8 % and
 * p95 went from 0.49 s to 0.96 s. The cap on requests in flight is what bounds PGlite's queue.
 *
 * The probes (`/healthz`, `/readyz`, `/metrics`) are never shed: an overloaded instance must still
 * say so. Either limit at 0 is off.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExposedUnavailableError } from '../../platform/errors.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { globalPlugin } from './global-plugin.ts';

export interface LoadSheddingOptions {
  /** Requests served at once; 0: no cap. */
  maxInFlight: number;
  /** Longest wait of the database queue's head before new requests are refused, ms; 0: none. */
  maxQueueMs: number;
  /** The age of the oldest request waiting for a database connection, ms (0: none waits). */
  queueAgeMs: () => number;
  metrics: Pick<Metrics, 'httpRequestsInFlightLimit' | 'httpRequestsShed'>;
}

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const REASONS = ['in_flight', 'queue'] as const;

export const loadSheddingPlugin = globalPlugin<LoadSheddingOptions>(
  'cb-load-shedding',
  async (app, options) => {
    const { maxInFlight, maxQueueMs, queueAgeMs, metrics } = options;
    metrics.httpRequestsInFlightLimit.set(maxInFlight);
    // Every counter exists from the start, so a rate over it is 0, not absent.
    for (const reason of REASONS) metrics.httpRequestsShed.inc({ reason }, 0);
    if (maxInFlight <= 0 && maxQueueMs <= 0) return;
    let inFlight = 0;
    const counted = new WeakSet<FastifyRequest>();
    const shed = (reply: FastifyReply, reason: (typeof REASONS)[number], message: string) => {
      metrics.httpRequestsShed.inc({ reason });
      reply.header('retry-after', '1');
      // Its message says which limit and by how much: no internals, and what a client's retry needs.
      return new ExposedUnavailableError('CB_OVERLOADED', message);
    };
    app.addHook('onRequest', (request, reply, done) => {
      if (PROBES.has(request.url.split('?', 1)[0]!)) return done();
      if (maxInFlight > 0 && inFlight >= maxInFlight)
        return done(
          shed(
            reply,
            'in_flight',
            `this instance is serving its maximum of ${maxInFlight} requests at once (CB_HTTP_MAX_IN_FLIGHT); retry shortly`,
          ),
        );
      if (maxQueueMs > 0) {
        const waited = queueAgeMs();
        if (waited > maxQueueMs)
          return done(
            shed(
              reply,
              'queue',
              `this instance is over its capacity: requests wait ${Math.round(waited)} ms for the database, over its limit of ${maxQueueMs} ms (CB_HTTP_MAX_QUEUE_MS); retry shortly`,
            ),
          );
      }
      // A stream (Server-Sent Events) is refused at the cap but not counted: it lasts minutes and
      // costs a socket, not a worker; CB_SSE_MAX_STREAMS caps streams.
      if (maxInFlight <= 0 || request.routeOptions.config?.stream === true) return done();
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
