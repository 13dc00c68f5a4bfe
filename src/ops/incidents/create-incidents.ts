/**
 * `createIncidents`: the incident-management subsystem of one process — webhook intake, incident
 * lifecycle, notifications, escalation, postmortems, stats, metrics. See `src/ops/index.ts` for the
 * design note.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Common } from '../../platform/common.ts';
import type { Db } from '../../platform/db/create-db.ts';
import type { Jobs } from '../../platform/jobs/index.ts';
import { type AcknowledgeInput, acknowledgeIncident } from './acknowledge-incident.ts';
import { addIncidentUpdate, type IncidentUpdateInput } from './add-incident-update.ts';
import { isHeartbeat, recordHeartbeat } from './alerting-heartbeat.ts';
import { type AlertmanagerPayload, readPayload } from './alertmanager-payload.ts';
import { type ApplyResult, applyAlertGroup } from './apply-alert-group.ts';
import { type CloseInput, closeIncident } from './close-incident.ts';
import { applyEffects, type IncidentsContext, noEffects } from './context.ts';
import { type EscalationOutcome, escalateIncident } from './escalate-incident.ts';
import { defineIncidentJobs, registerIncidentJobs } from './incident-jobs.ts';
import type { Incident, TimelineEntry } from './incident-record.ts';
import { type IncidentStats, incidentStats, type StatsQuery } from './incident-stats.ts';
import {
  configuredChannels,
  type IncidentsOptions,
  type ResolvedIncidentsOptions,
  resolveIncidentsOptions,
} from './options.ts';
import { getPostmortem, type Postmortem, savePostmortem } from './postmortem.ts';
import {
  getIncident,
  type IncidentDetail,
  type IncidentPage,
  type ListIncidentsQuery,
  listIncidents,
} from './read-incidents.ts';
import { type ResolveInput, resolveIncident } from './resolve-incident.ts';
import { incidentRoutes } from './routes.ts';
import { sampleIncidentMetrics } from './sample-incident-metrics.ts';
import { type SweepResult, sweepIncidents } from './sweep.ts';
import { SEVERITIES } from './types.ts';

export interface CreateIncidentsParameters {
  common: Common;
  db: Db;
  /** The process's jobs subsystem: deliveries, escalation timers and the sweep run on it. */
  jobs: Jobs;
  options?: IncidentsOptions;
}

export interface Incidents {
  readonly options: ResolvedIncidentsOptions;
  /** Route plugin for `buildApp(ctx, { routes: [incidents.routes] })`. */
  readonly routes: FastifyPluginAsync;
  /** Registers the delivery, escalation and sweep workers (call before `jobs.start()`). */
  registerJobs(): void;
  /** Samples `cb_incidents` now and every `sampleIntervalMs`; returns the stop function. */
  startSampler(): () => void;
  /** One Alertmanager payload → one incident change (what the webhook route does). */
  receive(payload: AlertmanagerPayload): Promise<ApplyResult>;
  list(query?: ListIncidentsQuery): Promise<IncidentPage>;
  get(id: string): Promise<IncidentDetail>;
  acknowledge(id: string, input: AcknowledgeInput): Promise<Incident>;
  addUpdate(id: string, input: IncidentUpdateInput): Promise<TimelineEntry>;
  resolve(id: string, input: ResolveInput): Promise<Incident>;
  close(id: string, input: CloseInput): Promise<Incident>;
  getPostmortem(id: string): Promise<Postmortem>;
  savePostmortem(id: string, input: { actor: string; markdown: string }): Promise<Postmortem>;
  stats(query?: StatsQuery): Promise<IncidentStats>;
  /** Escalates `id` if it is still at `step` and overdue (what the timer job does). */
  escalate(id: string, step: number): Promise<EscalationOutcome>;
  /**
   * Escalates overdue incidents, reminds status updates and overdue action items, and queues lost
   * deliveries (what the cron job does).
   */
  sweep(): Promise<SweepResult>;
  sampleMetrics(): Promise<void>;
}

/** Builds the subsystem; throws `IncidentsOptionsError` (`OPS_OPTIONS_INVALID`) listing every bad option. */
export function createIncidents({ common, db, jobs, options = {} }: CreateIncidentsParameters): Incidents {
  const resolved = resolveIncidentsOptions({ publicUrl: common.config.publicUrl, ...options });
  const logger = common.logger.child('incidents');
  const ctx: IncidentsContext = {
    db,
    jobs,
    defs: defineIncidentJobs(resolved),
    logger,
    metrics: common.metrics,
    options: resolved,
  };

  const configured = configuredChannels(resolved);
  const unconfigured = [...new Set(SEVERITIES.flatMap((s) => resolved.channels[s]))].filter(
    (c) => !configured.has(c),
  );
  if (unconfigured.length > 0)
    logger.info('incident channels without settings are skipped', { context: { channels: unconfigured } });
  if (resolved.webhookToken === undefined)
    logger.warn('no alert webhook token is configured: POST /v1/alerts/webhook answers 503');

  const receive = async (payload: AlertmanagerPayload): Promise<ApplyResult> => {
    if (isHeartbeat(payload)) {
      await recordHeartbeat(ctx, payload);
      return { incidentId: null, outcome: 'heartbeat', effects: noEffects() };
    }
    const now = resolved.now();
    const group = readPayload(payload, resolved.defaultSeverity, now);
    const result = await applyAlertGroup(ctx, group, now);
    if (result.outcome === 'created' || result.outcome === 'resolved')
      logger.info(`incident ${result.outcome}`, {
        context: { incidentId: result.incidentId, groupKey: group.groupKey, dependency: group.dependency },
        metrics: { alerts: group.alerts.length, notifications: result.effects.notifications.length },
      });
    await applyEffects(ctx, result.effects);
    return result;
  };

  return {
    options: resolved,
    routes: incidentRoutes({ ctx, receive }),
    registerJobs: () => registerIncidentJobs(jobs, ctx),
    startSampler() {
      const sample = () =>
        sampleIncidentMetrics(db, common.metrics, resolved.now()).catch((err: unknown) =>
          logger.warn('sampling incident metrics failed', { err }),
        );
      void sample();
      const timer = setInterval(() => void sample(), resolved.sampleIntervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    receive,
    list: (query = {}) => listIncidents(db, resolved, query),
    get: (id) => getIncident(db, resolved, id),
    acknowledge: (id, input) => acknowledgeIncident(ctx, id, input),
    addUpdate: (id, input) => addIncidentUpdate(ctx, id, input),
    resolve: (id, input) => resolveIncident(ctx, id, input),
    close: (id, input) => closeIncident(ctx, id, input),
    getPostmortem: (id) => getPostmortem(ctx, id),
    savePostmortem: (id, input) => savePostmortem(ctx, id, input),
    stats: (query = {}) => incidentStats(db, query, resolved.now()),
    escalate: (id, step) => escalateIncident(ctx, id, step),
    sweep: () => sweepIncidents(ctx),
    sampleMetrics: () => sampleIncidentMetrics(db, common.metrics, resolved.now()),
  };
}
