/**
 * Accepts a signed ballot (EIP-712 `Ballot`, signed by the voter: an EOA, or a contract wallet
 * through ERC-1271). Its weight is the voter's power at the proposal's snapshot block under the
 * proposal's weight set. Checks, in order: the proposal exists (404) · the same ballot was accepted
 * before (a no-op: 200 with `replayed`) · voting is open (409) · the domain and signature (401) ·
 * the snapshot block is indexed (503, retryable) · power > 0 (422) · nonce above the voter's current
 * ballot (409) · a change is allowed (409).
 *
 * The snapshot is always at or below the listener's applied block when a proposal is created; it can
 * be above it later only when the listener's data went back (a restore from an older backup, a
 * reorganisation deeper than the confirmation depth, a fresh dev chain). Power read there would be
 * wrong, so the ballot is refused until the listener is past the snapshot again.
 *
 * The latest ballot (highest nonce) counts: `gov_votes` holds it, `gov_ballots` keeps every one with
 * its signature. The proposal row is share-locked while a ballot is written and locked exclusively
 * when the result is fixed, so no ballot slips in after the tally. The reads and the write are
 * batched across concurrent ballots (ballot-store.ts).
 *
 * Counted in `cb_votes_total{support,result}`: `accepted` (a replay is not counted again),
 * `refused` (one of the checks above refused it: the caller's doing), `failed` (the system's: a
 * 5xx such as the database or the snapshot not indexed). See error-result.ts.
 */
import type { Address, Hex } from 'viem';
import { BaseError, ExposedUnavailableError } from '../platform/errors.ts';
import { memberAddress, uint } from './address.ts';
import { advanceProposal } from './advance-proposal.ts';
import { formatScaled, scaledToNumber } from './amounts.ts';
import type { VotingRow } from './ballot-store.ts';
import type { GovernanceContext } from './context.ts';
import {
  domainProblem,
  governanceDomain,
  type StatedDomain,
  SUPPORT_CODES,
  type Support,
  typedPayload,
} from './eip712.ts';
import { errorResult } from './error-result.ts';
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
    ctx.metrics.votes.inc({ support: support ?? 'invalid', result: errorResult(err) });
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
    const row = await ctx.ballots.votingRow(proposalId, voter, nonce);
    if (!row) throw proposalNotFound(proposalId);
    return row;
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
  await requireIndexed(ctx, snapshot);
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
    ballotId = await ctx.ballots.write({
      proposalId: row.id,
      voter,
      support,
      reason,
      nonce,
      signature,
      signerKind,
      weight: power.total,
      at,
    });
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

/** How long a read of the listener's applied block is trusted for a snapshot at or below it. */
const INDEXED_TTL_MS = 1000;
const indexedReads = new WeakMap<GovernanceContext, { block: bigint; at: number }>();

/**
 * @throws ExposedUnavailableError `GOV_SNAPSHOT_NOT_INDEXED` (503, retryable) when the listener has not
 * applied `snapshot` (re-read at once then; otherwise at most once a second, so a burst of ballots
 * costs one read).
 */
async function requireIndexed(ctx: GovernanceContext, snapshot: bigint): Promise<void> {
  const now = Date.now();
  let read = indexedReads.get(ctx);
  if (!read || snapshot > read.block || now - read.at > INDEXED_TTL_MS) {
    read = { block: await ctx.blocks.latestIndexed(), at: now };
    indexedReads.set(ctx, read);
  }
  if (snapshot > read.block)
    throw new ExposedUnavailableError(
      'GOV_SNAPSHOT_NOT_INDEXED',
      `the proposal's snapshot block ${snapshot} is not indexed (latest: ${read.block}); voting power there cannot be read yet, retry later`,
      { details: { snapshotBlock: snapshot.toString(), latestIndexedBlock: read.block.toString() } },
    );
}
