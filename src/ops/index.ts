/**
 * Operations: incident management (seed 3: 告警机制) and the local monitoring stack. This file is
 * the domain's public face; nothing outside `src/ops` reaches past it.
 *
 * Design note
 * - Intake: Alertmanager groups alerts (by `correlation`, see deploy/alertmanager) and posts each
 *   group to `POST /v1/alerts/webhook` with a bearer token (compared in constant time). One group is
 *   one incident while it is open: one transaction per call, serialised per group by an advisory
 *   lock, so re-sends and concurrent deliveries are idempotent (a `repeat` entry at most). An alert
 *   instance is fingerprint + startsAt: a new instance after the incident resolved opens a NEW
 *   incident linked to the previous one (its own escalation from step 1, MTTA/MTTR sample and
 *   postmortem); closed incidents are never reopened.
 * - Lifecycle: triggered → acknowledged → resolved → closed. Severity is the highest of the
 *   incident's alerts and only rises (a rise re-pages on the new severity's channels and pulls the
 *   ack deadline in). Every event goes to the timeline. Resolution (all alerts resolved, or an
 *   operator) sends the recovery notice and writes the postmortem draft; closing needs a resolved
 *   incident whose postmortem differs from the draft.
 * - Notifications are an outbox: rows written in the change's transaction, one delivery job per
 *   notification and channel queued after the commit (`ops.notify.<channel>`: a failing provider
 *   never blocks the others), retried with exponential backoff, each attempt recorded in the row,
 *   the timeline and `cb_notifications_total`, then dead-lettered. A per-minute sweep re-queues rows
 *   whose job was never sent. Transports: SMTP (`node:net`/`node:tls`, STARTTLS, AUTH PLAIN), Slack
 *   incoming webhooks, a Twilio-style API for SMS and calls. Secrets stay out of messages and logs.
 * - Escalation: the ack deadline comes from the severity's response target (seed 3.1) on a
 *   working-hours calendar (IANA zone, weekdays, hours, holidays; pure functions of a given
 *   instant). A delayed job fires at the deadline; the sweep catches any the jobs missed (restarts).
 *   Missing it moves the incident to the next step of the policy; acknowledging stops it.
 * - Metrics: `cb_incidents{severity,state}` sampled from the database; `cb_incident_ack_seconds`
 *   and `cb_incident_resolve_seconds` on transitions; `cb_notifications_total`;
 *   `cb_escalations_total`. Stats (MTTA, MTTR, MTBF by severity and period) from the database.
 *
 * ```ts
 * const incidents = createIncidents({ common, db, jobs, options: incidentsOptionsFromSettings(config) });
 * incidents.registerJobs();                    // before jobs.start()
 * shutdown.add('incident-sampler', incidents.startSampler());
 * buildApp(ctx, { routes: [incidents.routes, …] });
 * ```
 */

