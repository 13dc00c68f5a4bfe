/**
 * Accepts a signed ballot (EIP-712 `Ballot`, signed by the voter: an EOA, or a contract wallet
 * through ERC-1271). Its weight is the voter's power at the proposal's snapshot block under the
 * proposal's weight set. Checks, in order: the proposal exists (404) · the same ballot was accepted
 * before (a no-op: 200 with `replayed`) · voting is open (409) · the domain and signature (401) ·
 * power > 0 (422) · nonce above the voter's current ballot (409) · a change is allowed (409).
 *
 * The latest ballot (highest nonce) counts: `gov_votes` holds it, `gov_ballots` keeps every one with
 * its signature. The proposal row is share-locked while a ballot is written and locked exclusively
 * when the result is fixed, so no ballot slips in after the tally.
 */
import type { Address, Hex } from 'viem';
import { BaseError } from '../platform/errors.ts';
import { memberAddress, uint } from './address.ts';
import { advanceProposal } from './advance-proposal.ts';
import { formatScaled, scaledToNumber } from './amounts.ts';
import type { GovernanceContext } from './context.ts';
import {
  domainProblem,
  governanceDomain,
  type StatedDomain,
  SUPPORT_CODES,
  type Support,
  typedPayload,
} from './eip712.ts';
import { badRequest, conflict, proposalNotFound, ruleViolation, SignatureError } from './errors.ts';
import { ballotsCloseAt, type ProposalRow, votingOpen } from './proposal-row.ts';

/** Longest ballot reason, characters. */
export const MAX_REASON = 5000;

export interface BallotInput {
  voter: unknown;
  support: unknown;
  reason?: unknown;
  nonce: unknown;
  signature: unknown;
  domain?: StatedDomain | undefined;
}

export interface CastVoteResult {
  ballotId: string;
  proposalId: string;
  voter: string;
  support: Support;
  /** Scaled power of the ballot. */
  weight: bigint;
  nonce: string;
  signerKind: 'eoa' | 'erc1271';
  /** True when the voter had voted before and this ballot replaced that one. */
  replacedPrevious: boolean;
  /** True when this exact ballot had been accepted before: nothing changed. */
  replayed: boolean;
}

export function parseSupport(value: unknown): Support | undefined {
  if (value === 'for' || value === 'against' || value === 'abstain') return value;
  if (value === 0 || value === '0') return 'against';
  if (value === 1 || value === '1') return 'for';
  if (value === 2 || value === '2') return 'abstain';
  return undefined;
}

/** The proposal's voting facts, the voter's ballot with this nonce (if any) and current vote. */
interface VotingRow
  extends Pick<
    ProposalRow,
    | 'id'
    | 'state'
    | 'chain_id'
    | 'snapshot_block'
    | 'weight_set'
    | 'allow_vote_change'
    | 'voting_starts_at'
    | 'voting_ends_at'
    | 'late_ballot_grace_seconds'
  > {
  b_id: string | null;
  b_support: Support | null;
  b_reason: string | null;
  b_signature: string | null;
  b_signer_kind: 'eoa' | 'erc1271' | null;
  b_weight: string | null;
  v_nonce: string | null;
}

const VOTING_ROW = `
select p.id::text as id, p.state, p.chain_id::text as chain_id, p.snapshot_block::text as snapshot_block,
       p.weight_set, p.allow_vote_change, p.voting_starts_at, p.voting_ends_at, p.late_ballot_grace_seconds,
       b.id::text as b_id, b.support as b_support, b.reason as b_reason, b.signature as b_signature,
       b.signer_kind as b_signer_kind, b.weight::text as b_weight, v.nonce::text as v_nonce
  from gov_proposals p
  left join gov_ballots b on b.proposal_id = p.id and b.voter = $2 and b.nonce = $3
  left join gov_votes v on v.proposal_id = p.id and v.voter = $2
 where p.id = $1`;

/**
 * The write, one statement (its own transaction): share-locks the proposal while voting is open at
 * $9 (a result being fixed holds it exclusively, so a ballot lands before the tally or not at all),
 * makes the ballot the voter's vote when its nonce is higher (and a change is allowed, $10), and
 * only then stores the ballot, under the id the vote points at (the foreign key is checked at the
 * end of the statement). No row back = refused, and nothing was written.
 */
