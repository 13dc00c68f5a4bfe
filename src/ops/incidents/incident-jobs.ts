/**
 * The job queues of incidents: one delivery queue per channel (`ops.notify.<channel>`, so a slow or
 * failing provider never holds up the others; one job per notification, taken in batches; retries
 * with exponential backoff, then the dead-letter queue), the escalation timer (`ops.incidents.escalate`, sent with `startAfter` = the
 * ack deadline), and the sweep (`ops.incidents.sweep`, cron).
 */
import { Type } from 'typebox';
import { defineJob, type Jobs } from '../../platform/jobs/index.ts';
import type { IncidentJobs, IncidentsContext } from './context.ts';
import { deliverNotifications } from './deliver-notification.ts';
import { escalateIncident } from './escalate-incident.ts';
import type { ResolvedIncidentsOptions } from './options.ts';
import { sweepIncidents } from './sweep.ts';
import { CHANNELS, type Channel } from './types.ts';

const DeliveryPayload = Type.Object({ notificationId: Type.String({ pattern: '^[0-9]{1,18}$' }) });
const EscalationPayload = Type.Object({
  incidentId: Type.String({ pattern: '^[0-9]{1,18}$' }),
  step: Type.Integer({ minimum: 0 }),
});

export function defineIncidentJobs(options: ResolvedIncidentsOptions): IncidentJobs {
  const d = options.delivery;
  const deliver = Object.fromEntries(
    CHANNELS.map((channel) => [
      channel,
      defineJob({
        queue: `ops.notify.${channel}`,
        payload: DeliveryPayload,
        retryLimit: d.retryLimit,
        retryDelaySeconds: d.retryDelaySeconds,
        retryBackoff: true,
        // SMTP and HTTP calls have their own limits; this (120 s by default) frees a stuck worker,
        // and the run stops with it (deliverNotifications follows the job's signal).
        // JobRunningTooLong warns at 30 s for these queues (deploy/prometheus/rules/jobs.yml),
        // early enough to reach the on-call before this expiry retries the run: change the two
        // together (test/alerting/job-expiry.test.ts checks the margin).
        expireInSeconds: d.expireInSeconds,
        batchSize: d.batchSize,
        concurrency: d.concurrency,
      }),
    ]),
  ) as Record<Channel, IncidentJobs['deliver'][Channel]>;
  return {
    deliver,
    escalate: defineJob({
      queue: 'ops.incidents.escalate',
      payload: EscalationPayload,
      retryLimit: 10,
      retryDelaySeconds: 5,
      batchSize: 10,
      expireInSeconds: 300,
    }),
    sweep: defineJob({
      queue: 'ops.incidents.sweep',
      payload: Type.Object({}),
      retryLimit: 0,
      expireInSeconds: 300,
      schedule: { cron: options.sweepCron, tz: 'UTC', payload: {} },
    }),
  };
}

/** Registers the workers of every incident queue (before `jobs.start()`). */
export function registerIncidentJobs(jobs: Jobs, ctx: IncidentsContext): void {
  for (const channel of CHANNELS)
    jobs.registerBatch(ctx.defs.deliver[channel], (batch) => deliverNotifications(ctx, batch));
  jobs.register(ctx.defs.escalate, async (job) => {
    await escalateIncident(ctx, job.payload.incidentId, job.payload.step);
  });
  jobs.register(ctx.defs.sweep, async () => {
    await sweepIncidents(ctx);
  });
}
