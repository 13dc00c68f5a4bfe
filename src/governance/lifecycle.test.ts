import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TEST_DRIVER } from '../../test/services.ts';
import { interleavedDb } from '../platform/db/test-support.ts';
import { createJobs } from '../platform/jobs/index.ts';
import { badgeDistributionJob, governanceTick, powerAccuracyJob, tickJob } from './jobs.ts';
import { getProposal } from './read-proposals.ts';
import {
  ballotBody,
  CHAIN_ID,
  createGovernanceTest,
  type GovernanceTest,
  member,
  proposalBody,
  sign,
} from './test-support.ts';

let g: GovernanceTest;
const alice = member(1); // first-commit + reviewer = 3.5
const bob = member(2); // trader-gold = 10
const carol = member(3); // reviewer = 2.5
const dave = member(4); // first-commit = 1
const erin = member(5); // nothing

beforeAll(async () => {
  g = await createGovernanceTest();
  await g.mint(alice.address, 'first-commit', 10n);
  await g.mint(alice.address, 'reviewer', 10n);
  await g.mint(bob.address, 'trader-gold', 10n);
  await g.mint(carol.address, 'reviewer', 10n);
  await g.mint(dave.address, 'first-commit', 10n);
  g.blocks.set(100n); // confirmed: 98
});
afterAll(async () => {
  await g?.close();
});

const tick = () => governanceTick(g.governance.context);
const vote = async (id: string, body: unknown) => g.inject('POST', `/v1/proposals/${id}/votes`, body);

