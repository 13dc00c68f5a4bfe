/**
 * The achievement trigger engine: event intake, the catalogue (versioned definitions), rule
 * types, the batch processor, retroactive evaluation, reads, explain and reconciliation.
 * This file is the domain's public face.
 */
export { normalizeAddress } from './address.ts';
export { type AchievementDefinition, validateDefinition } from './catalogue/definition.ts';
export { importCatalogue, parseCatalogueFile } from './catalogue/import-catalogue.ts';
export {
  DefinitionInvalidError,
  type SavedAchievement,
  saveAchievements,
} from './catalogue/save-achievements.ts';
export type { Catalogue } from './engine/catalogue.ts';
export { createEventProcessor, type EventProcessor } from './engine/event-processor.ts';
export { type ReconcileProgressReport, reconcileProgress } from './engine/reconcile-progress.ts';
export { runRetroactive } from './engine/retroactive.ts';
export { ingestEvents } from './events/ingest-events.ts';
export {
  ingestTrustedEvents,
  type TrustedEventBatch,
  type TrustedIngestOptions,
  type TrustedIngestSummary,
} from './events/ingest-trusted.ts';
export { consistencyJob, registerAchievementJobs, retroactiveJob } from './jobs.ts';
export { nearCompletionCounts } from './reads/achievement-stats.ts';
export { type AchievementRoutesDeps, achievementRoutes, MAX_EVENTS_PER_REQUEST } from './routes.ts';
