/**
 * Background jobs of the achievement engine:
 * - `achievements.retroactive`: evaluate a new or changed achievement over the event history;
 * - `achievements.consistency` (every 10 minutes): recompute a sample of members' progress from
 *   the event log and set `cb_progress_inconsistencies` (the seed alerts on any).
 */
import { Type } from 'typebox';
import type { Db } from '../platform/db/create-db.ts';
import type { Jobs } from '../platform/jobs/index.ts';
import { defineJob } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { reconcileProgress } from './engine/reconcile-progress.ts';
import { runRetroactive } from './engine/retroactive.ts';

/** Members recomputed by each scheduled consistency check. */
export const CONSISTENCY_SAMPLE = 200;

export const retroactiveJob = defineJob({
  queue: 'achievements.retroactive',
  payload: Type.Object({ achievementId: Type.String() }),
  retryLimit: 5,
  retryDelaySeconds: 10,
  retryBackoff: true,
  expireInSeconds: 3600,
});

export const consistencyJob = defineJob({
  queue: 'achievements.consistency',
  payload: Type.Object({ sample: Type.Integer({ minimum: 1 }) }),
  retryLimit: 1,
  schedule: { cron: '*/10 * * * *', payload: { sample: CONSISTENCY_SAMPLE } },
});

export function registerAchievementJobs(
  jobs: Jobs,
  deps: { db: Db; metrics: Metrics; logger: Logger },
): void {
  jobs.register(retroactiveJob, async (job) => {
    await runRetroactive(deps, job.payload.achievementId);
  });
  jobs.register(consistencyJob, async (job) => {
    await reconcileProgress(deps, { sample: job.payload.sample });
  });
}
