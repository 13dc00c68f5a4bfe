import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseScaled } from './amounts.ts';
import { governanceTick } from './jobs.ts';
import { evaluateTally } from './tally.ts';
import { ballotBody, createGovernanceTest, type GovernanceTest, member } from './test-support.ts';

const units = (n: string) => parseScaled(n)!;

describe('evaluateTally', () => {
  const rules = { totalPower: units('10'), quorumPpm: 500_000, approvalPpm: 600_000 };

  test('behavior: quorum counts for + abstain and is reached exactly at the limit', () => {
    const at = { for: units('3'), against: 0n, abstain: units('2'), voters: 2 };
    expect(evaluateTally(at, rules).quorumReached).toBe(true);
    const below = { ...at, abstain: units('1.999999') };
    expect(evaluateTally(below, rules).quorumReached).toBe(false);
    // against power does not count toward quorum
    expect(evaluateTally({ ...below, against: units('5') }, rules).quorumReached).toBe(false);
  });

  test('behavior: approval is for / (for + against), reached exactly at the threshold, never with no for/against', () => {
    const at = { for: units('6'), against: units('4'), abstain: 0n, voters: 2 };
    expect(evaluateTally(at, rules)).toMatchObject({ approved: true, passes: true });
    expect(evaluateTally({ ...at, for: units('5.999999') }, rules).approved).toBe(false);
    expect(evaluateTally({ for: 0n, against: 0n, abstain: units('10'), voters: 1 }, rules)).toMatchObject({
      quorumReached: true,
      approved: false,
      passes: false,
    });
  });

  test('behavior: the required quorum is rounded up; a quorum of 0 is always reached', () => {
    expect(
      evaluateTally({ for: 0n, against: 0n, abstain: 0n, voters: 0 }, { ...rules, quorumPpm: 0 })
        .quorumReached,
    ).toBe(true);
    expect(
      evaluateTally(
        { for: 0n, against: 0n, abstain: 0n, voters: 0 },
        { ...rules, totalPower: 3n, quorumPpm: 500_000 },
      ).quorumRequired,
    ).toBe(2n);
  });
});

describe('quorum and approval at the limit, end to end', () => {
  let g: GovernanceTest;
  const a = member(1); // 3
  const b = member(2); // 2
  const c = member(3); // 5
  beforeAll(async () => {
    g = await createGovernanceTest();
    for (let i = 0; i < 3; i++) await g.mint(a.address, 'first-commit', 5n);
    for (let i = 0; i < 2; i++) await g.mint(b.address, 'first-commit', 5n);
    for (let i = 0; i < 5; i++) await g.mint(c.address, 'first-commit', 5n);
  });
  afterAll(async () => {
    await g?.close();
  });

  const propose = async (quorum: string, approvalThreshold: string) => {
    const r = await g.inject(
      'POST',
      '/v1/proposals',
      {
        title: `q=${quorum} a=${approvalThreshold}`,
        body: '',
        type: 'signal',
        settings: { quorum, approvalThreshold, votingDelaySeconds: 0, votingPeriodSeconds: 60 },
      },
      g.adminKey,
    );
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ totalPower: '10', state: 'active' });
    return r.json().id as string;
  };
  const ballot = async (id: string, m: typeof a, support: 'for' | 'against' | 'abstain') =>
    expect(
      (await g.inject('POST', `/v1/proposals/${id}/votes`, await ballotBody(m, id, support, 1n))).statusCode,
    ).toBe(201);

  test('behavior: (for + abstain) = quorum × total passes; one ppm more quorum defeats; for/(for+against) = threshold passes', async () => {
    const atQuorum = await propose('0.5', '0.5');
    const aboveQuorum = await propose('0.500001', '0.5');
    for (const id of [atQuorum, aboveQuorum]) {
      await ballot(id, a, 'for'); // 3
      await ballot(id, b, 'abstain'); // 2 → for + abstain = 5 = 0.5 × 10
    }
    const atThreshold = await propose('0', '0.6');
    const aboveThreshold = await propose('0', '0.600001');
    for (const id of [atThreshold, aboveThreshold]) {
      await ballot(id, a, 'for'); // 3
      await ballot(id, b, 'against'); // 2 → 3 / 5 = 0.6
    }
    g.clock.advance(60 + 60);
    await governanceTick(g.governance.context);
    const state = async (id: string) => (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(await state(atQuorum)).toMatchObject({
      state: 'succeeded',
      result: { quorumReached: true, approved: true },
    });
    expect(await state(aboveQuorum)).toMatchObject({
      state: 'defeated',
      result: { quorumReached: false, approved: true },
    });
    expect(await state(atThreshold)).toMatchObject({
      state: 'succeeded',
      result: { for: '3', against: '2', abstain: '0', participation: '0.5', approved: true },
    });
    expect(await state(aboveThreshold)).toMatchObject({ state: 'defeated', result: { approved: false } });
    const transitions = (await state(aboveQuorum)).transitions;
    expect(transitions.at(-1)).toMatchObject({
      from: 'active',
      to: 'defeated',
      reason: 'quorum not reached',
    });
    // signal proposals end at succeeded: nothing to queue or execute
    await governanceTick(g.governance.context);
    expect((await state(atQuorum)).state).toBe('succeeded');
    expect(await g.metric('cb_governance_participation_ratio_count')).toBe(4);
  });
});
