import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../platform/db/create-db.ts';
import { type BallotWrite, createBallotStore } from './ballot-store.ts';
import { createGovernanceTest, type GovernanceTest } from './test-support.ts';

let g: GovernanceTest;
beforeAll(async () => {
  g = await createGovernanceTest();
});
afterAll(async () => {
  await g?.close();
});

/** Voter number i's address (the store checks no signature). */
const voterAddress = (i: number) => `0x${i.toString(16).padStart(40, '0')}`;

/** The database, counting the batched statements it runs by name. */
function counting(db: Db) {
  const calls = new Map<string, number>();
  const wrapped: Db = {
    ...db,
    query: (text, params, options) => {
      if (options?.name) calls.set(options.name, (calls.get(options.name) ?? 0) + 1);
      return db.query(text, params, options);
    },
  };
  return { db: wrapped, calls };
}

async function proposal(settings: Record<string, unknown> = {}) {
  const r = await g.inject(
    'POST',
    '/v1/proposals',
    { title: 'batch', body: '', type: 'signal', settings: { votingDelaySeconds: 0, ...settings } },
    g.adminKey,
  );
  expect(r.statusCode).toBe(201);
  const id = r.json().id as string;
  const { rows } = await g.t.db.query<{ starts: Date; ends: Date }>(
    'select voting_starts_at as starts, voting_ends_at as ends from gov_proposals where id = $1',
    [id],
  );
  return { id, open: new Date(rows[0]!.starts.getTime() + 1000), ends: rows[0]!.ends };
}

const ballot = (
  p: { id: string; open: Date },
  voter: number,
  nonce: bigint,
  over: Partial<BallotWrite> = {},
) =>
  ({
    proposalId: p.id,
    voter: voterAddress(voter),
    support: 'for',
    reason: `r${voter} "quoted", {braced} \\ back`,
    nonce,
    signature: `0x${'ab'.repeat(65)}`,
    signerKind: 'eoa',
    weight: 1_000_000n,
    at: p.open,
    ...over,
  }) satisfies BallotWrite;

const stored = async (proposalId: string) =>
  (
    await g.t.db.query<{ voter: string; nonce: string; reason: string; counts: boolean }>(
      `select b.voter, b.nonce::text as nonce, b.reason, v.ballot_id is not null as counts
         from gov_ballots b left join gov_votes v on v.ballot_id = b.id
        where b.proposal_id = $1 order by b.voter, b.nonce`,
      [proposalId],
    )
  ).rows;

describe('the ballot store', () => {
  test('behavior: ballots arriving together are read and written in one round trip each, exactly', async () => {
    const p = await proposal();
    const { db, calls } = counting(g.t.db);
    const store = createBallotStore(db);
    const all = Array.from({ length: 40 }, (_, i) => ballot(p, 100 + i, 1n));
    const rows = await Promise.all(all.map((b) => store.votingRow(p.id, b.voter, 1n)));
    expect(rows.every((r) => r?.id === p.id && r.v_nonce === null && r.b_id === null)).toBe(true);
    expect(await store.votingRow('999999999', all[0]!.voter, 1n)).toBeUndefined();
    const ids = await Promise.all(all.map((b) => store.write(b)));
    expect(new Set(ids).size).toBe(40);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(calls.get('gov_voting_rows')).toBe(2);
    expect(calls.get('gov_write_ballots')).toBe(1);
    const saved = await stored(p.id);
    expect(saved).toHaveLength(40);
    expect(saved.every((s) => s.counts && s.reason.startsWith('r1') && s.reason.endsWith('\\ back'))).toBe(
      true,
    );
    const again = await store.votingRow(p.id, all[0]!.voter, 1n);
    expect(again).toMatchObject({ b_id: ids[0], v_nonce: '1', b_reason: all[0]!.reason });
  });

  test('behavior: one voter twice in a batch — in arrival order; a lower nonce after a higher one is refused', async () => {
    const p = await proposal();
    const { db, calls } = counting(g.t.db);
    const store = createBallotStore(db);
    const [a1, a2, b3, b2, c1] = await Promise.all([
      store.write(ballot(p, 1, 1n)),
      store.write(ballot(p, 1, 2n, { support: 'against' })),
      store.write(ballot(p, 2, 3n)),
      store.write(ballot(p, 2, 2n)),
      store.write(ballot(p, 3, 1n)),
    ]);
    expect([a1, a2, b3, c1].every((id) => typeof id === 'string')).toBe(true);
    expect(b2).toBeUndefined();
    expect(calls.get('gov_write_ballots')).toBe(2); // two rounds: (1,2,3) then (1 again, 2 again)
    expect((await stored(p.id)).map((s) => [s.voter, s.nonce, s.counts])).toEqual([
      [voterAddress(1), '1', false],
      [voterAddress(1), '2', true],
      [voterAddress(2), '3', true],
      [voterAddress(3), '1', true],
    ]);
  });

  test('behavior: outside the voting window, or a change where none is allowed, nothing is written', async () => {
    const open = await proposal();
    const final = await proposal({ allowVoteChange: false });
    const store = createBallotStore(g.t.db);
    expect(await store.write(ballot(final, 7, 1n))).toBeDefined();
    const [early, late, changed, fine] = await Promise.all([
      store.write(ballot(open, 5, 1n, { at: new Date(open.open.getTime() - 60_000) })),
      store.write(ballot(open, 6, 1n, { at: new Date(open.ends.getTime() + 86_400_000) })),
      store.write(ballot(final, 7, 2n)),
      store.write(ballot(open, 8, 1n)),
    ]);
    expect([early, late, changed]).toEqual([undefined, undefined, undefined]);
    expect(fine).toBeDefined();
    expect((await stored(open.id)).map((s) => s.voter)).toEqual([voterAddress(8)]);
    expect((await stored(final.id)).map((s) => s.nonce)).toEqual(['1']);
  });

  test('error: a ballot the database rejects fails alone; the rest of its batch is written one by one', async () => {
    const p = await proposal();
    const { db, calls } = counting(g.t.db);
    const store = createBallotStore(db);
    const results = await Promise.allSettled([
      store.write(ballot(p, 11, 1n)),
      store.write(ballot(p, 12, 1n, { signerKind: 'smart' as never })), // breaks a check constraint
      store.write(ballot(p, 13, 1n)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23514' });
    expect(calls.get('gov_write_ballots')).toBe(4); // the batch, then each alone
    expect((await stored(p.id)).map((s) => s.voter)).toEqual([voterAddress(11), voterAddress(13)]);
  });
});
