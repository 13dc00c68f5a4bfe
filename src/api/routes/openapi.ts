/**
 * The OpenAPI 3 document, built by @fastify/swagger in dynamic mode from every route's schema and
 * served at `GET /openapi.json`. A transform adds, per route, the API-key security requirement and
 * the required scope (`x-cb-scope`, also in the description) from `config.scope`, and the error
 * model as the `default` response.
 */
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify';
import { ErrorReplySchema } from '../errors.ts';
import { PROBE_CONFIG } from './health.ts';

/** OpenAPI `info.title`. */
export const OPENAPI_TITLE = 'cb platform API';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const SECURITY = [{ apiKeyBearer: [] }, { apiKeyHeader: [] }];

/** Registers @fastify/swagger on `app` itself: it must see every route registered afterwards. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(ErrorReplySchema);
  await app.register(swagger, {
    mode: 'dynamic',
    openapi: {
      openapi: '3.0.3',
      info: {
        title: OPENAPI_TITLE,
        version,
        description:
          'Errors are `{ "error": { "code", "message", "details"? } }`; every response carries `traceparent`.',
      },
      components: {
        securitySchemes: {
          apiKeyBearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'cbk_<id>_<secret>',
            description: 'An API key as `Authorization: Bearer cbk_…`.',
          },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key.' },
        },
      },
    },
    // Shared schemas (`addSchema` with an $id) become components named after their $id.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transform: ({ schema, url, route }) => {
      const access = (route as RouteOptions).config?.scope ?? 'authenticated';
      const out: Record<string, unknown> = { ...(schema ?? {}) };
      if (access !== 'public') {
        out.security = SECURITY;
        out['x-cb-scope'] = access;
        const needs =
          access === 'authenticated'
            ? 'Requires an API key.'
            : `Requires an API key with scope \`${access}\`.`;
        out.description = typeof out.description === 'string' ? `${out.description}\n\n${needs}` : needs;
      }
      const response = (out.response ?? {}) as Record<string, unknown>;
      out.response = {
        ...response,
        default: { description: 'Error (see the error codes)', $ref: 'ErrorReply#' },
      };
      return { schema: out as never, url };
    },
  });
}

/** `GET /openapi.json`. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/openapi.json',
    { config: PROBE_CONFIG, schema: { tags: ['operations'], summary: 'This OpenAPI 3 document.' } },
    async () => app.swagger(),
  );
};
