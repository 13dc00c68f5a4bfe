/**
 * The tally of a proposal: power for, against and abstaining over the current vote of each voter,
 * and whether it passes. Quorum: (for + abstain) ≥ quorum × total power at the snapshot.
 * Approval: for ≥ threshold × (for + against), with at least some for or against power. Both are
 * reached at equality and computed in integers (no rounding).
 */
import type { Queryable } from '../platform/db/create-db.ts';
import { formatScaled, ratioPpm, SCALE } from './amounts.ts';
import type { TallyShape } from './proposal-shape.ts';

export interface Tally {
  for: bigint;
  against: bigint;
  abstain: bigint;
  voters: number;
}

export const EMPTY_TALLY: Tally = Object.freeze({ for: 0n, against: 0n, abstain: 0n, voters: 0 });

/** Sums the current votes of a proposal. */
export async function computeTally(q: Queryable, proposalId: string): Promise<Tally> {
  return (await computeTallies(q, [proposalId])).get(proposalId) ?? { ...EMPTY_TALLY };
}

/** Tallies of several proposals in one statement. */
export async function computeTallies(
  q: Queryable,
  proposalIds: readonly string[],
): Promise<Map<string, Tally>> {
  const out = new Map<string, Tally>();
  if (proposalIds.length === 0) return out;
  const { rows } = await q.query<{
    proposal_id: string;
    support: 'for' | 'against' | 'abstain';
    power: string;
    n: number;
  }>(
    `select proposal_id::text as proposal_id, support, sum(weight)::text as power, count(*)::int as n
       from gov_votes where proposal_id = any($1::bigint[]) group by proposal_id, support`,
    [proposalIds],
  );
  for (const r of rows) {
    const t = out.get(r.proposal_id) ?? { ...EMPTY_TALLY };
    t[r.support] = BigInt(r.power);
    t.voters += r.n;
    out.set(r.proposal_id, t);
  }
  return out;
}

export interface TallyRules {
  totalPower: bigint;
  quorumPpm: number;
  approvalPpm: number;
}

/** Whether a tally reaches quorum and approval under the proposal's rules. */
export function evaluateTally(t: Tally, rules: TallyRules) {
  const quorumRequired = (BigInt(rules.quorumPpm) * rules.totalPower + SCALE - 1n) / SCALE;
  const quorumReached = (t.for + t.abstain) * SCALE >= BigInt(rules.quorumPpm) * rules.totalPower;
  const decided = t.for + t.against;
  const approved = decided > 0n && t.for * SCALE >= BigInt(rules.approvalPpm) * decided;
  return { quorumReached, approved, passes: quorumReached && approved, quorumRequired };
}

/** The tally as stored in `result` and shown on the wire (amounts as decimal strings). */
export function tallyView(t: Tally, rules: TallyRules): TallyShape {
  const e = evaluateTally(t, rules);
  const voted = t.for + t.against + t.abstain;
  return {
    for: formatScaled(t.for),
    against: formatScaled(t.against),
    abstain: formatScaled(t.abstain),
    voters: t.voters,
    participation: formatScaled(BigInt(ratioPpm(voted, rules.totalPower))),
    quorumReached: e.quorumReached,
    approved: e.approved,
    quorumRequired: formatScaled(e.quorumRequired),
  };
}
