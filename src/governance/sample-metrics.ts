/**
 * Gauges and distributions sampled from the database: `cb_proposals{state}` (every instance
 * reports the cluster-wide count: aggregate with max) and `cb_badges_per_holder` (one observation
 * per current holder per sample; read it with increase() over the sample interval).
 */
import type { Queryable } from '../platform/db/create-db.ts';
import type { Metrics } from '../platform/metrics.ts';
import { PROPOSAL_STATES } from './proposal-shape.ts';

export async function sampleProposalStates(db: Queryable, metrics: Metrics): Promise<void> {
  const { rows } = await db.query<{ state: string; n: number }>(
    'select state, count(*)::int as n from gov_proposals group by state',
  );
  const counts = new Map(rows.map((r) => [r.state, r.n]));
  for (const state of PROPOSAL_STATES) metrics.proposals.set({ state }, counts.get(state) ?? 0);
}

/** Observes how many badges each current holder has; returns the number of holders. */
export async function sampleBadgesPerHolder(db: Queryable, metrics: Metrics): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'select count(*)::int as n from badge_tokens where owner is not null group by owner',
  );
  for (const r of rows) metrics.badgesPerHolder.observe(r.n);
  return rows.length;
}
