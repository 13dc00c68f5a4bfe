/**
 * Builds the HTTP application (Fastify) without listening: tests drive it with `app.inject()`,
 * `listen()` serves it. Plugins are registered in the order requests meet them:
 *
 *  onRequest: tracing → http metrics → refuse-while-closing → CORS → key identification →
 *             rate limit (per route)  ·  preParsing: scope enforcement (+ request decompression)
 *  then: body parsing & schema validation → handler → compression → error model for anything thrown
 */
import { constants as zlib } from 'node:zlib';
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type RawServerDefault } from 'fastify';
import { BaseError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { redisKeyPrefixes } from '../platform/redis-key-prefixes.ts';
import type { AppContext } from './app-context.ts';
import { type AuditSink, auditPlugin } from './plugins/audit.ts';
import { authPlugin } from './plugins/auth.ts';
import { closingPlugin } from './plugins/closing.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { httpMetricsPlugin } from './plugins/http-metrics.ts';
import { loadSheddingPlugin } from './plugins/load-shedding.ts';
import { tracingPlugin } from './plugins/tracing.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { openApiRoutes, registerOpenApi } from './routes/openapi.ts';
import { whoamiRoutes } from './routes/whoami.ts';

/**
 * Keep-alive of idle client connections, ms. Above the 65 s idle timeout of common load balancers
 * (so they, not we, close idle connections and never send on a socket we just closed), and far
 * above 5 s, below which Alertmanager's webhook deliveries fail with EOF.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * A plugin of business routes, registered encapsulated and without options (close over your
 * dependencies: `eventsRoutes(deps)` returns the plugin). Any type provider, e.g.
 * `FastifyPluginAsyncTypebox`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the type provider is the route plugin's choice
export type RoutesPlugin = FastifyPluginAsync<Record<never, never>, RawServerDefault, any>;

export interface BuildAppOptions {
  /** Business route plugins (`/v1/…`), each registered in its own encapsulated context. */
  routes?: readonly RoutesPlugin[] | undefined;
  /** Where privileged API changes are recorded (the audit trail); none: nothing is recorded. */
  audit?: { sink: AuditSink; logger: Logger } | undefined;
  /**
   * Prefix of the rate-limit keys in Redis (tests use one per suite).
   * @defaultValue the rate limit's under `config.redisKeyPrefix`: `'cb:ratelimit:'` by default
   */
  rateLimitNamespace?: string | undefined;
}

/** Builds (and readies) the app; it does not listen. */
export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config, metrics } = ctx;
  const app = Fastify({
    // Logging is ours (plugins/tracing.ts): the seed's line shape, one line per request.
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    // See plugins/closing.ts: the same 503, in the error model.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // request.ip (the per-IP rate limit's key) from X-Forwarded-For, as far as the proxies we trust.
    trustProxy: trustedProxies(config.trustProxy),
    // Report every schema violation at once (bodies are bounded by bodyLimit).
    ajv: { customOptions: { allErrors: true } },
  });

  await app.register(tracingPlugin, {
    logger: ctx.logger.child('api'),
    bodyLimitBytes: config.bodyLimitBytes,
  });
  await app.register(httpMetricsPlugin, { metrics });
  await app.register(closingPlugin);
  await app.register(loadSheddingPlugin, {
    maxInFlight: config.httpMaxInFlight,
    maxQueueMs: config.httpMaxQueueMs,
    queueAgeMs: () => ctx.db.poolStats().oldestWaitMs,
    metrics,
  });
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'Content-Encoding', 'traceparent'],
      exposedHeaders: [
        'traceparent',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }
  await app.register(authPlugin, { apiKeys: ctx.apiKeys });
  if (options.audit) await app.register(auditPlugin, { ...options.audit, metrics });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    ...(ctx.redis
      ? {
          redis: ctx.redis,
          nameSpace: options.rateLimitNamespace ?? redisKeyPrefixes(config.redisKeyPrefix).rateLimit,
        }
      : {}),
    // A Redis outage lets requests through rather than failing them.
    skipOnError: true,
    keyGenerator: (request) =>
      request.apiKey ? `key:${request.apiKey.id}` : `ip:${normalizeIP(request.ip)}`,
    errorResponseBuilder: (_request, limit) =>
      new BaseError(
        'CB_RATE_LIMITED',
        `rate limit of ${limit.max} requests exceeded; retry in ${limit.after}`,
        {
          details: { limit: limit.max, retryAfterSeconds: Math.ceil(limit.ttl / 1000) },
          retryable: true,
        },
      ),
  });
  await app.register(compress, {
    global: true,
    threshold: config.compressThresholdBytes,
    encodings: ['br', 'gzip'],
    // Quality 4: most of brotli's gain at gzip-like cost (11, the default, is for static assets).
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });
  await registerOpenApi(app);
  await app.register(errorsPlugin, {
    bodyLimitBytes: config.bodyLimitBytes,
    notFoundPreHandler: app.rateLimit(),
  });

  await app.register(healthRoutes, {
    instance: config.instance,
    readiness: ctx.readiness,
    readyTimeoutMs: config.readyTimeoutMs,
    metrics,
    shutdown: ctx.shutdown,
  });
  await app.register(metricsRoutes, { metrics });
  await app.register(openApiRoutes);
  await app.register(whoamiRoutes);
  for (const routes of options.routes ?? []) await app.register(routes);

  await app.ready();
  return app;
}

/** CB_TRUST_PROXY as Fastify takes it: a hop count becomes "the N peers nearest to us". */
function trustedProxies(
  setting: false | number | readonly string[],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (setting === false) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return [...setting];
}
