/**
 * Tracing and access logs. Each request runs inside its own trace (W3C `traceparent` in; a new
 * trace when the header is absent or invalid), answers with `traceparent` (same trace, this hop's
 * span), and leaves one log line (service `api`): `<METHOD> <route pattern> <status>` with
 * `context { method, route, statusCode, clientIp, keyName?, errorCode?, errorMessage? }` (the message
 * of a 4xx, as the caller got it) and `metrics { durationMs }`.
 * `clientIp` is the peer's address, or the client's as forwarded by a proxy `CB_TRUST_PROXY` trusts:
 * the source to trace a key-guessing or abuse alert back to (seed 4.1 安全日志, 7.2 异常访问模式).
 *
 * Levels: INFO; 5xx at ERROR with the error; requests the client aborted at WARN; refused
 * credentials and scopes (401, 403) at WARN, being security events; routes that set
 * `config.accessLogLevel: 'debug'` (probes, scrapes) at DEBUG unless they fail with a 5xx.
 * Headers, query strings and bodies are never logged: they carry keys.
 *
 * How the trace reaches handlers: the first `onRequest` hook calls `done` inside `runWithTrace`, so
 * every later hook, the body parser and the handler continue in that async context. The body is
 * read from socket events, which belong to the connection's context, but Fastify 5 resumes after
 * parsing through an AsyncResource created in the request's context — the over-a-real-socket test
 * in `tracing.test.ts` guards this against an upgrade that changes it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogFields, Logger } from '../../platform/logger.ts';
import {
  contextFromTraceparent,
  formatTraceparent,
  runWithTrace,
  type TraceContext,
} from '../../platform/trace.ts';
import { mapError } from '../errors.ts';
import { globalPlugin } from './global-plugin.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The trace this request runs in (set by the first `onRequest` hook). */
    trace: TraceContext;
  }
  interface FastifyContextConfig {
    /** `debug` for routes polled by machines (health probes, scrapes). @defaultValue 'info' */
    accessLogLevel?: 'debug' | 'info';
  }
}

export interface TracingPluginOptions {
  /** The `api` logger. */
  logger: Logger;
  /** Passed to `mapError` when naming the error code of a failed request. */
  bodyLimitBytes?: number | undefined;
}

/** The route label of a request: its pattern (`/v1/things/:id`), or `unmatched`. */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
}

interface RequestState {
  error?: unknown;
  logged: boolean;
}

export const tracingPlugin = globalPlugin<TracingPluginOptions>('cb-tracing', async (app, options) => {
  const { logger } = options;
  const states = new WeakMap<FastifyRequest, RequestState>();
  app.decorateRequest('trace', undefined as unknown as TraceContext);

  const log = (request: FastifyRequest, reply: FastifyReply, aborted: boolean) => {
    const state = states.get(request);
    if (!state || state.logged) return;
    state.logged = true;
    const route = routeOf(request);
    const statusCode = aborted ? 499 : reply.statusCode;
    const mapped =
      state.error === undefined
        ? undefined
        : mapError(state.error, { bodyLimitBytes: options.bodyLimitBytes });
    const errorCode = mapped?.code;
    // A refusal's message is written for the caller (no internals; mapError redacts it) and says
    // why: which field, which rule, which snapshot block. A 5xx's error is logged whole instead.
    const errorMessage =
      mapped && statusCode >= 400 && statusCode < 500 ? mapped.body.error.message.slice(0, 300) : undefined;
    const fields: LogFields = {
      context: {
        method: request.method,
        route,
        statusCode,
        clientIp: request.ip,
        ...(request.apiKey ? { keyName: request.apiKey.name } : {}),
        ...(errorCode === undefined ? {} : { errorCode }),
        ...(errorMessage === undefined ? {} : { errorMessage }),
      },
      metrics: { durationMs: Math.round(reply.elapsedTime * 100) / 100 },
    };
    const message = `${request.method} ${route} ${aborted ? 'aborted by the client' : statusCode}`;
    runWithTrace(request.trace, () => {
      if (aborted || statusCode === 401 || statusCode === 403) logger.warn(message, fields);
      else if (statusCode >= 500) logger.error(message, { ...fields, err: state.error });
      else if (request.routeOptions.config?.accessLogLevel === 'debug') logger.debug(message, fields);
      else logger.info(message, fields);
    });
  };

  app.addHook('onRequest', (request, reply, done) => {
    const header = request.headers.traceparent;
    const trace = contextFromTraceparent(typeof header === 'string' ? header : undefined);
    request.trace = trace;
    reply.header('traceparent', formatTraceparent(trace));
    states.set(request, { logged: false });
    // 'close' comes after 'finish' (then onResponse has logged) or alone when the client went away
    // — which is how a stream (Server-Sent Events) normally ends once its head is out.
    reply.raw.once('close', () =>
      log(request, reply, !(request.routeOptions.config?.stream === true && reply.raw.headersSent)),
    );
    runWithTrace(trace, done);
  });

  app.addHook('onError', (request, _reply, error, done) => {
    const state = states.get(request);
    if (state) state.error = error;
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    log(request, reply, false);
    done();
  });
});
