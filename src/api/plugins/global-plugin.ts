/**
 * Marks a plugin as not encapsulated: its hooks, decorators and handlers apply to the instance that
 * registers it (and so to every route registered after it), as `fastify-plugin` does. Fastify
 * documents the `skip-override` symbol for exactly this; one symbol is not worth a dependency.
 */
import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';

export function globalPlugin<Options extends FastifyPluginOptions>(
  name: string,
  plugin: FastifyPluginAsync<Options>,
): FastifyPluginAsync<Options> {
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: name,
    [Symbol.for('plugin-meta')]: { name, fastify: '5.x' },
  });
  return plugin;
}
