/**
 * `GET /healthz` — the process is alive (no dependency is asked), and `GET /readyz` — every
 * readiness check passed within `readyTimeoutMs`; 503 `CB_NOT_READY` naming the failing ones, or
 * 503 `CB_SHUTTING_DOWN` once shutdown began (so load balancers stop routing here first).
 * Concurrent `/readyz` calls share one round of checks, so a burst of probes costs one ping.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { ExposedUnavailableError, UnavailableError } from '../../platform/errors.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { Shutdown } from '../../platform/shutdown.ts';
import type { ReadinessCheck } from '../app-context.ts';
import { type ReadinessReport, runReadiness } from '../readiness.ts';

export interface HealthRoutesOptions {
  instance: string;
  readiness: readonly ReadinessCheck[];
  readyTimeoutMs: number;
  metrics: Pick<Metrics, 'dependencyUp'>;
  shutdown: Pick<Shutdown, 'isShuttingDown'>;
}

/** Route config of machine-polled routes: no key, no rate limit, access log at DEBUG. */
export const PROBE_CONFIG = { scope: 'public', rateLimit: false, accessLogLevel: 'debug' } as const;

const Healthz = Type.Object({
  status: Type.Literal('ok'),
  instance: Type.String(),
  uptimeSeconds: Type.Integer({ description: 'Seconds since the process started.' }),
});

const Readyz = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Record(Type.String(), Type.Literal('up')),
});

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  const names = options.readiness.map((c) => c.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new Error(`two readiness checks are named "${duplicate}"`);

  app.get(
    '/healthz',
    {
      config: PROBE_CONFIG,
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up (no dependency is checked).',
        response: { 200: Healthz },
      },
    },
    async () => ({ status: 'ok', instance: options.instance, uptimeSeconds: Math.floor(process.uptime()) }),
  );

  let round: Promise<ReadinessReport> | undefined;
  app.get(
    '/readyz',
    {
      config: PROBE_CONFIG,
      schema: {
        tags: ['operations'],
        summary: 'Readiness: every dependency answered; 503 names the ones that did not.',
        response: { 200: Readyz, 503: { $ref: 'ErrorReply#' } },
      },
    },
    async () => {
      if (options.shutdown.isShuttingDown) {
        throw new UnavailableError('CB_SHUTTING_DOWN', 'this instance is shutting down');
      }
      round ??= runReadiness(options.readiness, options.readyTimeoutMs, options.metrics).finally(() => {
        round = undefined;
      });
      const report = await round;
      if (report.ready) return { status: 'ready', checks: report.checks };
      const failing = Object.keys(report.errors);
      throw new ExposedUnavailableError('CB_NOT_READY', `not ready: ${failing.join(', ')} down`, {
        details: { checks: report.checks, errors: report.errors },
      });
    },
  );
};
