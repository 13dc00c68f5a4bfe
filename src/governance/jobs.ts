/**
 * Background jobs of governance (pg-boss; each schedule runs once per minute slot across instances):
 * - `governance.tick` (every minute): applies the clock's transitions (start, end + result,
 *   queue, expiry), executes queued proposals whose timelock passed (first attempt only: later
 *   attempts are an admin's call), and samples `cb_proposals{state}`.
 * - `governance.power-accuracy` (every 10 minutes): the voting power accuracy check.
 * - `governance.badge-distribution` (every 15 minutes): samples `cb_badges_per_holder`.
 */
import { Type } from 'typebox';
import { pauseOf } from '../ops/pauses/pauses.ts';
import type { Jobs } from '../platform/jobs/index.ts';
import { defineJob } from '../platform/jobs/index.ts';
import { advanceDue } from './advance-proposal.ts';
import { checkPowerAccuracy } from './check-power-accuracy.ts';
import type { GovernanceContext } from './context.ts';
import { executeProposal } from './execute-proposal.ts';
import { sampleBadgesPerHolder, sampleProposalStates } from './sample-metrics.ts';

/** Powers recomputed by each scheduled accuracy check. */
export const ACCURACY_SAMPLE = 200;

export const tickJob = defineJob({
  queue: 'governance.tick',
  payload: Type.Object({}),
  retryLimit: 0,
  expireInSeconds: 600,
  schedule: { cron: '* * * * *' },
});

export const powerAccuracyJob = defineJob({
  queue: 'governance.power-accuracy',
  payload: Type.Object({ sample: Type.Integer({ minimum: 1, maximum: 100_000 }) }),
  retryLimit: 1,
  schedule: { cron: '*/10 * * * *', payload: { sample: ACCURACY_SAMPLE } },
});

export const badgeDistributionJob = defineJob({
  queue: 'governance.badge-distribution',
  payload: Type.Object({}),
  retryLimit: 1,
  schedule: { cron: '*/15 * * * *' },
});

/**
 * Executes every queued proposal whose timelock passed and that was never attempted — none while
 * execution is paused (they run at the first tick after it is resumed, if not expired by then).
 */
export async function executeDue(ctx: GovernanceContext): Promise<string[]> {
  if (await pauseOf(ctx.db, 'execution')) return [];
  const { rows } = await ctx.db.query<{ id: string }>(
    `select id::text as id from gov_proposals
      where state = 'queued' and execution_attempts = 0 and eta <= $1 and expires_at > $1 order by eta limit 100`,
    [ctx.now()],
  );
  for (const r of rows) {
    try {
      await executeProposal(ctx, r.id, 'clock');
    } catch (err) {
      // Another instance got there first (409), or the database failed: the next tick sees it again.
      ctx.logger.warn(`proposal ${r.id} not executed by the tick`, { err });
    }
  }
  return rows.map((r) => r.id);
}

/** One tick of the governance clock (what `governance.tick` runs). */
export async function governanceTick(
  ctx: GovernanceContext,
): Promise<{ advanced: string[]; executed: string[] }> {
  const advanced = await advanceDue(ctx);
  const executed = await executeDue(ctx);
  await sampleProposalStates(ctx.db, ctx.metrics);
  return { advanced, executed };
}

export function registerGovernanceJobs(jobs: Jobs, ctx: GovernanceContext): void {
  jobs.register(tickJob, async () => {
    await governanceTick(ctx);
  });
  jobs.register(powerAccuracyJob, async (job) => {
    await checkPowerAccuracy(ctx, { sample: job.payload.sample });
  });
  jobs.register(badgeDistributionJob, async () => {
    await sampleBadgesPerHolder(ctx.db, ctx.metrics);
  });
}
