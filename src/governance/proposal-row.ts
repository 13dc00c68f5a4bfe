/**
 * A proposal as stored and its public (JSON) view; its states, types and JSON shapes are in proposal-shape.ts.
 */
import type { Queryable } from '../platform/db/create-db.ts';
import { formatScaled } from './amounts.ts';
import { proposalNotFound } from './errors.ts';
import type {
  ProposalResultShape,
  ProposalState,
  ProposalType,
  ProposalViewShape,
} from './proposal-shape.ts';

/** States no clock or job moves any more. */
export const TERMINAL_STATES: readonly ProposalState[] = ['canceled', 'defeated', 'expired', 'executed'];

export interface ProposalRow {
  id: string;
  title: string;
  body: string;
  type: ProposalType;
  actions: unknown[];
  proposer: string;
  proposer_kind: 'member' | 'admin';
  chain_id: string;
  snapshot_block: string;
  weight_set: string;
  total_power: string;
  quorum_ppm: number;
  approval_ppm: number;
  allow_vote_change: boolean;
  voting_starts_at: Date;
  voting_ends_at: Date;
  late_ballot_grace_seconds: number;
  timelock_delay_seconds: number;
  execution_grace_seconds: number;
  state: ProposalState;
  next_due_at: Date | null;
  result: ProposalResultShape | null;
  result_fixed_at: Date | null;
  queued_at: Date | null;
  eta: Date | null;
  expires_at: Date | null;
  executed_at: Date | null;
  execution_attempts: number;
  last_execution_status: 'running' | 'ok' | 'failed' | null;
  created_at: Date;
}

export const PROPOSAL_COLUMNS = `id::text as id, title, body, type, actions, proposer, proposer_kind,
  chain_id::text as chain_id, snapshot_block::text as snapshot_block, weight_set, total_power::text as total_power,
  quorum_ppm, approval_ppm, allow_vote_change, voting_starts_at, voting_ends_at, late_ballot_grace_seconds,
  timelock_delay_seconds, execution_grace_seconds, state, next_due_at, result, result_fixed_at, queued_at, eta,
  expires_at, executed_at, execution_attempts, last_execution_status, created_at`;

/** The proposal, optionally locked (`for update` / `for share`); throws GOV_PROPOSAL_NOT_FOUND. */
export async function loadProposal(
  q: Queryable,
  id: string,
  lock: '' | 'for update' | 'for share' = '',
): Promise<ProposalRow> {
  if (!/^\d{1,18}$/.test(id)) throw proposalNotFound(id);
  const { rows } = await q.query<ProposalRow>(
    `select ${PROPOSAL_COLUMNS} from gov_proposals where id = $1 ${lock}`,
    [id],
  );
  const row = rows[0];
  if (!row) throw proposalNotFound(id);
  return row;
}

/** When voting closes for good: the end plus the grace for late ballots. */
export function ballotsCloseAt(p: Pick<ProposalRow, 'voting_ends_at' | 'late_ballot_grace_seconds'>): Date {
  return new Date(p.voting_ends_at.getTime() + p.late_ballot_grace_seconds * 1000);
}

/** Whether a ballot received at `now` may count. */
export function votingOpen(
  p: Pick<ProposalRow, 'state' | 'voting_starts_at' | 'voting_ends_at' | 'late_ballot_grace_seconds'>,
  now: Date,
): boolean {
  return (
    (p.state === 'pending' || p.state === 'active') &&
    now.getTime() >= p.voting_starts_at.getTime() &&
    now.getTime() < ballotsCloseAt(p).getTime()
  );
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public view of a proposal (tally and the caller's vote are added by the reads). */
export function proposalView(p: ProposalRow): ProposalViewShape {
  return {
    id: p.id,
    title: p.title,
    body: p.body,
    type: p.type,
    actions: p.actions,
    proposer: p.proposer,
    proposerKind: p.proposer_kind,
    state: p.state,
    chainId: Number(p.chain_id),
    snapshotBlock: p.snapshot_block,
    weightSet: p.weight_set,
    totalPower: formatScaled(BigInt(p.total_power)),
    settings: {
      quorum: formatScaled(BigInt(p.quorum_ppm)),
      approvalThreshold: formatScaled(BigInt(p.approval_ppm)),
      allowVoteChange: p.allow_vote_change,
      lateBallotGraceSeconds: p.late_ballot_grace_seconds,
      timelockDelaySeconds: p.timelock_delay_seconds,
      executionGraceSeconds: p.execution_grace_seconds,
    },
    votingStartsAt: p.voting_starts_at.toISOString(),
    votingEndsAt: p.voting_ends_at.toISOString(),
    ballotsCloseAt: ballotsCloseAt(p).toISOString(),
    result: p.result,
    resultFixedAt: iso(p.result_fixed_at),
    queuedAt: iso(p.queued_at),
    eta: iso(p.eta),
    expiresAt: iso(p.expires_at),
    executedAt: iso(p.executed_at),
    execution: { attempts: p.execution_attempts, lastStatus: p.last_execution_status },
    createdAt: p.created_at.toISOString(),
  };
}
