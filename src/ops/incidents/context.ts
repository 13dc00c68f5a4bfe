/**
 * What the operations of the incidents domain share: the database, the jobs subsystem and the job
 * definitions, logging and metrics, the resolved options. Built once by `createIncidents`.
 *
 * A change is made in one transaction that returns its `Effects`; `applyEffects` then does what
 * must follow a commit — queue the deliveries (the rows are already written: the sweep re-queues
 * them if this step is lost), arm the escalation timer (the sweep escalates too), observe metrics.
 */
import type { Db } from '../../platform/db/create-db.ts';
import type { JobDefinition, Jobs } from '../../platform/jobs/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { ResolvedIncidentsOptions } from './options.ts';
import type { Channel, Severity } from './types.ts';

export interface DeliveryPayload {
  notificationId: string;
}

export interface EscalationPayload {
  incidentId: string;
  /** The step the incident must still be at for the timer to act. */
  step: number;
}

export interface IncidentJobs {
  deliver: Readonly<Record<Channel, JobDefinition<DeliveryPayload>>>;
  escalate: JobDefinition<EscalationPayload>;
  sweep: JobDefinition<object>;
}

export interface IncidentsContext {
  db: Db;
  jobs: Jobs;
  defs: IncidentJobs;
  logger: Logger;
  metrics: Metrics;
  options: ResolvedIncidentsOptions;
}

/** What follows a committed change. */
export interface Effects {
  notifications: { id: string; channel: Channel }[];
  /** Arm the escalation timer of this step. */
  escalation?: { incidentId: string; step: number; at: Date } | undefined;
  /** Count an escalation of this severity. */
  escalated?: Severity | undefined;
  /** Seconds from trigger to acknowledgement. */
  acknowledged?: { severity: Severity; seconds: number } | undefined;
  /** Seconds from trigger to resolution. */
  resolved?: { severity: Severity; seconds: number } | undefined;
}

export const noEffects = (): Effects => ({ notifications: [] });

/** Runs the after-commit part of a change; never throws (what fails is picked up by the sweep). */
export async function applyEffects(ctx: IncidentsContext, effects: Effects): Promise<void> {
  const { metrics, logger } = ctx;
  if (effects.acknowledged)
    metrics.incidentAck.observe({ severity: effects.acknowledged.severity }, effects.acknowledged.seconds);
  if (effects.resolved)
    metrics.incidentResolve.observe({ severity: effects.resolved.severity }, effects.resolved.seconds);
  if (effects.escalated) metrics.escalations.inc({ severity: effects.escalated });
  await queueDeliveries(ctx, effects.notifications);
  if (effects.escalation) {
    const { incidentId, step, at } = effects.escalation;
    try {
      // Relative to the options' clock (tests move it), on the real clock pg-boss runs on.
      const delayMs = Math.max(0, at.getTime() - ctx.options.now().getTime());
      await ctx.jobs.send(
        ctx.defs.escalate,
        { incidentId, step },
        { startAfter: new Date(Date.now() + delayMs) },
      );
    } catch (err) {
      logger.warn('arming the escalation timer failed; the sweep will escalate', {
        context: { incidentId, step },
        err,
      });
    }
  }
}

/** Sends one delivery job per notification, then marks them queued (one statement). */
export async function queueDeliveries(
  ctx: IncidentsContext,
  notifications: readonly { id: string; channel: Channel }[],
): Promise<number> {
  if (notifications.length === 0) return 0;
  const queued: string[] = [];
  const results = await Promise.allSettled(
    notifications.map(async (n) => {
      await ctx.jobs.send(ctx.defs.deliver[n.channel], { notificationId: n.id });
      queued.push(n.id);
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    ctx.logger.warn('queueing notifications failed; the sweep will queue them', {
      context: { notifications: notifications.length - queued.length },
      err: (failed as PromiseRejectedResult).reason,
    });
  }
  if (queued.length > 0) {
    try {
      await ctx.db.query('update ops_notifications set queued_at = $2 where id = any($1::bigint[])', [
        queued,
        ctx.options.now().toISOString(),
      ]);
    } catch (err) {
      // Harmless: the sweep queues them again and delivery skips what is already sent.
      ctx.logger.warn('marking notifications queued failed', { err });
    }
  }
  return queued.length;
}
