/** `GET /v1/whoami` — the calling key's id, name and scopes: lets an integrator test its key. */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

const WhoAmI = Type.Object({
  id: Type.String({ description: 'Public id of the key (the part after cbk_).' }),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
});

export const whoamiRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/v1/whoami',
    {
      config: { scope: 'authenticated' },
      schema: { tags: ['auth'], summary: 'The API key making the call.', response: { 200: WhoAmI } },
    },
    async (request) => {
      const key = request.apiKey!;
      return { id: key.id, name: key.name, scopes: [...key.scopes] };
    },
  );
};
