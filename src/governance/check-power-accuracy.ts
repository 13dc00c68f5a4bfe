/**
 * The accuracy check of voting power (seed: 权益计算准确率, alert below 100 %): recomputes a
 * sample of powers straight from the database and compares each with what the cache serves.
 * The sample mixes the keys this process served most recently, voters of open proposals at their
 * snapshot, and random current holders at the latest confirmed block. Every comparison counts in
 * `cb_voting_power_checks_total`, every difference in `cb_voting_power_mismatches_total`; a wrong
 * entry is logged at ERROR and dropped from the cache everywhere (the database is the truth).
 */
import type { GovernanceContext } from './context.ts';
import { readParameters } from './parameters.ts';
import { canonicalPower } from './power-differences.ts';
import type { WeightSet } from './weights.ts';

export interface AccuracyReport {
  checked: number;
  mismatches: { address: string; block: string; weightSet: string; cached: string; fresh: string }[];
}

interface Target {
  address: string;
  block: bigint;
  weights: WeightSet;
}

export async function checkPowerAccuracy(
  ctx: GovernanceContext,
  options: { sample: number },
): Promise<AccuracyReport> {
  const share = Math.max(1, Math.ceil(options.sample / 3));
  const targets = new Map<string, Target>();
  const add = (t: Target) => {
    if (targets.size < options.sample) targets.set(ctx.power.key(t.address, t.block, t.weights.hash), t);
  };

  for (const r of ctx.power.recent().slice(-share).reverse()) {
    const weights = await ctx.weights.byHash(r.weightSet);
    if (weights) add({ address: r.address, block: r.block, weights });
  }
  const voters = await ctx.db.query<{ voter: string; block: string; weight_set: string }>(
    `select v.voter, p.snapshot_block::text as block, p.weight_set
       from gov_votes v join gov_proposals p on p.id = v.proposal_id
      where p.state in ('pending', 'active') order by random() limit $1`,
    [share],
  );
  for (const v of voters.rows) {
    const weights = await ctx.weights.byHash(v.weight_set);
    if (weights) add({ address: v.voter, block: BigInt(v.block), weights });
  }
  const block = await ctx.blocks.latestConfirmed();
  const weights = await ctx.weights.current(await readParameters(ctx.db, ctx.defaults));
  const holders = await ctx.db.query<{ owner: string }>(
    `select owner from (select distinct owner from badge_ownership
       where from_block <= $1 and (to_block is null or to_block > $1)) h order by random() limit $2`,
    [block.toString(), share],
  );
  for (const h of holders.rows) add({ address: h.owner, block, weights });

  const report: AccuracyReport = { checked: 0, mismatches: [] };
  for (const t of targets.values()) {
    const served =
      (await ctx.power.peek(t.address, t.block, t.weights)) ??
      (await ctx.power.at(t.address, t.block, t.weights));
    const fresh = await ctx.power.fresh(t.address, t.block, t.weights);
    report.checked++;
    ctx.metrics.votingPowerChecks.inc();
    const a = canonicalPower(served);
    const b = canonicalPower(fresh);
    if (a === b) continue;
    ctx.metrics.votingPowerMismatches.inc();
    const mismatch = {
      address: t.address,
      block: t.block.toString(),
      weightSet: t.weights.hash,
      cached: served.total.toString(),
      fresh: fresh.total.toString(),
    };
    report.mismatches.push(mismatch);
    ctx.logger.error('cached voting power differs from the database; entry dropped', { context: mismatch });
    await ctx.power.cache.delete(ctx.power.key(t.address, t.block, t.weights.hash));
  }
  ctx.logger.info('voting power accuracy check', {
    context: { mismatches: report.mismatches.length },
    metrics: { checked: report.checked },
  });
  return report;
}
