/**
 * The emergency pauses over HTTP (pauses.ts): `GET /v1/ops/pauses` (`ops:read`) lists every switch
 * with its pause; `PUT /v1/ops/pauses/:switch` `{ reason }` (`ops:write`) pauses it;
 * `DELETE /v1/ops/pauses/:switch` (`ops:write`) resumes it. Both writes are recorded in the audit
 * trail as every privileged change of the API is, and logged (WARN when a writer is stopped).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import {
  clearPause,
  listPauses,
  PAUSE_SWITCHES,
  type PauseSwitch,
  samplePauses,
  setPause,
} from './pauses.ts';

const SwitchParams = Type.Object({ switch: Type.Union(PAUSE_SWITCHES.map((s) => Type.Literal(s))) });

export function pauseRoutes(deps: { db: Db; logger: Logger; metrics: Metrics }): FastifyPluginAsync {
  const { db, logger, metrics } = deps;
  return async (app) => {
    app.get(
      '/v1/ops/pauses',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary: 'The emergency pauses of the chain writers: each switch, paused or not.',
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        const paused = new Map((await listPauses(db)).map((p) => [p.name, p]));
        return { switches: PAUSE_SWITCHES.map((name) => ({ name, pause: paused.get(name) ?? null })) };
      },
    );

    app.put(
      '/v1/ops/pauses/:switch',
      {
        config: { scope: 'ops:write' },
        schema: {
          tags: ['ops'],
          summary:
            'Pause a chain writer on every instance: minting (the minter signs nothing new) or execution (no passed proposal runs).',
          params: SwitchParams,
          body: Type.Object(
            { reason: Type.String({ minLength: 1, maxLength: 500 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const name = (request.params as { switch: PauseSwitch }).switch;
        const { reason } = request.body as { reason: string };
        const pausedBy = request.apiKey ? `apikey:${request.apiKey.name}` : 'api';
        const { pause, already } = await setPause(db, name, { reason, pausedBy });
        await samplePauses(db, metrics);
        logger.warn(`${name} paused: an emergency stop`, { context: { ...pause, already } });
        return { ...pause, already };
      },
    );

    app.delete(
      '/v1/ops/pauses/:switch',
      {
        config: { scope: 'ops:write' },
        schema: { tags: ['ops'], summary: 'Resume a paused chain writer.', params: SwitchParams },
      },
      async (request) => {
        const name = (request.params as { switch: PauseSwitch }).switch;
        const lifted = await clearPause(db, name);
        await samplePauses(db, metrics);
        logger.info(`${name} resumed`, {
          context: { name, wasPaused: lifted !== undefined, resumedBy: request.apiKey?.name ?? null },
        });
        return { name, resumed: lifted !== undefined, pause: lifted ?? null };
      },
    );
  };
}
