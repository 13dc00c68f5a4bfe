/** `GET /metrics` — the Prometheus text exposition of every metric of this process. */
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../platform/metrics.ts';
import { PROBE_CONFIG } from './health.ts';

export interface MetricsRoutesOptions {
  metrics: Pick<Metrics, 'registry'>;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      config: PROBE_CONFIG,
      schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format 0.0.4).' },
    },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
