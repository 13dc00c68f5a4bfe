/**
 * Recomputes a proposal's tally from the stored ballots' signatures alone and compares it with
 * what is stored (`cb governance verify <id>`): every ballot's EIP-712 signature is checked against
 * its stored content, the latest valid ballot of each voter counts, and its weight is recomputed
 * from the ownership history at the snapshot. A ballot whose content was altered no longer verifies,
 * so the recomputed tally moves away from the stored one.
 */
import type { Address, Hex } from 'viem';
import type { Queryable } from '../platform/db/create-db.ts';
import { BaseError } from '../platform/errors.ts';
import { formatScaled } from './amounts.ts';
import { SUPPORT_CODES, type Support, typedPayload } from './eip712.ts';
import { loadProposal } from './proposal-row.ts';
import type { ProposalResultShape } from './proposal-shape.ts';
import { computeTally, type Tally } from './tally.ts';
import type { SignatureVerifier } from './verify-signature.ts';
import { computePowersAt } from './voting-power.ts';
import { loadWeightSet } from './weights.ts';

export interface TallyAmounts {
  for: string;
  against: string;
  abstain: string;
  voters: number;
}

export interface VoteFact {
  ballotId: string;
  support: Support;
  weight: string;
}

export interface TallyVerification {
  proposalId: string;
  state: string;
  snapshotBlock: string;
  ballots: {
    total: number;
    valid: number;
    invalid: { ballotId: string; voter: string; reason: string }[];
  };
  stored: TallyAmounts;
  storedResult: ProposalResultShape | null;
  recomputed: TallyAmounts;
  differences: { voter: string; stored: VoteFact | null; recomputed: VoteFact | null }[];
  /** True when every signature verifies and the recomputed tally equals the stored one (and the fixed result). */
  agrees: boolean;
}

const amounts = (t: Tally): TallyAmounts => ({
  for: formatScaled(t.for),
  against: formatScaled(t.against),
  abstain: formatScaled(t.abstain),
  voters: t.voters,
});

export async function verifyTally(
  deps: { db: Queryable; signatures: SignatureVerifier },
  proposalId: string,
): Promise<TallyVerification> {
  const { db } = deps;
  const p = await loadProposal(db, proposalId);
  const weights = await loadWeightSet(db, p.weight_set);
  if (!weights)
    throw new BaseError(
      'GOV_WEIGHT_SET_MISSING',
      `weight set ${p.weight_set} of proposal ${p.id} is missing`,
    );
  const chainId = Number(p.chain_id);
  const { rows: ballots } = await db.query<{
    id: string;
    voter: string;
    support: Support;
    reason: string;
    nonce: string;
    signature: string;
  }>(
    `select id::text as id, voter, support, reason, nonce::text as nonce, signature
       from gov_ballots where proposal_id = $1 order by gov_ballots.id`,
    [p.id],
  );

  const invalid: TallyVerification['ballots']['invalid'] = [];
  const latest = new Map<string, { id: string; support: Support; nonce: bigint }>();
  for (const b of ballots) {
    const code = SUPPORT_CODES[b.support];
    let ok = false;
    let reason = 'signature does not verify';
    if (code === undefined) reason = `unknown support "${b.support}"`;
    else {
      try {
        await deps.signatures.verify(
          typedPayload(chainId, 'Ballot', {
            proposalId: BigInt(p.id),
            voter: b.voter as Address,
            support: code,
            reason: b.reason,
            nonce: BigInt(b.nonce),
          }),
          b.voter,
          b.signature as Hex,
        );
        ok = true;
      } catch (err) {
        if (err instanceof BaseError && err.code !== 'GOV_SIGNATURE_INVALID')
          reason = `not verifiable: ${err.message}`;
      }
    }
    if (!ok) {
      invalid.push({ ballotId: b.id, voter: b.voter, reason });
      continue;
    }
    const nonce = BigInt(b.nonce);
    const current = latest.get(b.voter);
    if (!current || nonce > current.nonce) latest.set(b.voter, { id: b.id, support: b.support, nonce });
  }

  const powers = await computePowersAt(db, [...latest.keys()], BigInt(p.snapshot_block), weights);
  const recomputed: Tally = { for: 0n, against: 0n, abstain: 0n, voters: 0 };
  const recomputedVotes = new Map<string, VoteFact>();
  for (const [voter, b] of latest) {
    const weight = powers.get(voter) ?? 0n;
    if (weight <= 0n) continue;
    recomputed[b.support] += weight;
    recomputed.voters++;
    recomputedVotes.set(voter, { ballotId: b.id, support: b.support, weight: formatScaled(weight) });
  }

  const { rows: votes } = await db.query<{
    voter: string;
    ballot_id: string;
    support: Support;
    weight: string;
  }>(
    'select voter, ballot_id::text as ballot_id, support, weight::text as weight from gov_votes where proposal_id = $1',
    [p.id],
  );
  const storedVotes = new Map(
    votes.map((v) => [
      v.voter,
      { ballotId: v.ballot_id, support: v.support, weight: formatScaled(BigInt(v.weight)) },
    ]),
  );
  const differences: TallyVerification['differences'] = [];
  for (const voter of new Set([...storedVotes.keys(), ...recomputedVotes.keys()])) {
    const s = storedVotes.get(voter) ?? null;
    const r = recomputedVotes.get(voter) ?? null;
    if (!s || !r || s.ballotId !== r.ballotId || s.support !== r.support || s.weight !== r.weight)
      differences.push({ voter, stored: s, recomputed: r });
  }
  differences.sort((a, b) => (a.voter < b.voter ? -1 : 1));

  const stored = amounts(await computeTally(db, p.id));
  const again = amounts(recomputed);
  const same = (a: Pick<TallyAmounts, 'for' | 'against' | 'abstain' | 'voters'>) =>
    a.for === again.for &&
    a.against === again.against &&
    a.abstain === again.abstain &&
    a.voters === again.voters;
  return {
    proposalId: p.id,
    state: p.state,
    snapshotBlock: p.snapshot_block,
    ballots: { total: ballots.length, valid: ballots.length - invalid.length, invalid },
    stored,
    storedResult: p.result,
    recomputed: again,
    differences,
    agrees:
      invalid.length === 0 &&
      differences.length === 0 &&
      same(stored) &&
      (p.result === null || same(p.result)),
  };
}
