import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ZERO_ADDRESS } from './address.ts';
import { readParameters } from './parameters.ts';
import { createGovernanceTest, delegationBody, type GovernanceTest, member } from './test-support.ts';
import { computePowersAt, computeVotingPower, computeVotingPowers, totalPowerAt } from './voting-power.ts';

let g: GovernanceTest;
const alice = member(1);
const bob = member(2);
const carol = member(3);
const dave = member(4);

beforeAll(async () => {
  g = await createGovernanceTest();
  // alice: first-commit (1) + reviewer (2.5) + dust (0.000001) at block 10; bob: trader-gold (10) at 20.
  await g.mint(alice.address, 'first-commit', 10n);
  await g.mint(alice.address, 'reviewer', 10n);
  await g.mint(alice.address, 'dust', 10n);
  await g.mint(bob.address, 'trader-gold', 20n);
});
afterAll(async () => {
  await g?.close();
});

const power = async (address: string, block?: bigint) => {
  const r = await g.inject(
    'GET',
    `/v1/voting-power/${address}${block === undefined ? '' : `?block=${block}`}`,
  );
  return { status: r.statusCode, body: r.json() };
};

describe('voting power', () => {
  test('default: the weights of the badges held at the block, exact to 10^-6, with a breakdown per badge', async () => {
    const { status, body } = await power(alice.address, 50n);
    expect(status).toBe(200);
    expect(body).toMatchObject({ address: alice.address, block: '50', total: '3.500001', own: '3.500001' });
    expect(
      body.badges.map((b: { achievementId: string; weight: string }) => [b.achievementId, b.weight]).sort(),
    ).toEqual([
      ['dust', '0.000001'],
      ['first-commit', '1'],
      ['reviewer', '2.5'],
    ]);
    expect((await power(alice.address, 9n)).body.total).toBe('0');
    // bob's badge arrives at block 20: not yet at 19.
    expect((await power(bob.address, 19n)).body.total).toBe('0');
    expect((await power(bob.address, 20n)).body.total).toBe('10');
  });

  test('default: without ?block the latest confirmed block is used; a block not indexed yet is refused (422)', async () => {
    expect((await power(alice.address)).body.block).toBe(g.blocks.confirmed.toString());
    const r = await power(alice.address, g.blocks.indexed + 1n);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('GOV_BLOCK_NOT_INDEXED');
    expect((await power('0x123')).status).toBe(400);
  });

  test('behavior: power at a block is unchanged by badges minted, transferred or revoked afterwards', async () => {
    const before = (await power(alice.address, 60n)).body;
    const extra = await g.mint(alice.address, 'reviewer', 61n);
    const first = (before.badges as { tokenId: string; achievementId: string }[]).find(
      (b) => b.achievementId === 'first-commit',
    );
    await g.transfer(BigInt(first!.tokenId), carol.address, 62n);
    expect((await power(alice.address, 60n)).body).toEqual(before);
    expect((await power(alice.address, 61n)).body.total).toBe('6.000001');
    const after = (await power(alice.address, 62n)).body;
    expect(after.badges).toHaveLength(3);
    await g.transfer(extra, null, 63n); // revoked
    expect((await power(alice.address, 62n)).body).toEqual(after);
    expect((await power(alice.address, 63n)).body.badges).toHaveLength(2);
  });

  test('behavior: multipliers per category and tier apply (and change the weight set)', async () => {
    const weights = g.governance.context.weights;
    const params = await readParameters(g.t.db, g.governance.context.defaults);
    const plain = await weights.current(params);
    const boosted = await weights.current({
      ...params,
      categoryMultipliers: { trade: 1_500_000n },
      tierMultipliers: { gold: 2_000_000n },
    });
    expect(boosted.hash).not.toBe(plain.hash);
    const p = await g.governance.context.power.at(bob.address, 20n, boosted);
    expect(p.total).toBe(30_000_000n); // 10 × 1.5 × 2
  });

  test('behavior: the total over all members is the summed weight of every held badge', async () => {
    const weights = await g.governance.context.weights.current(
      await readParameters(g.t.db, g.governance.context.defaults),
    );
    const total = await totalPowerAt(g.t.db, 50n, weights);
    expect(total).toBe(13_500_001n);
    const each = await computePowersAt(g.t.db, [alice.address, bob.address], 50n, weights);
    expect([...each.values()].reduce((a, b) => a + b, 0n)).toBe(total);
  });
});

