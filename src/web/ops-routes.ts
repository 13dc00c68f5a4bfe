/**
 * Operators' reads and one action for the console, over the jobs subsystem and the metrics:
 *
 * - `GET /v1/ops/health` (`ops:read`): dependencies and key metrics against the seed's thresholds
 *   (health-summary.ts).
 * - `GET /v1/ops/queues` (`ops:read`): every queue's job counts by state and dead-lettered jobs.
 * - `GET /v1/ops/queues/:queue/dead-letters?limit&offset` (`ops:read`): the dead-lettered jobs of
 *   a queue, oldest first, with payload, last error and the sender's traceparent.
 * - `POST /v1/ops/queues/:queue/dead-letters/:id/retry` (`ops:write`): moves one back to its queue
 *   with fresh retries → `{ jobId }`; 404 `CB_JOB_QUEUE_NOT_FOUND` / `CB_JOB_NOT_FOUND`.
 * - `GET /v1/ops/db/slow-queries?since&limit` (`ops:read`): the slow-query log by statement shape,
 *   slowest total first, next to the window before (platform/db/slow-queries.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Queryable } from '../platform/db/create-db.ts';
import { readSlowQueries } from '../platform/db/slow-queries.ts';
import type { Jobs } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/logger.ts';
import type { HealthSummary } from './health-summary.ts';
import { pastTimeParam } from './time-param.ts';

export interface OpsRoutesDeps {
  jobs: Pick<Jobs, 'stats' | 'listDeadLetters' | 'retryDeadLetter'>;
  health: HealthSummary;
  logger: Logger;
  db: Queryable;
}

const QueueParam = Type.Object({ queue: Type.String({ minLength: 1, maxLength: 200 }) });

export function opsRoutes(deps: OpsRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    const stop = deps.health.start();
    app.addHook('onClose', async () => stop());

    app.get(
      '/v1/ops/health',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            "Dependencies and this instance's key metrics against the seed's thresholds (5-minute window).",
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        return deps.health.report();
      },
    );

    app.get(
      '/v1/ops/queues',
      {
        config: { scope: 'ops:read' },
        schema: { tags: ['ops'], summary: 'Job counts per queue by state, and dead-lettered jobs.' },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        return { items: await deps.jobs.stats() };
      },
    );

    app.get(
      '/v1/ops/queues/:queue/dead-letters',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary: 'Dead-lettered jobs of a queue, oldest first.',
          params: QueueParam,
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          }),
        },
      },
      async (request, reply) => {
        const { queue } = request.params as { queue: string };
        const { limit = 50, offset = 0 } = request.query as { limit?: number; offset?: number };
        const items = await deps.jobs.listDeadLetters(queue, { limit, offset });
        reply.header('cache-control', 'no-store');
        return {
          items: items.map((d) => ({ ...d, deadLetteredAt: d.deadLetteredAt.toISOString() })),
          limit,
          offset,
        };
      },
    );

    app.get(
      '/v1/ops/db/slow-queries',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            'Statements slower than CB_DB_SLOW_QUERY_MS by shape (literals as ?), slowest total first, with the window of the same length before for comparison. Hours are whole.',
          querystring: Type.Object({
            since: Type.Optional(
              Type.String({
                minLength: 2,
                maxLength: 40,
                description: 'A duration back from now (24h, 7d) or a time (ISO 8601). Default 24h.',
              }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
          }),
        },
      },
      async (request, reply) => {
        const q = request.query as { since?: string; limit?: number };
        const since = pastTimeParam(q.since ?? '24h', 'since');
        reply.header('cache-control', 'no-store');
        return readSlowQueries(deps.db, { since, limit: q.limit });
      },
    );

    app.post(
      '/v1/ops/queues/:queue/dead-letters/:id/retry',
      {
        config: { scope: 'ops:write' },
        schema: {
          tags: ['ops'],
          summary: 'Move a dead-lettered job back to its queue with fresh retries.',
          params: Type.Object({ queue: Type.String({ minLength: 1, maxLength: 200 }), id: Type.String() }),
          response: { 200: Type.Object({ jobId: Type.String() }) },
        },
      },
      async (request) => {
        const { queue, id } = request.params as { queue: string; id: string };
        const jobId = await deps.jobs.retryDeadLetter(queue, id);
        deps.logger.info('dead-lettered job retried', {
          context: { queue, deadLetterId: id, jobId, keyName: request.apiKey?.name },
        });
        return { jobId };
      },
    );
  };
}
