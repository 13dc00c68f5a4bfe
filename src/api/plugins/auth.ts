/**
 * API-key authentication and scopes.
 *
 * A route declares who may call it with `config.scope`:
 * - `'public'` — anyone (health, metrics, OpenAPI);
 * - `'authenticated'` — any valid key (this is the default: a route that forgets to declare is
 *   closed, not open, and the omission shows up as a 401 in its first test);
 * - a scope such as `'events:write'` — a valid key granting that scope (`admin` grants all,
 *   `<resource>:admin` grants the resource; see `src/platform/apikeys/scopes.ts`).
 * A malformed `config.scope` fails at start-up, naming the route.
 *
 * ```ts
 * app.post('/v1/events', { config: { scope: 'events:write' }, schema }, handler);
 * ```
 *
 * The key comes from `Authorization: Bearer cbk_…` or `X-API-Key: cbk_…`. It is identified in
 * `onRequest` (so the rate limit, which runs next, counts per key) and enforced in `preParsing`
 * (so a refused request's body is never read): no valid key → 401 `CB_UNAUTHORIZED`, a key without
 * the scope → 403 `CB_FORBIDDEN` with `details.requiredScope`. Handlers read the caller from
 * `request.apiKey`. The key's name reaches the access log as `context.keyName` — not `userId`,
 * which is kept for member addresses, and not `apiKey`, a field name the log redaction blanks out.
 * Unmatched routes and CORS preflights (`OPTIONS`) are public so they answer 404/204, not 401.
 */
import type { FastifyRequest } from 'fastify';
import {
  type ApiKeys,
  isScope,
  type Scope,
  scopeAllows,
  type VerifiedApiKey,
} from '../../platform/apikeys/index.ts';
import { ForbiddenError, UnauthorizedError } from '../../platform/errors.ts';
import { globalPlugin } from './global-plugin.ts';

/** Who may call a route: see the module comment. */
export type RouteAccess = 'public' | 'authenticated' | Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route. @defaultValue 'authenticated' */
    scope?: RouteAccess;
    /**
     * A public route whose handler also accepts a privileged API key (a proposal created with a
     * `governance:admin` key, a guardian's cancel): a presented key is identified too
     * (`request.apiKey`; an invalid one is left for the handler to refuse), so the rate limit counts
     * per key and the audit trail records the call. @defaultValue false
     */
    acceptsKey?: boolean;
  }
  interface FastifyRequest {
    /** The verified key of the caller; undefined on public routes and without a valid key. */
    apiKey: VerifiedApiKey | undefined;
    /**
     * An `acceptsKey` route's handler acted on the caller's key (not on a member's signature): the
     * audit trail records the call. @defaultValue false
     */
    keyUsed: boolean;
  }
}

export interface AuthPluginOptions {
  apiKeys: Pick<ApiKeys, 'verify'>;
}

/** The access a route requires (its `config.scope`, defaulted). */
export function accessOf(request: FastifyRequest): RouteAccess {
  if (request.is404) return 'public';
  const declared = request.routeOptions.config?.scope;
  if (declared !== undefined) return declared;
  // CORS preflights carry no credentials by design (the browser strips them).
  return request.method === 'OPTIONS' ? 'public' : 'authenticated';
}

/** The key presented by the request, if any: `Authorization: Bearer …` first, then `X-API-Key`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m) return m[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

export const authPlugin = globalPlugin<AuthPluginOptions>('cb-auth', async (app, { apiKeys }) => {
  const refused = new WeakSet<FastifyRequest>();
  app.decorateRequest('apiKey', undefined);
  app.decorateRequest('keyUsed', false);

  app.addHook('onRoute', (route) => {
    const access = route.config?.scope;
    if (access === undefined) return;
    if (access !== 'public' && access !== 'authenticated' && !isScope(access)) {
      throw new Error(
        `route ${String(route.method)} ${route.url}: config.scope ${JSON.stringify(access)} must be 'public', 'authenticated', 'admin' or '<resource>:<action>'`,
      );
    }
  });

  app.addHook('onRequest', async (request) => {
    if (accessOf(request) === 'public' && request.routeOptions.config?.acceptsKey !== true) return;
    const key = presentedKey(request);
    if (key === undefined) return;
    request.apiKey = await apiKeys.verify(key);
    if (!request.apiKey) refused.add(request);
  });

  app.addHook('preParsing', (request, reply, payload, done) => {
    const access = accessOf(request);
    if (access === 'public') return done(null, payload);
    const key = request.apiKey;
    if (!key) {
      reply.header('www-authenticate', 'Bearer realm="cb"');
      return done(
        new UnauthorizedError(
          refused.has(request)
            ? 'the API key is malformed, unknown or revoked'
            : 'a valid API key is required',
        ),
      );
    }
    if (access !== 'authenticated' && !scopeAllows(key.scopes, access)) {
      return done(
        new ForbiddenError(`this API key lacks the scope "${access}"`, 'CB_FORBIDDEN', {
          requiredScope: access,
        }),
      );
    }
    done(null, payload);
  });
});
