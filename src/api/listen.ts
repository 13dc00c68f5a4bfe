/** Starts serving a built app. */
import type { FastifyInstance } from 'fastify';

/**
 * Listens on `host:port` (port 0 picks a free one) and resolves with the URL. Stop with
 * `app.close()`: it stops accepting at once, answers requests arriving on open connections with
 * 503 `CB_SHUTTING_DOWN`, closes idle keep-alive connections and waits for running requests.
 */
export async function listen(app: FastifyInstance, options: { host: string; port: number }): Promise<string> {
  return app.listen({ host: options.host, port: options.port });
}