describe('delegation', () => {
  test('default: signed, effective from the block after it is recorded, one hop, revocable', async () => {
    g.blocks.set(100n);
    const r = await g.inject('POST', '/v1/delegations', await delegationBody(alice, bob.address, 1n));
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({
      delegator: alice.address,
      delegatee: bob.address,
      recordedBlock: '100',
      effectiveFromBlock: '101',
      signerKind: 'eoa',
      replayed: false,
    });
    // The same message again is a no-op.
    const again = await g.inject('POST', '/v1/delegations', await delegationBody(alice, bob.address, 1n));
    expect(again.statusCode).toBe(200);
    expect(again.json().replayed).toBe(true);

    g.blocks.set(105n);
    expect((await power(bob.address, 100n)).body.total).toBe('10');
    const bob101 = (await power(bob.address, 101n)).body;
    // alice holds reviewer + dust since her first-commit went to carol at block 62.
    expect(bob101.total).toBe('12.500001');
    expect(bob101.delegations).toEqual([{ delegator: alice.address, power: '2.500001' }]);
    const alice101 = (await power(alice.address, 101n)).body;
    expect(alice101).toMatchObject({
      total: '0',
      own: '2.500001',
      ownCounted: false,
      delegatedTo: bob.address,
    });

    // One hop: bob delegates to carol; carol gets bob's own 10, alice's power stays with bob.
    await g.inject('POST', '/v1/delegations', await delegationBody(bob, carol.address, 1n));
    g.blocks.set(110n);
    expect((await power(carol.address, 106n)).body.total).toBe('11');
    expect((await power(bob.address, 106n)).body).toMatchObject({ total: '2.500001', ownCounted: false });

    // Revocation (delegatee 0x0) from the block after it is recorded.
    const revoke = await g.inject('POST', '/v1/delegations', await delegationBody(alice, ZERO_ADDRESS, 2n));
    expect(revoke.json()).toMatchObject({ delegatee: null, effectiveFromBlock: '111' });
    g.blocks.set(120n);
    expect((await power(bob.address, 110n)).body.total).toBe('2.500001');
    expect((await power(bob.address, 111n)).body.total).toBe('0');
    expect((await power(alice.address, 111n)).body.total).toBe('2.500001');

    const listed = (await g.inject('GET', `/v1/delegations/${alice.address}`)).json();
    expect(listed.given).toEqual([{ delegatee: bob.address, fromBlock: '101', toBlock: '111', nonce: '1' }]);
    const toCarol = (await g.inject('GET', `/v1/delegations/${carol.address}`)).json();
    expect(toCarol.received).toEqual([{ delegator: bob.address, fromBlock: '106' }]);
  });

  test('error: self-delegation 422, stale or reused nonce 409, wrong signer or domain 401, expired 401', async () => {
    const self = await g.inject('POST', '/v1/delegations', await delegationBody(dave, dave.address, 1n));
    expect(self.statusCode).toBe(422);
    expect(self.json().error.code).toBe('GOV_SELF_DELEGATION');
    const stale = await g.inject('POST', '/v1/delegations', await delegationBody(alice, carol.address, 2n));
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('GOV_NONCE_USED');
    const lower = await g.inject('POST', '/v1/delegations', await delegationBody(bob, dave.address, 0n));
    expect(lower.json().error.code).toBe('GOV_NONCE_STALE');
    const forged = {
      ...(await delegationBody(dave, carol.address, 1n)),
      delegator: alice.account.address,
      nonce: '9',
    };
    const bad = await g.inject('POST', '/v1/delegations', forged);
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('GOV_SIGNATURE_INVALID');
    const domain = await g.inject('POST', '/v1/delegations', {
      ...(await delegationBody(dave, carol.address, 1n)),
      domain: { name: 'cb governance', version: '1', chainId: 1 },
    });
    expect(domain.statusCode).toBe(401);
    expect(domain.json().error.code).toBe('GOV_DOMAIN_MISMATCH');
    const expired = await g.inject(
      'POST',
      '/v1/delegations',
      await delegationBody(dave, carol.address, 1n, 1000n),
    );
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('GOV_SIGNATURE_EXPIRED');
  });
});

