/**
 * Serves the built console (web/dist) at `/` with @fastify/static:
 *
 * - `/assets/*` (content-hashed by Vite): `Cache-Control: public, max-age=31536000, immutable`;
 *   other files at the root of dist (favicon…): one hour; `index.html`: `no-cache` (revalidated by
 *   ETag on every load, so a deploy is picked up at once) with a strict Content-Security-Policy.
 * - Brotli/gzip twins written by the build (`x.js.br`, `x.js.gz`) are sent when the browser takes
 *   them; anything else is compressed on the fly by the global compression plugin.
 * - SPA fallback, so deep links and reloads work. Vite writes two kinds of file (web/vite.config.ts):
 *   its output under `assets/` (content-hashed) and the copies of web/public at the root of dist
 *   (favicon…). The console's pages are the patterns of `CONSOLE_PAGES` (rum-catalogue.ts, the list
 *   the console's own router matches). A GET answers index.html when its path
 *   1. is a console page (`/ops/queues/chain.reconcile`, `/ops/catalogue/streak.7`: names and ids
 *      may hold dots, so the last segment's "extension" says nothing there), or
 *   2. has no file extension and is not under `/assets/` (an unknown page: the console says "Page
 *      not found").
 *   Anything else is a file: sent if dist has it, else the JSON 404 `CB_ROUTE_NOT_FOUND` — a
 *   missing `/assets/app-abc123.js` (an old tab after a deploy) or `/favicon.ico` must fail as a
 *   404, never parse index.html as a script or style, be cached as one, or hide from error reports.
 *   The two never meet: the patterns' parameters sit under `/proposals/` and `/ops/`, where Vite
 *   writes nothing (keep web/public free of such folders). API-looking paths (`/v1/…`,
 *   `/metrics/…`, `/openapi…`) keep the JSON 404 whatever their shape; dotfiles are never served.
 * - When dist has no index.html, `/` (and every console path) answers a 503 HTML page saying to
 *   run `npm run build:web` (checked per request, so building while the server runs is enough).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { NotFoundError } from '../platform/errors.ts';
import { OTHER, pageOf } from './rum-catalogue.ts';

export interface StaticRoutesOptions {
  /** The Vite build output (web/dist). */
  distDir: string;
}

/** Content-Security-Policy of the console: its own origin only, no inline script or style. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const API_PATH = /^\/(v1|metrics|healthz|readyz|openapi|documentation)(\/|\.|$)/;
const HAS_EXTENSION = /\/[^/]*\.[a-z0-9]+$/i;
/** Vite's `build.assetsDir` (its default), as a URL prefix. */
const ASSETS_PATH = '/assets/';

/** Whether a GET for `path` (no query) answers the console's index.html: see the module's comment. */
function isConsolePath(path: string): boolean {
  if (path === '/index.html' || pageOf(path) !== OTHER) return true;
  return !path.startsWith(ASSETS_PATH) && !HAS_EXTENSION.test(path);
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cb — console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web console is not built</h1>
<p>This server runs, but the console's files are missing. Build them once, then reload this page:</p>
<pre style="background:#f3f4f6;padding:.75rem;border-radius:.25rem">npm run build:web</pre>
<p>The API is available meanwhile: <a href="/openapi.json">/openapi.json</a>, <a href="/readyz">/readyz</a>.</p>
<p><small>Error code WEB_CONSOLE_NOT_BUILT</small></p>
</body></html>
`;

export function staticRoutes(options: StaticRoutesOptions): FastifyPluginAsync {
  const { distDir } = options;
  const indexFile = join(distDir, 'index.html');

  const assetsDir = join(distDir, ASSETS_PATH.slice(1));

  // Headers of a file actually sent (never of a 404): chosen by what the file is.
  const setHeaders = (reply: FastifyReply, path: string) => {
    const file = path.replace(/\.(br|gz)$/, '');
    if (file === indexFile) {
      reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONSOLE_CSP)
        .header('referrer-policy', 'same-origin');
    } else {
      reply.header(
        'cache-control',
        file.startsWith(assetsDir) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
      );
    }
    reply.header('x-content-type-options', 'nosniff');
  };

  return async (app) => {
    await app.register(fastifyStatic, {
      root: distDir,
      serve: false,
      preCompressed: true,
      dotfiles: 'ignore',
      cacheControl: false,
      suppressWarning: true,
      setHeaders,
    });

    app.get(
      '/*',
      { config: { scope: 'public', accessLogLevel: 'debug' }, schema: { hide: true } },
      async (request, reply) => {
        const path = request.url.split('?', 1)[0]!;
        if (API_PATH.test(path))
          throw new NotFoundError(`no route for GET ${path.slice(0, 200)}`, 'CB_ROUTE_NOT_FOUND');
        if (!existsSync(indexFile)) {
          return reply
            .code(503)
            .header('cache-control', 'no-store')
            .header('retry-after', '60')
            .header('x-cb-error-code', 'WEB_CONSOLE_NOT_BUILT')
            .type('text/html; charset=utf-8')
            .send(NOT_BUILT_PAGE);
        }
        if (isConsolePath(path)) return reply.sendFile('index.html');
        return reply.sendFile(path.slice(1));
      },
    );
  };
}
