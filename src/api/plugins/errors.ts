/**
 * Every error reply in the house format, from one error handler and one not-found handler at the
 * root. Child plugins (domain routes) must not set their own error handler: throw BaseErrors and
 * let `mapError` (src/api/errors.ts) choose status and body.
 *
 * The reply is serialised here (a string with a JSON content type), so no route's response schema
 * can reshape or reject an error body.
 */
import type { preHandlerHookHandler } from 'fastify';
import { NotFoundError } from '../../platform/errors.ts';
import { mapError } from '../errors.ts';
import { globalPlugin } from './global-plugin.ts';

export interface ErrorsPluginOptions {
  bodyLimitBytes: number;
  /** Runs before the not-found handler (the rate limit, so probing for routes is limited too). */
  notFoundPreHandler?: preHandlerHookHandler | undefined;
}

export const errorsPlugin = globalPlugin<ErrorsPluginOptions>('cb-errors', async (app, options) => {
  app.setErrorHandler((error, _request, reply) => {
    const mapped = mapError(error, { bodyLimitBytes: options.bodyLimitBytes });
    if (mapped.status === 401) reply.header('www-authenticate', 'Bearer realm="cb"');
    return reply
      .code(mapped.status)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(mapped.body));
  });

  app.setNotFoundHandler(
    options.notFoundPreHandler ? { preHandler: options.notFoundPreHandler } : {},
    async (request) => {
      const path = request.url.split('?', 1)[0]!.slice(0, 200);
      throw new NotFoundError(`no route for ${request.method} ${path}`, 'CB_ROUTE_NOT_FOUND');
    },
  );
});