describe('a whole proposal lifecycle, signed by test keys', () => {
  let id: string;

  test('default: a member proposes (signed), the voting delay passes, members vote and change their vote', async () => {
    const body = await proposalBody(
      alice,
      {
        title: 'Raise the quorum',
        body: '## Why\nMore **participation**.',
        type: 'parameter_change',
        actions: [
          { parameter: 'quorum', value: '0.2' },
          { parameter: 'votingPeriodSeconds', value: 7200 },
        ],
      },
      1n,
    );
    const created = await g.inject('POST', '/v1/proposals', body);
    expect(created.statusCode).toBe(201);
    const p = created.json();
    id = p.id;
    expect(p).toMatchObject({
      state: 'pending',
      proposer: alice.address,
      proposerKind: 'member',
      snapshotBlock: '98',
      totalPower: '17',
      chainId: CHAIN_ID,
      actions: [
        { parameter: 'quorum', value: '0.2' },
        { parameter: 'votingPeriodSeconds', value: 7200 },
      ],
      settings: {
        quorum: '0.04',
        approvalThreshold: '0.5',
        allowVoteChange: true,
        timelockDelaySeconds: 600,
      },
      replayed: false,
    });
    // The same signed request again: the same proposal, nothing new.
    const replay = await g.inject('POST', '/v1/proposals', body);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ id, replayed: true });

    const early = await vote(id, await ballotBody(alice, id, 'for', 1n));
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('GOV_PROPOSAL_NOT_ACTIVE');

    g.clock.advance(60);
    expect((await g.inject('GET', `/v1/proposals/${id}`)).json().state).toBe('active');

    expect((await vote(id, await ballotBody(alice, id, 'for', 1n, 'ship it'))).statusCode).toBe(201);
    expect((await vote(id, await ballotBody(bob, id, 'for', 1n))).statusCode).toBe(201);
    const against = await vote(id, await ballotBody(carol, id, 'against', 1n, 'too early'));
    expect(against.json()).toMatchObject({ support: 'against', weight: '2.5', replacedPrevious: false });
    // carol changes her mind: the latest ballot counts.
    const changed = await vote(id, await ballotBody(carol, id, 'for', 2n, 'convinced'));
    expect(changed.statusCode).toBe(201);
    expect(changed.json()).toMatchObject({ support: 'for', replacedPrevious: true });
    // Her first ballot sent again is a no-op, not a change back.
    const replayed = await vote(id, await ballotBody(carol, id, 'against', 1n, 'too early'));
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json().replayed).toBe(true);
    expect((await vote(id, await ballotBody(dave, id, 'abstain', 7n))).statusCode).toBe(201);

    const live = (await g.inject('GET', `/v1/proposals/${id}?voter=${carol.account.address}`)).json();
    expect(live.tally).toEqual({
      for: '16',
      against: '0',
      abstain: '1',
      voters: 4,
      participation: '1',
      quorumReached: true,
      approved: true,
      quorumRequired: '0.68',
    });
    expect(live.vote).toMatchObject({
      support: 'for',
      weight: '2.5',
      nonce: '2',
      reason: 'convinced',
      changes: 1,
    });
  });

  test('error: no power 422, wrong chain id 401, stated wrong domain 401, stale nonce 409, long reason 400', async () => {
    const none = await vote(id, await ballotBody(erin, id, 'for', 1n));
    expect(none.statusCode).toBe(422);
    expect(none.json().error.code).toBe('GOV_NO_VOTING_POWER');
    const otherChain = await vote(id, await ballotBody(dave, id, 'for', 8n, '', 1));
    expect(otherChain.statusCode).toBe(401);
    expect(otherChain.json().error.code).toBe('GOV_SIGNATURE_INVALID');
    const stated = await vote(id, {
      ...(await ballotBody(dave, id, 'for', 8n)),
      domain: { name: 'other', chainId: CHAIN_ID },
    });
    expect(stated.statusCode).toBe(401);
    expect(stated.json().error.code).toBe('GOV_DOMAIN_MISMATCH');
    const stale = await vote(id, await ballotBody(dave, id, 'for', 6n));
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('GOV_NONCE_STALE');
    const long = await vote(id, await ballotBody(dave, id, 'for', 9n, 'x'.repeat(5001)));
    expect(long.statusCode).toBe(400);
    const forged = { ...(await ballotBody(dave, id, 'for', 10n)), support: 'against' };
    expect((await vote(id, forged)).statusCode).toBe(401);
  });

  test('error: a snapshot above the indexed block (the listener went back) is 503 GOV_SNAPSHOT_NOT_INDEXED until it caught up', async () => {
    const before = g.blocks.indexed;
    g.blocks.indexed = 97n; // the snapshot is 98
    // A ballot within the last second may have read the indexed block: that read is kept ≤ 1 s.
    await new Promise((r) => setTimeout(r, 1100));
    const early = await vote(id, await ballotBody(dave, id, 'for', 8n));
    expect(early.statusCode).toBe(503);
    expect(early.json().error).toMatchObject({
      code: 'GOV_SNAPSHOT_NOT_INDEXED',
      details: { snapshotBlock: '98', latestIndexedBlock: '97' },
    });
    g.blocks.indexed = before; // caught up: read again at once, not after the second
    // Past the snapshot check (to the power check, which comes next and writes nothing).
    const later = await vote(id, await ballotBody(erin, id, 'for', 1n));
    expect(later.json().error.code).toBe('GOV_NO_VOTING_POWER');
  });

  test('behavior: the power at the snapshot is unchanged by badges minted or revoked afterwards', async () => {
    await g.mint(erin.address, 'trader-gold', 99n);
    const bobsToken = await g.t.db.query<{ token_id: string }>(
      'select token_id::text as token_id from badge_tokens where owner = $1',
      [bob.address],
    );
    await g.transfer(BigInt(bobsToken.rows[0]!.token_id), null, 99n);
    g.blocks.set(105n);
    const none = await vote(id, await ballotBody(erin, id, 'for', 2n));
    expect(none.json().error.code).toBe('GOV_NO_VOTING_POWER');
    const bobAgain = await vote(id, await ballotBody(bob, id, 'for', 2n, 'still me'));
    expect(bobAgain.json()).toMatchObject({ weight: '10', replacedPrevious: true });
    expect((await g.inject('GET', `/v1/voting-power/${bob.address}?block=99`)).json().total).toBe('0');
  });

  test('default: the result is fixed after the late-ballot grace, then the timelock, then execution', async () => {
    g.clock.advance(3600);
    // Within the late-ballot grace (60 s) a ballot still counts.
    expect((await vote(id, await ballotBody(dave, id, 'for', 11n))).statusCode).toBe(201);
    g.clock.advance(60);
    const late = await vote(id, await ballotBody(dave, id, 'abstain', 12n));
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('GOV_PROPOSAL_NOT_ACTIVE');
    await tick();
    const queued = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(queued).toMatchObject({
      state: 'queued',
      result: { for: '17', against: '0', abstain: '0', voters: 4, quorumReached: true, approved: true },
    });
    const early = await g.inject('POST', `/v1/proposals/${id}/execute`, undefined, g.adminKey);
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('GOV_NOT_EXECUTABLE');

    g.clock.advance(600);
    expect(await tick()).toMatchObject({ executed: [id] });
    const done = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(done.state).toBe('executed');
    expect(done.execution).toEqual({ attempts: 1, lastStatus: 'ok' });
    expect(done.executions).toMatchObject([{ attempt: 1, status: 'ok', actor: 'clock' }]);
    expect(
      done.transitions.map((t: { from: string; to: string; actor: string }) => [t.from, t.to, t.actor]),
    ).toEqual([
      [null, 'pending', alice.address],
      ['pending', 'active', 'clock'],
      ['active', 'succeeded', 'clock'],
      ['succeeded', 'queued', 'clock'],
      ['queued', 'executed', 'clock'],
    ]);
    const params = (await g.inject('GET', '/v1/governance')).json();
    expect(params.parameters).toMatchObject({ quorum: '0.2', votingPeriodSeconds: 7200 });
    expect(params.domain).toEqual({ name: 'cb governance', version: '1', chainId: CHAIN_ID });
    const history = await g.t.db.query('select name, actor from gov_parameter_changes order by id');
    expect(history.rows).toEqual([
      { name: 'quorum', actor: 'clock' },
      { name: 'votingPeriodSeconds', actor: 'clock' },
    ]);
  });

  test('default: every ballot is listed with its signature; the member history shows the counting vote', async () => {
    const first = (await g.inject('GET', `/v1/proposals/${id}/votes?limit=4`)).json();
    expect(first.items).toHaveLength(4);
    const rest = (
      await g.inject('GET', `/v1/proposals/${id}/votes?limit=4&cursor=${first.nextCursor}`)
    ).json();
    expect(rest.nextCursor).toBeNull();
    const all = [...first.items, ...rest.items];
    expect(all).toHaveLength(7);
    expect(all.every((b: { signature: string }) => /^0x[0-9a-f]{130}$/.test(b.signature))).toBe(true);
    expect(all.filter((b: { counts: boolean }) => b.counts)).toHaveLength(4);
    const carolHistory = (await g.inject('GET', `/v1/users/${carol.address}/votes`)).json();
    expect(carolHistory.items).toMatchObject([
      { proposalId: id, support: 'for', state: 'executed', nonce: '2' },
    ]);
    expect((await g.inject('GET', '/v1/proposals/1/votes?cursor=zzz')).json().error.code).toBe(
      'CB_BAD_CURSOR',
    );
  });

  test('behavior: metrics count creations, ballots, weights, executions and participation', async () => {
    expect(await g.metric('cb_proposals_created_total', { type: 'parameter_change', result: 'ok' })).toBe(1);
    expect(await g.metric('cb_votes_total', { support: 'for', result: 'accepted' })).toBe(5);
    expect(await g.metric('cb_votes_total', { support: 'against', result: 'accepted' })).toBe(1);
    // The members' mistakes (4xx) are refused; only the 503 while the listener was behind failed.
    expect(await g.metric('cb_votes_total', { result: 'refused' })).toBeGreaterThanOrEqual(8);
    expect(await g.metric('cb_votes_total', { result: 'failed' })).toBe(1);
    expect(await g.metric('cb_vote_weight_count')).toBe(7);
    expect(await g.metric('cb_proposal_executions_total', { result: 'ok' })).toBe(1);
    expect(await g.metric('cb_governance_participation_ratio_count')).toBe(1);
    expect(await g.metric('cb_proposals', { state: 'executed' })).toBe(1);
  });
});