export {
  type AcceptBreakRefusal,
  type AuditBreak,
  type AuditEntry,
  type AuditOutcome,
  type AuditRecord,
  type AuditVerifyReport,
  acceptAuditBreak,
  appendAudit,
  listAudit,
  pruneAudit,
  verifyAudit,
} from './audit/audit-log.ts';
export {
  type AuditTrail,
  auditJob,
  auditRoutes,
  createAuditTrail,
  registerAuditJob,
  runAuditJob,
  sendAuditJobIfNeverVerified,
} from './audit/audit-trail.ts';
export {
  type AuditVerification,
  type AuditVerifyTrigger,
  readAuditVerifications,
  recordAuditVerification,
  sampleAuditVerifications,
  startAuditVerificationSampler,
  verifyAndRecordAudit,
} from './audit/audit-verifications.ts';
export { backupJob, registerBackupJob } from './backup/backup-job.ts';
export {
  type BackupConfig,
  backupDirOf,
  configuredBackupKey,
  createBackup,
  type DrillReport,
  type DrillStep,
  restoreBackup,
  runDrill,
  verifyBackup,
} from './backup/backups.ts';
export { type BackupsView, formatDuration } from './backup/backups-shape.ts';
export { backupRoutes } from './backup/routes.ts';
export { sampleBackups, startBackupSampler } from './backup/sampler.ts';
export { type BackupManifest, listBackups } from './backup/store.ts';
export { readWalArchive, walArchiveView } from './backup/wal-archive.ts';
export {
  capacityJob,
  registerCapacityJob,
  runCapacityJob,
  sendCapacityJobIfNoSampleToday,
} from './capacity/capacity-job.ts';
export {
  BURST_BUFFER_RATIO,
  capacityReport,
  DEFAULT_CAPACITY_WINDOW_DAYS,
  DISK_WARNING_RATIO,
  MEMORY_WARNING_RATIO,
  MIN_CAPACITY_WINDOW_DAYS,
  readCapacityReport,
} from './capacity/capacity-report.ts';
export { capacityRoutes } from './capacity/capacity-routes.ts';
export { sampleCapacity, startCapacitySampler } from './capacity/capacity-sampler.ts';
export {
  CAPACITY_RETENTION_DAYS,
  type CapacityMeasurement,
  type CapacitySample,
  measureCapacity,
  readCapacitySamples,
  recordCapacitySample,
} from './capacity/capacity-samples.ts';
export type {
  CapacityReport,
  CpuHeadroom,
  DiskForecast,
  Growth,
  MemoryTrend,
} from './capacity/capacity-shape.ts';
export { createUsageTracker, type UsageSummary, type UsageTracker } from './capacity/usage-tracker.ts';
export {
  CROSS_SYSTEM_KINDS,
  type CrossSystemReport,
  checkCrossSystem,
  registerCrossSystemJob,
  runRecordedCrossSystem,
  startCrossSystemSampler,
} from './consistency/index.ts';
export {
  type CreateIncidentsParameters,
  createIncidents,
  type Incidents,
} from './incidents/create-incidents.ts';
export {
  IncidentNotFoundError,
  IncidentStateError,
  IncidentsOptionsError,
  PostmortemNotFoundError,
  PostmortemUneditedError,
  WebhookNotConfiguredError,
  WebhookUnauthorizedError,
} from './incidents/errors.ts';
export type {
  Incident,
  IncidentAlert,
  IncidentNotification,
  TimelineEntry,
} from './incidents/incident-record.ts';
export type { IncidentStats, ReliabilityFigures } from './incidents/incident-stats.ts';
export {
  DEFAULT_CHANNELS,
  type DeliveryOptions,
  type EmailOptions,
  type EscalationStep,
  type IncidentsOptions,
  type ResolvedIncidentsOptions,
  type SlackOptions,
} from './incidents/options.ts';
export type { Postmortem } from './incidents/postmortem.ts';
export type { IncidentDetail, IncidentPage } from './incidents/read-incidents.ts';
export {
  ackDeadline,
  DEFAULT_RESPONSE_TARGETS,
  parseResponseTargets,
  type ResponseTargets,
} from './incidents/response-targets.ts';
export {
  type IncidentSettings,
  incidentsOptionsFromSettings,
  parseActionRemindEvery,
  parseChannelPolicy,
  parseEscalationPolicy,
  parseSlackWebhooks,
  parseSmtpUrl,
  parseUpdateEvery,
  parseWeekdays,
  parseWorkingHours,
  readWebhookToken,
} from './incidents/settings.ts';
export {
  CHANNELS,
  type Channel,
  INCIDENT_STATES,
  type IncidentState,
  SEVERITIES,
  type Severity,
} from './incidents/types.ts';
export {
  addWorkingTime,
  createWorkingCalendar,
  isWorkingTime,
  nextWorkingTime,
  type WorkingCalendar,
  type WorkingCalendarSpec,
} from './incidents/working-calendar.ts';
export { type MonitorCommandDeps, registerMonitor } from './monitor/register-monitor.ts';
export {
  DEPLOY_DIR,
  type RunningMonitor,
  type StartMonitorOptions,
  startMonitor,
} from './monitor/start-monitor.ts';
export { type MailMessage, type SmtpSettings, sendMail } from './notify/smtp-client.ts';
export {
  clearPause,
  listPauses,
  PAUSE_SWITCHES,
  type Pause,
  type PauseSwitch,
  pauseOf,
  setPause,
  startPauseSampler,
} from './pauses/pauses.ts';
export { pauseRoutes } from './pauses/routes.ts';
