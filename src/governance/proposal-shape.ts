/**
 * The JSON shapes of the proposal reads (`GET /v1/proposals`, `GET /v1/proposals/:id`), with the
 * state and type lists they use, free of server imports: the server's views are declared with
 * them (proposal-row.ts, tally.ts, read-proposals.ts) and the member console reads them
 * (web/src/governance.ts, through web/tsconfig.json), so the two cannot drift apart.
 */
import type { Support } from './eip712.ts';

/** OpenZeppelin Governor's states, lower case (as in `cb_proposals{state}`). */
export const PROPOSAL_STATES = [
  'pending',
  'active',
  'canceled',
  'defeated',
  'succeeded',
  'queued',
  'expired',
  'executed',
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

export const PROPOSAL_TYPES = ['signal', 'parameter_change', 'achievement_change', 'onchain_call'] as const;
export type ProposalType = (typeof PROPOSAL_TYPES)[number];

/** A proposal's fixed result, stored when voting closes. Amounts are decimal strings. */
export interface ProposalResultShape {
  for: string;
  against: string;
  abstain: string;
  voters: number;
  participation: string;
  quorumReached: boolean;
  approved: boolean;
}

/** The live tally: the result so far, and the power the quorum needs. */
export interface TallyShape extends ProposalResultShape {
  quorumRequired: string;
}

export interface ProposalViewShape {
  id: string;
  title: string;
  body: string;
  type: ProposalType;
  actions: unknown[];
  proposer: string;
  proposerKind: 'member' | 'admin';
  state: ProposalState;
  chainId: number;
  snapshotBlock: string;
  weightSet: string;
  totalPower: string;
  settings: {
    quorum: string;
    approvalThreshold: string;
    allowVoteChange: boolean;
    lateBallotGraceSeconds: number;
    timelockDelaySeconds: number;
    executionGraceSeconds: number;
  };
  votingStartsAt: string;
  votingEndsAt: string;
  ballotsCloseAt: string;
  result: ProposalResultShape | null;
  resultFixedAt: string | null;
  queuedAt: string | null;
  eta: string | null;
  expiresAt: string | null;
  executedAt: string | null;
  execution: { attempts: number; lastStatus: 'running' | 'ok' | 'failed' | null };
  createdAt: string;
}

/** A proposal with its live tally. */
export interface ProposalWithTally extends ProposalViewShape {
  tally: TallyShape;
}

/** An item of `GET /v1/proposals` (no body). */
export type ProposalListItem = Omit<ProposalWithTally, 'body'>;

/** The caller's counted vote on a proposal. */
export interface VoteShape {
  ballotId: string;
  support: Support;
  weight: string;
  nonce: string;
  reason: string;
  votedAt: string;
  /** Ballots that replaced an earlier one. */
  changes: number;
}

/** `GET /v1/proposals/:id`: `voter` and `vote` when asked with `?voter=`. */
export interface ProposalDetailShape extends ProposalWithTally {
  voter?: string;
  vote?: VoteShape | null;
  transitions: { from: string | null; to: string; actor: string; reason: string | null; at: string }[];
  executions: {
    attempt: number;
    status: string;
    actor: string;
    outcomes: unknown;
    error: string | null;
    startedAt: string;
    finishedAt: string | null;
  }[];
}