describe('proposals: creation rules, cancel, timelock expiry, listing', () => {
  test('error: below the proposal threshold 422; invalid fields and actions 422 with paths; no key 401; wrong scope 403', async () => {
    g.blocks.set(120n);
    const poor = await g.inject(
      'POST',
      '/v1/proposals',
      await proposalBody(erin, { title: 'x', type: 'signal' }, 1n),
    );
    // erin got a trader-gold at 99 (10): above the threshold now; dave (1) is exactly at it; a new key has 0.
    expect(poor.statusCode).toBe(201);
    const nobody = member(6);
    const refused = await g.inject(
      'POST',
      '/v1/proposals',
      await proposalBody(nobody, { title: 'x', type: 'signal' }, 1n),
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('GOV_BELOW_PROPOSAL_THRESHOLD');
    const exact = await g.inject(
      'POST',
      '/v1/proposals',
      await proposalBody(dave, { title: 'x', type: 'signal' }, 1n),
    );
    expect(exact.statusCode).toBe(201);

    const bad = await g.inject(
      'POST',
      '/v1/proposals',
      {
        title: '',
        body: 'b',
        type: 'parameter_change',
        actions: [
          { parameter: 'quorum', value: '1.5' },
          { parameter: 'nope', value: 1 },
        ],
      },
      g.adminKey,
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('GOV_PROPOSAL_INVALID');
    expect(bad.json().error.details.issues.map((i: { path: string }) => i.path)).toEqual(['title']);
    const badActions = await g.inject(
      'POST',
      '/v1/proposals',
      {
        title: 't',
        body: 'b',
        type: 'parameter_change',
        actions: [
          { parameter: 'quorum', value: '1.5' },
          { parameter: 'nope', value: 1 },
        ],
      },
      g.adminKey,
    );
    expect(badActions.json().error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      'actions.0.value',
      'actions.1.parameter',
    ]);
    const signalWithActions = await g.inject(
      'POST',
      '/v1/proposals',
      { title: 't', body: 'b', type: 'signal', actions: [{ parameter: 'quorum', value: '0.1' }] },
      g.adminKey,
    );
    expect(signalWithActions.statusCode).toBe(422);
    const lowQuorum = await g.inject(
      'POST',
      '/v1/proposals',
      await proposalBody(alice, { title: 't', type: 'signal', settings: { quorum: '0' } }, 2n),
    );
    expect(lowQuorum.json().error.details.issues[0].path).toBe('settings.quorum');
    const noKey = await g.inject('POST', '/v1/proposals', { title: 't', body: 'b', type: 'signal' });
    expect(noKey.statusCode).toBe(401);
    const wrongScope = await g.inject(
      'POST',
      '/v1/proposals',
      { title: 't', body: 'b', type: 'signal' },
      g.guardianKey,
    );
    expect(wrongScope.statusCode).toBe(403);
    expect(
      await g.metric('cb_proposals_created_total', { type: 'parameter_change', result: 'refused' }),
    ).toBe(2);
    expect(await g.metric('cb_proposals_created_total', { result: 'failed' })).toBe(0);
  });

  test('default: the proposer cancels a pending proposal with a signed Cancel; others may not', async () => {
    const { id } = (
      await g.inject(
        'POST',
        '/v1/proposals',
        await proposalBody(alice, { title: 'Oops', type: 'signal' }, 3n),
      )
    ).json();
    const cancelBy = async (m: typeof alice) => ({
      proposer: m.account.address,
      signature: await sign(m, 'Cancel', { proposalId: BigInt(id), proposer: m.account.address }),
    });
    const other = await g.inject('POST', `/v1/proposals/${id}/cancel`, await cancelBy(bob));
    expect(other.statusCode).toBe(403);
    expect(other.json().error.code).toBe('GOV_NOT_PROPOSER');
    const forged = await g.inject('POST', `/v1/proposals/${id}/cancel`, {
      ...(await cancelBy(bob)),
      proposer: alice.account.address,
    });
    expect(forged.statusCode).toBe(401);
    const ok = await g.inject('POST', `/v1/proposals/${id}/cancel`, await cancelBy(alice));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().state).toBe('canceled');
    const again = await g.inject('POST', `/v1/proposals/${id}/cancel`, await cancelBy(alice));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('GOV_CANCEL_NOT_ALLOWED');
    const detail = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(detail.transitions.at(-1)).toMatchObject({
      from: 'pending',
      to: 'canceled',
      actor: alice.address,
    });
    const voteOnCanceled = await vote(id, await ballotBody(alice, id, 'for', 1n));
    expect(voteOnCanceled.statusCode).toBe(409);
  });

  test('behavior: concurrent ballots of one voter leave the highest nonce counting and no stray ballot', async () => {
    const id = await g.openSignal('Race');
    const bodies = await Promise.all(
      [1n, 2n, 3n, 4n, 5n].map((n) => ballotBody(alice, id, n % 2n === 0n ? 'against' : 'for', n)),
    );
    const replies = await Promise.all(bodies.map((b) => vote(id, b)));
    for (const r of replies) expect([201, 409]).toContain(r.statusCode);
    const counted = await g.t.db.query<{ nonce: string; support: string }>(
      'select nonce::text as nonce, support from gov_votes where proposal_id = $1',
      [id],
    );
    const ballots = await g.t.db.query<{ nonce: string }>(
      'select nonce::text as nonce from gov_ballots where proposal_id = $1 order by nonce',
      [id],
    );
    expect(counted.rows).toHaveLength(1);
    // Every stored ballot was accepted in turn; the one that counts has the highest nonce.
    expect(ballots.rows.at(-1)!.nonce).toBe(counted.rows[0]!.nonce);
    expect(ballots.rows.length).toBe(replies.filter((r) => r.statusCode === 201).length);
  });

  test('error: an onchain_call proposal is refused when no on-chain executor is configured', async () => {
    const r = await g.inject(
      'POST',
      '/v1/proposals',
      { title: 'x', body: '', type: 'onchain_call', actions: [{ to: bob.account.address, data: '0x' }] },
      g.adminKey,
    );
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('GOV_ONCHAIN_DISABLED');
  });

  test('behavior: a vote change is refused when the proposal does not allow it', async () => {
    const { id } = (
      await g.inject(
        'POST',
        '/v1/proposals',
        {
          title: 'Final answers',
          body: '',
          type: 'signal',
          settings: { allowVoteChange: false, votingDelaySeconds: 0 },
        },
        g.adminKey,
      )
    ).json();
    expect((await vote(id, await ballotBody(alice, id, 'for', 1n))).statusCode).toBe(201);
    const change = await vote(id, await ballotBody(alice, id, 'against', 2n));
    expect(change.statusCode).toBe(409);
    expect(change.json().error.code).toBe('GOV_VOTE_CHANGE_NOT_ALLOWED');
    expect((await vote(id, await ballotBody(alice, id, 'for', 1n))).json().replayed).toBe(true);
  });

  test('behavior: a queued proposal not executed within the grace period expires; a guardian cancels a queued one', async () => {
    const create = () =>
      g.inject(
        'POST',
        '/v1/proposals',
        {
          title: 'Timelocked',
          body: '',
          type: 'parameter_change',
          actions: [{ parameter: 'lateBallotGraceSeconds', value: 30 }],
          settings: { votingDelaySeconds: 0, votingPeriodSeconds: 100 },
        },
        g.adminKey,
      );
    const a = (await create()).json().id as string;
    const b = (await create()).json().id as string;
    for (const id of [a, b]) {
      await vote(id, await ballotBody(alice, id, 'for', 1n));
      await vote(id, await ballotBody(erin, id, 'for', 1n));
    }
    g.clock.advance(100 + 60);
    await tick();
    expect((await g.inject('GET', `/v1/proposals/${a}`)).json().state).toBe('queued');

    const guardian = await g.inject(
      'POST',
      `/v1/proposals/${b}/cancel`,
      { reason: 'bad idea' },
      g.guardianKey,
    );
    expect(guardian.statusCode).toBe(200);
    expect(guardian.json().state).toBe('canceled');
    // governance:admin includes governance:guardian; a canceled proposal cannot be canceled again.
    const again = await g.inject('POST', `/v1/proposals/${b}/cancel`, { reason: 'x' }, g.adminKey);
    expect(again.statusCode).toBe(409);
    const transitions = (await g.inject('GET', `/v1/proposals/${b}`)).json().transitions;
    expect(transitions.at(-1)).toMatchObject({ from: 'queued', to: 'canceled', reason: 'bad idea' });
    expect(transitions.at(-1).actor).toMatch(/^key:gov-guardian-/);

    // Jump past eta + grace (600 + 3600 s) with no tick in between: it expires, it never executes.
    g.clock.advance(600 + 3600);
    await tick();
    const expired = (await g.inject('GET', `/v1/proposals/${a}`)).json();
    expect(expired.state).toBe('expired');
    expect(expired.executions).toEqual([]);
    const exec = await g.inject('POST', `/v1/proposals/${a}/execute`, undefined, g.adminKey);
    expect(exec.statusCode).toBe(409);
    expect(exec.json().error.code).toBe('GOV_NOT_EXECUTABLE');
    const params = (await g.inject('GET', '/v1/governance')).json();
    expect(params.parameters.lateBallotGraceSeconds).toBe(60);
  });

  test('default: the jobs register with the job system (tick every minute, accuracy check, badge distribution)', () => {
    const jobs = createJobs({ common: g.t.context().ctx, db: g.t.db });
    expect(() => g.governance.registerJobs(jobs)).not.toThrow();
    expect([tickJob, powerAccuracyJob, badgeDistributionJob].map((j) => [j.queue, j.schedule?.cron])).toEqual(
      [
        ['governance.tick', '* * * * *'],
        ['governance.power-accuracy', '*/10 * * * *'],
        ['governance.badge-distribution', '*/15 * * * *'],
      ],
    );
  });

  test('default: proposals by state, newest first, with cursor pagination', async () => {
    const all = (await g.inject('GET', '/v1/proposals?limit=100')).json();
    const ids = all.items.map((p: { id: string }) => Number(p.id));
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const active = all.items
      .filter((p: { state: string }) => p.state === 'active')
      .map((p: { id: string }) => p.id);
    expect(active.length).toBeGreaterThanOrEqual(3);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string; state: string }[]; nextCursor: string | null } = (
        await g.inject('GET', `/v1/proposals?state=active&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(page.items.every((p: { state: string }) => p.state === 'active')).toBe(true);
      paged.push(...page.items.map((p: { id: string }) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(active);
    // The listing applies due transitions first: once their voting closed, they are defeated (no votes).
    g.clock.advance(7200);
    const defeated = (await g.inject('GET', '/v1/proposals?state=defeated')).json();
    expect(defeated.items.length).toBeGreaterThanOrEqual(2);
    expect(all.items[0].body).toBeUndefined();
    const byState = (await g.inject('GET', '/v1/proposals?state=expired')).json();
    expect(byState.items.map((p: { state: string }) => p.state)).toEqual(['expired']);
    expect((await g.inject('GET', '/v1/proposals?state=weird')).statusCode).toBe(400);
    expect((await g.inject('GET', '/v1/proposals/999999')).statusCode).toBe(404);
  });
});

// PGlite is one session, so its reads never interleave with writes; the pool of PostgreSQL can.
describe.skipIf(TEST_DRIVER !== 'pg')('reading a proposal', () => {
  test('behavior: one snapshot: a change committed between its parts shows in none of them', async () => {
    const id = await g.openSignal('Read me whole');
    const ctx = g.governance.context;
    const db = ctx.db;
    // Another writer commits a transition right after the proposal's own row was read.
    const spy = interleavedDb(db, /from gov_proposals where id/, () =>
      db.query(
        `insert into gov_proposal_transitions (proposal_id, from_state, to_state, actor, reason, at)
         values ($1, 'active', 'active', 'test', 'interleaved', now())`,
        [id],
      ),
    );
    const during = await getProposal({ ...ctx, db: spy.db }, id);
    expect(spy.wrote()).toBe(true);
    expect(during.transitions.some((t) => t.reason === 'interleaved')).toBe(false);
    const after = await getProposal(ctx, id);
    expect(after.transitions.some((t) => t.reason === 'interleaved')).toBe(true);
  });
});
