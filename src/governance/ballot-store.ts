/**
 * The two statements of a ballot (see cast-vote.ts), each batched across concurrent ballots: the
 * voting facts read before the signature is checked, and the write. Under load, the ballots in
 * flight share one round trip per step instead of making one each (the round trips, not the rows,
 * were most of the cost); a lone ballot runs at once, alone.
 *
 * The write makes a ballot the voter's vote when voting is open at its `at`, its nonce is above the
 * current vote's and a change is allowed — and only then stores it, under the id the vote points at
 * (the foreign key is checked at the end of the statement). A batch is one statement, so one
 * transaction: it share-locks its proposals while open (a result being fixed holds the row
 * exclusively, so a ballot lands before the tally or not at all). One voter's ballots on one
 * proposal never share a batch; should a batch fail, its ballots are written one at a time, so
 * each gets its own outcome.
 */
import { createBatcher } from '../platform/batcher.ts';
import type { Db } from '../platform/db/create-db.ts';
import type { Support } from './eip712.ts';
import type { ProposalRow } from './proposal-row.ts';

/** The proposal's voting facts, the voter's ballot with this nonce (if any) and current vote. */
export interface VotingRow
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

export interface BallotWrite {
  proposalId: string;
  voter: string;
  support: Support;
  reason: string;
  nonce: bigint;
  signature: string;
  signerKind: 'eoa' | 'erc1271';
  /** Scaled power. */
  weight: bigint;
  at: Date;
}

export interface BallotStore {
  /** Undefined when the proposal does not exist. `proposalId` is 1–18 digits. */
  votingRow(proposalId: string, voter: string, nonce: bigint): Promise<VotingRow | undefined>;
  /** The new ballot's id, or undefined when it was refused (nothing written). */
  write(ballot: BallotWrite): Promise<string | undefined>;
}

const VOTING_ROWS = `
select r.i::int as i, p.id::text as id, p.state, p.chain_id::text as chain_id,
       p.snapshot_block::text as snapshot_block, p.weight_set, p.allow_vote_change, p.voting_starts_at,
       p.voting_ends_at, p.late_ballot_grace_seconds,
       b.id::text as b_id, b.support as b_support, b.reason as b_reason, b.signature as b_signature,
       b.signer_kind as b_signer_kind, b.weight::text as b_weight, v.nonce::text as v_nonce
  from unnest($1::bigint[], $2::text[], $3::numeric[]) with ordinality as r(pid, voter, nonce, i)
  join gov_proposals p on p.id = r.pid
  left join gov_ballots b on b.proposal_id = p.id and b.voter = r.voter and b.nonce = r.nonce
  left join gov_votes v on v.proposal_id = p.id and v.voter = r.voter`;

const WRITE_BALLOTS = `
with r as (
  select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[],
                       $7::text[], $8::numeric[], $9::timestamptz[])
         with ordinality as r(pid, voter, support, reason, nonce, signature, signer_kind, weight, at, i)
), p as (
  select id, voting_starts_at, voting_ends_at + late_ballot_grace_seconds * interval '1 second' as closes_at
    from gov_proposals
   where id in (select pid from r) and state in ('pending', 'active')
   for share
), v as (
  insert into gov_votes (proposal_id, voter, ballot_id, support, weight, nonce, updated_at)
  select r.pid, r.voter, nextval('gov_ballots_id_seq'), r.support, r.weight, r.nonce, r.at
    from r join p on p.id = r.pid and p.voting_starts_at <= r.at and p.closes_at > r.at
  on conflict (proposal_id, voter) do update
     set ballot_id = excluded.ballot_id, support = excluded.support, weight = excluded.weight,
         nonce = excluded.nonce, updated_at = excluded.updated_at
   where gov_votes.nonce < excluded.nonce
     and (select allow_vote_change from gov_proposals where id = gov_votes.proposal_id)
  returning proposal_id, voter, ballot_id
), b as (
  insert into gov_ballots (id, proposal_id, voter, support, reason, nonce, signature, signer_kind, weight, received_at)
  select v.ballot_id, v.proposal_id, v.voter, r.support, r.reason, r.nonce, r.signature, r.signer_kind, r.weight, r.at
    from v join r on r.pid = v.proposal_id and r.voter = v.voter
  returning id, proposal_id, voter
)
select r.i::int as i, b.id::text as ballot_id from b join r on r.pid = b.proposal_id and r.voter = b.voter`;

/** Ballots in flight per round trip, at most. */
const MAX_BATCH = 100;

export function createBallotStore(db: Db): BallotStore {
  const reads = createBatcher<{ proposalId: string; voter: string; nonce: bigint }, VotingRow | undefined>({
    maxBatch: MAX_BATCH,
    async run(items) {
      const { rows } = await db.query<VotingRow & { i: number }>(
        VOTING_ROWS,
        [items.map((x) => x.proposalId), items.map((x) => x.voter), items.map((x) => x.nonce.toString())],
        { name: 'gov_voting_rows' },
      );
      const found: (VotingRow | undefined)[] = items.map(() => undefined);
      for (const { i, ...row } of rows) found[i - 1] = row;
      return found;
    },
  });

  /** One statement for these ballots (one voter per proposal among them): ids by position. */
  const writeAll = async (ballots: readonly BallotWrite[]) => {
    const { rows } = await db.query<{ i: number; ballot_id: string }>(
      WRITE_BALLOTS,
      [
        ballots.map((b) => b.proposalId),
        ballots.map((b) => b.voter),
        ballots.map((b) => b.support),
        ballots.map((b) => b.reason),
        ballots.map((b) => b.nonce.toString()),
        ballots.map((b) => b.signature),
        ballots.map((b) => b.signerKind),
        ballots.map((b) => b.weight.toString()),
        ballots.map((b) => b.at.toISOString()),
      ],
      { name: 'gov_write_ballots' },
    );
    const ids: (string | undefined)[] = ballots.map(() => undefined);
    for (const r of rows) ids[r.i - 1] = r.ballot_id;
    return ids;
  };

  const writes = createBatcher<BallotWrite, string | undefined>({
    maxBatch: MAX_BATCH,
    async run(items) {
      const out: (string | undefined | Error)[] = items.map(() => undefined);
      // Rounds in which each (proposal, voter) appears once, in arrival order.
      let left = items.map((ballot, at) => ({ ballot, at }));
      while (left.length > 0) {
        const seen = new Set<string>();
        const round: typeof left = [];
        const later: typeof left = [];
        for (const x of left) {
          const k = `${x.ballot.proposalId}:${x.ballot.voter}`;
          (seen.has(k) ? later : round).push(x);
          seen.add(k);
        }
        try {
          const ids = await writeAll(round.map((x) => x.ballot));
          round.forEach((x, i) => {
            out[x.at] = ids[i];
          });
        } catch (batchFailed) {
          if (round.length === 1) out[round[0]!.at] = asError(batchFailed);
          else
            for (const x of round) {
              try {
                out[x.at] = (await writeAll([x.ballot]))[0];
              } catch (err) {
                out[x.at] = asError(err);
              }
            }
        }
        left = later;
      }
      return out;
    },
  });

  return {
    votingRow: (proposalId, voter, nonce) => reads.load({ proposalId, voter, nonce }),
    write: (ballot) => writes.load(ballot),
  };
}

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
