/**
 * Reads: proposals by state (newest first, cursor pagination), one proposal with its live tally,
 * the caller's vote, transitions and execution attempts, a proposal's ballots (with signatures),
 * and a member's voting history. Reads first apply the clock's due transitions, so a state shown
 * is never one the clock has already left.
 */
import type { Queryable } from '../platform/db/create-db.ts';
import { readSnapshot } from '../platform/db/read-snapshot.ts';
import { ValidationError } from '../platform/errors.ts';
import { advanceDue, advanceProposal, isDue } from './advance-proposal.ts';
import { formatScaled } from './amounts.ts';
import type { GovernanceContext } from './context.ts';
import type { Support } from './eip712.ts';
import { loadProposal, PROPOSAL_COLUMNS, type ProposalRow, proposalView } from './proposal-row.ts';
import type { ProposalDetailShape, ProposalState, ProposalWithTally, VoteShape } from './proposal-shape.ts';
import { computeTallies, EMPTY_TALLY, type Tally, tallyView } from './tally.ts';

export interface Page {
  limit: number;
  cursor?: string | undefined;
}

export function encodeCursor(id: string): string {
  return Buffer.from(`g:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^g:(\d{1,18})$/.exec(text);
  if (!m)
    throw new ValidationError(
      'invalid cursor',
      [{ path: 'cursor', message: 'not a cursor returned by this API' }],
      'CB_BAD_CURSOR',
    );
  return m[1];
}

function withTally(p: ProposalRow, tally: Tally): ProposalWithTally {
  return {
    ...proposalView(p),
    tally: tallyView(tally, {
      totalPower: BigInt(p.total_power),
      quorumPpm: p.quorum_ppm,
      approvalPpm: p.approval_ppm,
    }),
  };
}

export async function listProposals(
  ctx: GovernanceContext,
  options: Page & { state?: ProposalState | undefined },
) {
  await advanceDue(ctx);
  const after = decodeCursor(options.cursor);
  const params: unknown[] = [options.limit + 1];
  const where: string[] = [];
  if (options.state) {
    params.push(options.state);
    where.push(`state = $${params.length}`);
  }
  if (after) {
    params.push(after);
    where.push(`id < $${params.length}`);
  }
  const { rows } = await ctx.db.query<ProposalRow>(
    `select ${PROPOSAL_COLUMNS} from gov_proposals ${where.length ? `where ${where.join(' and ')}` : ''}
      order by id desc limit $1`,
    params,
  );
  const page = rows.slice(0, options.limit);
  const tallies = await computeTallies(
    ctx.db,
    page.map((p) => p.id),
  );
  return {
    items: page.map((p) => {
      const { body: _body, ...rest } = withTally(p, tallies.get(p.id) ?? EMPTY_TALLY);
      return rest;
    }),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/**
 * One proposal with its tally, transitions, execution attempts and the voter's vote, read in one
 * snapshot (a repeatable-read, read-only transaction): a vote, a transition or an execution changes
 * several of them at once, and separate reads on a pool could show, say, an execution attempt next
 * to a state that has not reached it. A proposal the clock has made due is advanced first (a write,
 * outside the snapshot) and read again.
 */
export async function getProposal(
  ctx: GovernanceContext,
  id: string,
  voter?: string | undefined,
): Promise<ProposalDetailShape> {
  const detail = await readProposal(ctx, id, voter, false);
  if (detail) return detail;
  await advanceProposal(ctx, id);
  return (await readProposal(ctx, id, voter, true))!;
}

/** The detail, or undefined when the proposal is due and `evenIfDue` is false. */
function readProposal(
  ctx: GovernanceContext,
  id: string,
  voter: string | undefined,
  evenIfDue: boolean,
): Promise<ProposalDetailShape | undefined> {
  return readSnapshot(ctx.db, async (tx) => {
    const p = await loadProposal(tx, id);
    if (!evenIfDue && isDue(p, ctx.now())) return undefined;
    const [tallies, transitions, executions, vote] = await Promise.all([
      computeTallies(tx, [p.id]),
      tx.query<{
        from_state: string | null;
        to_state: string;
        actor: string;
        reason: string | null;
        at: Date;
      }>(
        'select from_state, to_state, actor, reason, at from gov_proposal_transitions where proposal_id = $1 order by id',
        [p.id],
      ),
      tx.query<{
        attempt: number;
        status: string;
        actor: string;
        outcomes: unknown;
        error: string | null;
        started_at: Date;
        finished_at: Date | null;
      }>(
        'select attempt, status, actor, outcomes, error, started_at, finished_at from gov_executions where proposal_id = $1 order by attempt',
        [p.id],
      ),
      voter === undefined ? undefined : voteOf(tx, p.id, voter),
    ]);
    return {
      ...withTally(p, tallies.get(p.id) ?? EMPTY_TALLY),
      ...(voter === undefined ? {} : { voter, vote: vote ?? null }),
      transitions: transitions.rows.map((t) => ({
        from: t.from_state,
        to: t.to_state,
        actor: t.actor,
        reason: t.reason,
        at: t.at.toISOString(),
      })),
      executions: executions.rows.map((e) => ({
        attempt: e.attempt,
        status: e.status,
        actor: e.actor,
        outcomes: e.outcomes,
        error: e.error,
        startedAt: e.started_at.toISOString(),
        finishedAt: e.finished_at?.toISOString() ?? null,
      })),
    };
  });
}

async function voteOf(q: Queryable, proposalId: string, voter: string): Promise<VoteShape | undefined> {
  const { rows } = await q.query<{
    ballot_id: string;
    support: Support;
    weight: string;
    nonce: string;
    updated_at: Date;
    reason: string;
    changes: number;
  }>(
    `select v.ballot_id::text as ballot_id, v.support, v.weight::text as weight, v.nonce::text as nonce, v.updated_at,
            b.reason, (select count(*)::int - 1 from gov_ballots x where x.proposal_id = v.proposal_id and x.voter = v.voter) as changes
       from gov_votes v join gov_ballots b on b.id = v.ballot_id
      where v.proposal_id = $1 and v.voter = $2`,
    [proposalId, voter],
  );
  const v = rows[0];
  if (!v) return undefined;
  return {
    ballotId: v.ballot_id,
    support: v.support,
    weight: formatScaled(BigInt(v.weight)),
    nonce: v.nonce,
    reason: v.reason,
    votedAt: v.updated_at.toISOString(),
    changes: v.changes,
  };
}

export async function listBallots(ctx: GovernanceContext, id: string, options: Page) {
  const p = await loadProposal(ctx.db, id);
  const after = decodeCursor(options.cursor) ?? '0';
  const { rows } = await ctx.db.query<{
    id: string;
    voter: string;
    support: string;
    reason: string;
    nonce: string;
    signature: string;
    signer_kind: string;
    weight: string;
    received_at: Date;
    counts: boolean;
  }>(
    `select b.id::text as id, b.voter, b.support, b.reason, b.nonce::text as nonce, b.signature, b.signer_kind,
            b.weight::text as weight, b.received_at, (v.ballot_id is not null) as counts
       from gov_ballots b left join gov_votes v on v.ballot_id = b.id
      where b.proposal_id = $1 and b.id > $2 order by b.id limit $3`,
    [p.id, after, options.limit + 1],
  );
  const page = rows.slice(0, options.limit);
  return {
    proposalId: p.id,
    chainId: Number(p.chain_id),
    items: page.map((b) => ({
      id: b.id,
      voter: b.voter,
      support: b.support,
      reason: b.reason,
      nonce: b.nonce,
      weight: formatScaled(BigInt(b.weight)),
      signature: b.signature,
      signerKind: b.signer_kind,
      receivedAt: b.received_at.toISOString(),
      counts: b.counts,
    })),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

export async function votingHistory(ctx: GovernanceContext, voter: string, options: Page) {
  const before = decodeCursor(options.cursor);
  const { rows } = await ctx.db.query<{
    ballot_id: string;
    proposal_id: string;
    title: string;
    state: string;
    support: string;
    weight: string;
    nonce: string;
    reason: string;
    updated_at: Date;
  }>(
    `select v.ballot_id::text as ballot_id, v.proposal_id::text as proposal_id, p.title, p.state, v.support,
            v.weight::text as weight, v.nonce::text as nonce, b.reason, v.updated_at
       from gov_votes v join gov_proposals p on p.id = v.proposal_id join gov_ballots b on b.id = v.ballot_id
      where v.voter = $1 ${before ? 'and v.ballot_id < $3' : ''}
      order by v.ballot_id desc limit $2`,
    before ? [voter, options.limit + 1, before] : [voter, options.limit + 1],
  );
  const page = rows.slice(0, options.limit);
  return {
    voter,
    items: page.map((v) => ({
      proposalId: v.proposal_id,
      title: v.title,
      state: v.state,
      support: v.support,
      weight: formatScaled(BigInt(v.weight)),
      nonce: v.nonce,
      reason: v.reason,
      votedAt: v.updated_at.toISOString(),
    })),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.ballot_id) : null,
  };
}