describe('powers computed together', () => {
  test('behavior: each is what it is computed alone, delegations included (batched cache misses too)', async () => {
    const ctx = g.governance.context;
    const weights = await ctx.weights.current(await readParameters(g.t.db, ctx.defaults));
    const everyone = [alice, bob, carol, dave, member(9)].map((m) => m.address);
    for (const block of [50n, 101n, 106n, 111n]) {
      const alone = await Promise.all(everyone.map((a) => computeVotingPower(g.t.db, a, block, weights)));
      const together = await computeVotingPowers(g.t.db, [...everyone, everyone[0]!], block, weights);
      expect(together.size).toBe(everyone.length);
      expect(everyone.map((a) => together.get(a))).toEqual(alone);
      // Concurrent cache misses go through one batch and come back the same.
      await ctx.power.invalidateAll();
      expect(await Promise.all(everyone.map((a) => ctx.power.at(a, block, weights)))).toEqual(alone);
    }
    // At 101 bob holds his own and alice's delegated power: the batch must not mix them up.
    const at101 = await computeVotingPowers(g.t.db, [alice.address, bob.address], 101n, weights);
    expect(at101.get(bob.address)!.delegations).toEqual([{ delegator: alice.address, power: 2_500_001n }]);
    expect(at101.get(alice.address)!.total).toBe(0n);
  });
});

describe('the voting power cache', () => {
  test('behavior: served from the cache, invalidated by an ownership change', async () => {
    const hitsBefore = await g.metric('cb_voting_power_cache_requests_total', { result: 'hit' });
    const first = await power(dave.address, 120n);
    expect(first.body.total).toBe('0');
    await power(dave.address, 120n);
    expect(await g.metric('cb_voting_power_cache_requests_total', { result: 'hit' })).toBe(hitsBefore + 1);
    // A late-applied ownership row at a block already cached (the listener catching up) is seen
    // once the listener reports the change.
    await g.mint(dave.address, 'first-commit', 115n);
    expect((await power(dave.address, 120n)).body.total).toBe('1');
    expect(await g.metric('cb_voting_power_duration_seconds_count', { cached: 'true' })).toBeGreaterThan(0);
  });

  test('behavior: the accuracy check catches a corrupted cache entry, counts it and drops it', async () => {
    const ctx = g.governance.context;
    const weights = await ctx.weights.current(await readParameters(g.t.db, ctx.defaults));
    const real = await ctx.power.at(carol.address, 110n, weights);
    const clean = await g.governance.checkPowerAccuracy(50);
    expect(clean.checked).toBeGreaterThan(0);
    expect(clean.mismatches).toEqual([]);
    const checks = await g.metric('cb_voting_power_checks_total');
    expect(checks).toBe(clean.checked);
    expect(await g.metric('cb_voting_power_mismatches_total')).toBe(0);

    await ctx.power.cache.set(ctx.power.key(carol.address, 110n, weights.hash), {
      ...real,
      total: real.total + 1n,
    });
    expect((await power(carol.address, 110n)).body.total).toBe('11.000001'); // what a caller would get
    const report = await g.governance.checkPowerAccuracy(50);
    expect(report.mismatches).toEqual([
      {
        address: carol.address,
        block: '110',
        weightSet: weights.hash,
        cached: '11000001',
        fresh: '11000000',
      },
    ]);
    expect(await g.metric('cb_voting_power_mismatches_total')).toBe(1);
    expect((await power(carol.address, 110n)).body.total).toBe('11');
    expect((await g.governance.checkPowerAccuracy(50)).mismatches).toEqual([]);
  });

  test('behavior: badges per holder are sampled from badge_tokens', async () => {
    const holders = await g.governance.sampleBadgeDistribution();
    expect(holders).toBe(4); // alice, bob, carol, dave
    expect(await g.metric('cb_badges_per_holder_count')).toBe(4);
  });
});
