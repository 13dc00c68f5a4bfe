/**
 * The clock's part of the proposal state machine (OpenZeppelin Governor's states):
 *
 *   pending ──(voting starts)──► active ──(end + late-ballot grace: result fixed)──► succeeded | defeated
 *   succeeded ──(at once; not for signal proposals, which end there)──► queued (eta = now + timelock)
 *   queued ──(executed by the tick job or an admin)──► executed
 *   queued ──(not executed before eta + execution grace)──► expired
 *   pending | active ──(proposer or guardian)──► canceled;  succeeded | queued ──(guardian)──► canceled
 *
 * Each transition runs with the proposal row locked and is recorded in `gov_proposal_transitions`
 * with its actor (`clock` here) and time. `next_due_at` says when the clock next moves the proposal
 * (start, end + grace, expiry), so the tick job and reads find due proposals by an index.
 */
import type { Queryable } from '../platform/db/create-db.ts';
import { scaledToNumber } from './amounts.ts';
import type { GovernanceContext } from './context.ts';
import { ballotsCloseAt, loadProposal, type ProposalRow } from './proposal-row.ts';
import type { ProposalState } from './proposal-shape.ts';
import { computeTally, evaluateTally, tallyView } from './tally.ts';

export const CLOCK_ACTOR = 'clock';

/** Records a transition (and nothing else). */
export async function recordTransition(
  tx: Queryable,
  proposalId: string,
  from: ProposalState | null,
  to: ProposalState,
  actor: string,
  at: Date,
  reason?: string,
): Promise<void> {
  await tx.query(
    `insert into gov_proposal_transitions (proposal_id, from_state, to_state, actor, reason, at)
     values ($1, $2, $3, $4, $5, $6)`,
    [proposalId, from, to, actor, reason ?? null, at],
  );
}

/** Applies every transition due at `now` to a proposal whose row the caller has locked. */
export async function advanceLocked(
  ctx: Pick<GovernanceContext, 'metrics' | 'logger'>,
  tx: Queryable,
  proposal: ProposalRow,
  now: Date,
): Promise<ProposalRow> {
  let p = proposal;
  for (;;) {
    const t = now.getTime();
    if (p.state === 'pending' && t >= p.voting_starts_at.getTime()) {
      p = await move(tx, p, 'active', now, 'voting started', { next_due_at: ballotsCloseAt(p) });
    } else if (p.state === 'active' && t >= ballotsCloseAt(p).getTime()) {
      const tally = await computeTally(tx, p.id);
      const rules = {
        totalPower: BigInt(p.total_power),
        quorumPpm: p.quorum_ppm,
        approvalPpm: p.approval_ppm,
      };
      const { passes } = evaluateTally(tally, rules);
      const { quorumRequired: _, ...result } = tallyView(tally, rules);
      const to = passes ? 'succeeded' : 'defeated';
      p = await move(tx, p, to, now, passes ? 'quorum and approval reached' : defeatReason(result), {
        result,
        result_fixed_at: now,
        next_due_at: passes && p.type !== 'signal' ? now : null,
      });
      const total = BigInt(p.total_power);
      const voted = tally.for + tally.against + tally.abstain;
      ctx.metrics.governanceParticipation.observe(
        total > 0n ? scaledToNumber((voted * 1_000_000n) / total) : 0,
      );
      ctx.logger.info(`proposal ${p.id} ${to}`, {
        context: { proposalId: p.id, state: to, result },
        metrics: { voters: tally.voters },
      });
    } else if (p.state === 'succeeded' && p.type !== 'signal') {
      const eta = new Date(t + p.timelock_delay_seconds * 1000);
      const expiresAt = new Date(eta.getTime() + p.execution_grace_seconds * 1000);
      // The clock's next move is the expiry; execution after the eta is the tick's (executeDue).
      p = await move(tx, p, 'queued', now, `timelock until ${eta.toISOString()}`, {
        queued_at: now,
        eta,
        expires_at: expiresAt,
        next_due_at: expiresAt,
      });
    } else if (p.state === 'queued' && p.expires_at && t >= p.expires_at.getTime()) {
      p = await move(tx, p, 'expired', now, 'not executed within the execution grace period', {
        next_due_at: null,
      });
      ctx.logger.warn(`proposal ${p.id} expired unexecuted`, {
        context: { proposalId: p.id, attempts: p.execution_attempts, lastStatus: p.last_execution_status },
      });
    } else return p;
  }
}

function defeatReason(r: { quorumReached: boolean; approved: boolean }): string {
  if (!r.quorumReached && !r.approved) return 'quorum not reached and not approved';
  return r.quorumReached ? 'not approved' : 'quorum not reached';
}

type Fields = Partial<
  Pick<
    ProposalRow,
    'next_due_at' | 'result' | 'result_fixed_at' | 'queued_at' | 'eta' | 'expires_at' | 'executed_at'
  >
>;

/** Moves a locked proposal to `to`, updating `fields`, and records the transition. */
export async function move(
  tx: Queryable,
  p: ProposalRow,
  to: ProposalState,
  now: Date,
  reason: string,
  fields: Fields,
  actor = CLOCK_ACTOR,
): Promise<ProposalRow> {
  const names = Object.keys(fields) as (keyof Fields)[];
  const values = names.map((n) => (n === 'result' ? JSON.stringify(fields[n]) : fields[n]));
  const sets = names.map((n, i) => `${n} = $${i + 3}${n === 'result' ? '::jsonb' : ''}`);
  await tx.query(
    `update gov_proposals set state = $2, updated_at = now()${sets.map((s) => `, ${s}`).join('')} where id = $1`,
    [p.id, to, ...values],
  );
  await recordTransition(tx, p.id, p.state, to, actor, now, reason);
  return { ...p, ...fields, state: to };
}

/** Locks a proposal and applies the transitions due now; returns it as it then is. */
export async function advanceProposal(
  ctx: Pick<GovernanceContext, 'db' | 'metrics' | 'logger' | 'now'>,
  id: string,
): Promise<ProposalRow> {
  const now = ctx.now();
  return ctx.db.transaction(async (tx) =>
    advanceLocked(ctx, tx, await loadProposal(tx, id, 'for update'), now),
  );
}

/** True when the clock has something to do for this proposal at `now` (no write needed otherwise). */
export function isDue(p: Pick<ProposalRow, 'next_due_at'>, now: Date): boolean {
  return p.next_due_at !== null && p.next_due_at.getTime() <= now.getTime();
}

/** Advances every proposal with a due transition (at most `limit`); returns the ids moved. */
export async function advanceDue(
  ctx: Pick<GovernanceContext, 'db' | 'metrics' | 'logger' | 'now'>,
  limit = 500,
): Promise<string[]> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `select id::text as id from gov_proposals where next_due_at <= $1 order by next_due_at limit $2`,
    [ctx.now(), limit],
  );
  for (const r of rows) await advanceProposal(ctx, r.id);
  return rows.map((r) => r.id);
}