const WRITE_BALLOT = `
with p as (
  select id from gov_proposals
   where id = $1 and state in ('pending', 'active')
     and voting_starts_at <= $9 and voting_ends_at + late_ballot_grace_seconds * interval '1 second' > $9
   for share
), v as (
  insert into gov_votes (proposal_id, voter, ballot_id, support, weight, nonce, updated_at)
  select p.id, $2, nextval('gov_ballots_id_seq'), $3, $8, $5, $9 from p
  on conflict (proposal_id, voter) do update
     set ballot_id = excluded.ballot_id, support = excluded.support, weight = excluded.weight,
         nonce = excluded.nonce, updated_at = excluded.updated_at
   where gov_votes.nonce < excluded.nonce and $10::boolean
  returning proposal_id, ballot_id
), b as (
  insert into gov_ballots (id, proposal_id, voter, support, reason, nonce, signature, signer_kind, weight, received_at)
  select v.ballot_id, v.proposal_id, $2, $3, $4, $5, $6, $7, $8, $9 from v
  returning id
)
select id::text as ballot_id from b`;

export async function castVote(
  ctx: GovernanceContext,
  proposalId: string,
  input: BallotInput,
): Promise<CastVoteResult> {
  const support = parseSupport(input.support);
  try {
    const result = await cast(ctx, proposalId, input, support);
    if (!result.replayed) {
      ctx.metrics.votes.inc({ support: result.support, result: 'accepted' });
      ctx.metrics.voteWeight.observe(scaledToNumber(result.weight));
    }
    return result;
  } catch (err) {
    ctx.metrics.votes.inc({ support: support ?? 'invalid', result: 'rejected' });
    throw err;
  }
}

