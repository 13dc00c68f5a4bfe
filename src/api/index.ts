/**
 * The HTTP edge of cb: `buildApp(ctx, { routes })` returns a ready Fastify instance that does not
 * listen (tests use `app.inject()`); `listen(app, { host, port })` serves it.
 *
 * Design
 * - Cross-cutting behaviour lives in small root-level plugins (`plugins/`), in request order:
 *   tracing (W3C traceparent in/out, AsyncLocalStorage, one access-log line per request) → HTTP
 *   metrics (duration by route pattern, in-flight) → refuse-while-closing → CORS → API-key
 *   identification → rate limit → scope enforcement before the body is read → compression. One
 *   error handler and one not-found handler make every error `{ error: { code, message, details? } }`.
 * - Business routes arrive as plugins in `options.routes`, each registered in its own encapsulated
 *   context: they inherit the hooks above and cannot change them for others. A route says who may
 *   call it with `config.scope` (`'public'`, `'authenticated'` — the default —, or a scope such as
 *   `'events:write'`), reads the caller from `request.apiKey`, and throws BaseErrors; the status
 *   comes from the one code table, `ERROR_CODES` in `errors.ts` (also the source of docs/errors.md).
 * - Operations routes are public, never rate limited and logged at DEBUG: `GET /healthz` (alive),
 *   `GET /readyz` (every ReadinessCheck within readyTimeoutMs; 503 naming the failing ones, and
 *   while shutting down), `GET /metrics`, `GET /openapi.json` (generated from the route schemas).
 *   `GET /v1/whoami` echoes the calling key.
 * - Rate limits count per API key id (per IP without a valid key), in Redis when `ctx.redis` is
 *   set so every instance shares them (keys under CB_REDIS_KEY_PREFIX + `ratelimit:`); a Redis
 *   failure lets requests through rather than 5xx.
 * - Shutdown: `app.close()` stops accepting, answers requests that still arrive on open
 *   connections with 503 CB_SHUTTING_DOWN and waits for running ones. The composition root wires
 *   it: `ctx.shutdown.add('http', () => app.close())`.
 *
 * ```ts
 * const app = await buildApp(ctx, { routes: [eventsRoutes(deps), proposalsRoutes(deps)] });
 * logger.info('listening', { context: { url: await listen(app, config) } });
 * shutdown.add('http', () => app.close());
 * ```
 */

export { ExposedUnavailableError } from '../platform/errors.ts';
export type { AppContext, ReadinessCheck } from './app-context.ts';
export { type BuildAppOptions, buildApp, KEEP_ALIVE_TIMEOUT_MS, type RoutesPlugin } from './build-app.ts';
export {
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeInfo,
  type ErrorReply,
  ErrorReplySchema,
  errorReply,
  type MappedError,
  mapError,
} from './errors.ts';
export { listen } from './listen.ts';
export type { RouteAccess } from './plugins/auth.ts';
export {
  databaseReadiness,
  type ReadinessReport,
  redisReadiness,
  runReadiness,
  startReadinessSampler,
} from './readiness.ts';
export { OPENAPI_TITLE } from './routes/openapi.ts';
