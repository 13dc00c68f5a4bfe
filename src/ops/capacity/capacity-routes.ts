/**
 * `GET /v1/ops/capacity?days=30` (`ops:read`): the capacity report over the last `days` daily
 * samples, the same JSON as `cb capacity --json` (capacity-shape.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Queryable } from '../../platform/db/create-db.ts';
import {
  DEFAULT_CAPACITY_WINDOW_DAYS,
  MIN_CAPACITY_WINDOW_DAYS,
  readCapacityReport,
} from './capacity-report.ts';
import { CAPACITY_RETENTION_DAYS } from './capacity-samples.ts';
import type { CapacityReport } from './capacity-shape.ts';

export function capacityRoutes(deps: { db: Queryable; now?: () => Date }): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/v1/ops/capacity',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            "Capacity report: the database's and its largest tables' growth per day, days until the database's disk is full (and at 80 %), the CPU peak against a 30 % burst buffer, memory's trend, the network's peak and its projection against 70 % of the link.",
          querystring: Type.Object({
            days: Type.Optional(
              Type.Integer({
                minimum: MIN_CAPACITY_WINDOW_DAYS,
                maximum: CAPACITY_RETENTION_DAYS,
                default: DEFAULT_CAPACITY_WINDOW_DAYS,
              }),
            ),
          }),
        },
      },
      async (request, reply): Promise<CapacityReport> => {
        const { days } = request.query as { days?: number };
        reply.header('cache-control', 'no-store');
        return readCapacityReport(deps.db, {
          days: days ?? DEFAULT_CAPACITY_WINDOW_DAYS,
          now: (deps.now ?? (() => new Date()))(),
        });
      },
    );
  };
}