async function cast(
  ctx: GovernanceContext,
  proposalId: string,
  input: BallotInput,
  support: Support | undefined,
): Promise<CastVoteResult> {
  const voter = memberAddress(input.voter, 'voter');
  if (!support)
    throw badRequest('GOV_REQUEST_INVALID', 'support must be for, against or abstain (or 1, 0, 2)', [
      { path: 'support', message: 'for, against or abstain' },
    ]);
  const reason = input.reason ?? '';
  if (typeof reason !== 'string' || reason.length > MAX_REASON)
    throw badRequest('GOV_REQUEST_INVALID', `reason must be a string of at most ${MAX_REASON} characters`, [
      { path: 'reason', message: `at most ${MAX_REASON} characters` },
    ]);
  const nonce = uint(input.nonce, 'nonce');
  if (typeof input.signature !== 'string')
    throw badRequest('GOV_REQUEST_INVALID', 'signature is required', [
      { path: 'signature', message: 'a 0x hex string' },
    ]);
  const signature = input.signature.toLowerCase();
  if (!/^\d{1,18}$/.test(proposalId)) throw proposalNotFound(proposalId);

  const read = async () => {
    const { rows } = await ctx.db.query<VotingRow>(VOTING_ROW, [proposalId, voter, nonce.toString()], {
      name: 'gov_voting_row',
    });
    if (!rows[0]) throw proposalNotFound(proposalId);
    return rows[0];
  };
  const base = { proposalId, voter, nonce: nonce.toString() };
  /** The same ballot accepted before: a no-op. A different one with this nonce: a conflict. */
  const replayOf = (row: VotingRow): CastVoteResult | undefined => {
    if (row.b_id === null) return undefined;
    if (row.b_signature === signature && row.b_support === support && row.b_reason === reason)
      return {
        ...base,
        ballotId: row.b_id,
        support,
        weight: BigInt(row.b_weight ?? '0'),
        signerKind: row.b_signer_kind ?? 'eoa',
        replacedPrevious: false,
        replayed: true,
      };
    throw conflict(
      'GOV_NONCE_USED',
      `nonce ${nonce} was used by another ballot of ${voter} on this proposal`,
    );
  };
  /** Why this ballot cannot replace the voter's current one, if it cannot. */
  const orderProblem = (row: VotingRow) => {
    if (row.v_nonce === null) return undefined;
    if (BigInt(row.v_nonce) >= nonce)
      return conflict(
        'GOV_NONCE_STALE',
        `a ballot with nonce ${row.v_nonce} already counts; use a higher nonce`,
        {
          currentNonce: row.v_nonce,
        },
      );
    if (!row.allow_vote_change)
      return conflict('GOV_VOTE_CHANGE_NOT_ALLOWED', 'this proposal does not allow changing a vote');
    return undefined;
  };

  const row = await read();
  const replay = replayOf(row);
  if (replay) return replay;
  const now = ctx.now();
  if (!votingOpen(row, now)) throw notActive(row, now);
  const problem = domainProblem(input.domain, governanceDomain(Number(row.chain_id)));
  if (problem) throw new SignatureError('GOV_DOMAIN_MISMATCH', problem);

  const signerKind = await ctx.signatures.verify(
    typedPayload(Number(row.chain_id), 'Ballot', {
      proposalId: BigInt(row.id),
      voter: voter as Address,
      support: SUPPORT_CODES[support],
      reason,
      nonce,
    }),
    voter,
    signature as Hex,
  );

  const weights = await ctx.weights.byHash(row.weight_set);
  if (!weights)
    throw new BaseError(
      'GOV_WEIGHT_SET_MISSING',
      `weight set ${row.weight_set} of proposal ${row.id} is missing`,
    );
  const snapshot = BigInt(row.snapshot_block);
  const power = await ctx.power.at(voter, snapshot, weights);
  if (power.total <= 0n)
    throw ruleViolation(
      'GOV_NO_VOTING_POWER',
      `${voter} has no voting power at block ${snapshot}, the proposal's snapshot`,
      {
        snapshotBlock: snapshot.toString(),
        delegatedTo: power.delegatedTo,
      },
    );
  const order = orderProblem(row);
  if (order) throw order;
  if (row.state === 'pending') await advanceProposal(ctx, row.id);

  const at = ctx.now();
  let ballotId: string | undefined;
  try {
    const { rows } = await ctx.db.query<{ ballot_id: string }>(
      WRITE_BALLOT,
      [
        row.id,
        voter,
        support,
        reason,
        nonce.toString(),
        signature,
        signerKind,
        power.total.toString(),
        at,
        row.allow_vote_change,
      ],
      { name: 'gov_write_ballot' },
    );
    ballotId = rows[0]?.ballot_id;
  } catch (err) {
    if ((err as { code?: unknown }).code !== '23505') throw err;
  }
  if (ballotId === undefined) {
    // Voting closed meanwhile, or another ballot of this voter got in first: say which.
    const again = await read();
    const replayed = replayOf(again);
    if (replayed) return replayed;
    if (!votingOpen(again, at)) throw notActive(again, at);
    throw (
      orderProblem(again) ??
      conflict('GOV_NONCE_STALE', 'another ballot of this voter was accepted at the same time')
    );
  }
  const replacedPrevious = row.v_nonce !== null;
  ctx.logger.info('ballot accepted', {
    userId: voter,
    context: {
      proposalId: row.id,
      support,
      weight: formatScaled(power.total),
      nonce: nonce.toString(),
      signerKind,
      replacedPrevious,
    },
  });
  return { ...base, ballotId, replacedPrevious, support, weight: power.total, signerKind, replayed: false };
}

function notActive(
  p: Pick<ProposalRow, 'id' | 'state' | 'voting_starts_at' | 'voting_ends_at' | 'late_ballot_grace_seconds'>,
  now: Date,
) {
  const reason =
    p.state !== 'pending' && p.state !== 'active'
      ? `proposal ${p.id} is ${p.state}`
      : now.getTime() < p.voting_starts_at.getTime()
        ? `voting on proposal ${p.id} starts at ${p.voting_starts_at.toISOString()}`
        : `voting on proposal ${p.id} closed at ${ballotsCloseAt(p).toISOString()}`;
  return conflict('GOV_PROPOSAL_NOT_ACTIVE', reason, {
    state: p.state,
    votingStartsAt: p.voting_starts_at.toISOString(),
    ballotsCloseAt: ballotsCloseAt(p).toISOString(),
  });
}
