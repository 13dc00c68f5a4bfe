import {
  type Address,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SavedAchievement } from '../achievements/index.ts';
import { type DevChain, startDevChain } from '../chain/dev-chain.ts';
import { createRpcPool, type RpcPool } from '../chain/rpc/index.ts';
import { freePort } from '../chain/rpc/test-support.ts';
import { clearPause, setPause } from '../ops/pauses/pauses.ts';
import { loadConfig } from '../platform/config.ts';
import { withAdvisoryLock } from '../platform/db/advisory-lock.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { createShutdown } from '../platform/shutdown.ts';
import { executeDue, governanceTick } from './jobs.ts';
import { compileTestContracts, type TestContract } from './test-contracts.ts';
import {
  ballotBody,
  createGovernanceTest,
  type GovernanceTest,
  member,
  SUPPORT,
  sign,
} from './test-support.ts';
import type { ContractSignatureVerifier } from './verify-signature.ts';
import { createSignatureVerifier } from './verify-signature.ts';
import { verifyTally } from './verify-tally.ts';
import { viemOnchainCaller } from './viem-onchain-caller.ts';

let chain: DevChain;
let client: PublicClient;
let g: GovernanceTest;
let contracts: ReturnType<typeof compileTestContracts>;
const saved: SavedAchievement[] = [];
const alice = member(1);
const owner = member(7); // signs for the smart wallet
let wallet: Address;
let targetA: Address;
let targetB: Address;

beforeAll(async () => {
  contracts = compileTestContracts();
  chain = await startDevChain({ mode: 'in-process' });
  client = createPublicClient({
    chain: chain.chain,
    transport: chain.transport,
    pollingInterval: 20,
  }) as PublicClient;
  const deployer = createWalletClient({
    account: privateKeyToAccount(chain.accounts[0]!.privateKey),
    chain: chain.chain,
    transport: chain.transport,
  });
  const deploy = async (c: TestContract, args: unknown[] = []) => {
    const hash = await deployer.deployContract({ abi: c.abi, bytecode: c.bytecode, args });
    return (await client.waitForTransactionReceipt({ hash })).contractAddress as Address;
  };
  targetA = await deploy(contracts.GovTarget);
  targetB = await deploy(contracts.GovTarget);
  wallet = await deploy(contracts.Erc1271Wallet, [owner.account.address]);
  // The executor: a dev account of its own (its nonces never race the deployer's).
  const executor = createWalletClient({
    account: privateKeyToAccount(chain.accounts[5]!.privateKey),
    chain: chain.chain,
    transport: chain.transport,
  });
  g = await createGovernanceTest({
    // A fixed gas limit sends a reverting call anyway, so the receipt (not an estimate) says it failed.
    onchain: viemOnchainCaller({ wallet: executor, publicClient: client, gas: 200_000n }),
    contractVerifier: client as unknown as ContractSignatureVerifier,
    onAchievementsSaved: async (s) => {
      saved.push(...s);
    },
  });
  await g.mint(alice.address, 'trader-gold', 10n);
  await g.mint(wallet.toLowerCase(), 'reviewer', 10n);
}, 120_000);
afterAll(async () => {
  await g?.close();
  await chain?.stop();
});

const send = (fn: 'setOpen' | 'setValue', arg: boolean | bigint) =>
  encodeFunctionData({ abi: contracts.GovTarget.abi, functionName: fn, args: [arg] }) as Hex;
const read = async (to: Address, fn: 'value' | 'calls') =>
  (await client.readContract({ address: to, abi: contracts.GovTarget.abi, functionName: fn })) as bigint;
const setOpen = async (to: Address, open: boolean) => {
  const w = createWalletClient({
    account: privateKeyToAccount(chain.accounts[0]!.privateKey),
    chain: chain.chain,
    transport: chain.transport,
  });
  await client.waitForTransactionReceipt({
    hash: await w.sendTransaction({ to, data: send('setOpen', open) }),
  });
};

/** Creates (admin key), votes it through, fixes the result and passes the timelock. */
async function passed(type: string, actions: unknown[]): Promise<string> {
  const r = await g.inject(
    'POST',
    '/v1/proposals',
    { title: type, body: '', type, actions, settings: { votingDelaySeconds: 0, votingPeriodSeconds: 60 } },
    g.adminKey,
  );
  expect(r.statusCode, r.body).toBe(201);
  const id = r.json().id as string;
  expect(
    (await g.inject('POST', `/v1/proposals/${id}/votes`, await ballotBody(alice, id, 'for', 1n))).statusCode,
  ).toBe(201);
  g.clock.advance(60 + 60);
  await governanceTick(g.governance.context);
  expect((await g.inject('GET', `/v1/proposals/${id}`)).json().state).toBe('queued');
  g.clock.advance(600);
  return id;
}

describe('achievement_change', () => {
  test('error: a definition that could not be saved is refused at creation with its path', async () => {
    const bad = await g.inject(
      'POST',
      '/v1/proposals',
      {
        title: 'bad',
        body: '',
        type: 'achievement_change',
        actions: [
          {
            definition: {
              id: 'new-one',
              name: 'New',
              category: 'code',
              rule: { type: 'count', filter: { types: ['x'] }, target: 0 },
            },
          },
        ],
      },
      g.adminKey,
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues).toEqual([
      expect.objectContaining({ path: 'actions.0.definition.rule.target' }),
    ]);
    const unknown = await g.inject(
      'POST',
      '/v1/proposals',
      {
        title: 'bad',
        body: '',
        type: 'achievement_change',
        actions: [
          {
            mode: 'update',
            definition: {
              id: 'nope',
              name: 'n',
              category: 'c',
              rule: { type: 'count', filter: { types: ['x'] }, target: 1 },
            },
          },
        ],
      },
      g.adminKey,
    );
    expect(unknown.json().error.details.issues[0].path).toBe('actions.0.definition.id');
    // Nothing of the dry runs was kept.
    expect((await g.t.db.query("select 1 from ach_achievements where id = 'new-one'")).rows).toHaveLength(0);
  });

  test('default: executed in one transaction through saveAchievements, with the admins’ hook', async () => {
    const id = await passed('achievement_change', [
      {
        mode: 'create',
        definition: {
          id: 'voter',
          name: 'Voter',
          category: 'gov',
          weight: 3,
          rule: { type: 'count', filter: { types: ['vote'] }, target: 1 },
        },
      },
      {
        mode: 'update',
        definition: {
          id: 'reviewer',
          name: 'Reviewer',
          category: 'review',
          weight: 4,
          rule: { type: 'count', filter: { types: ['review'] }, target: 5 },
        },
      },
    ]);
    await governanceTick(g.governance.context);
    const p = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(p.state).toBe('executed');
    expect(p.executions[0].outcomes).toEqual([
      { index: 0, status: 'ok', achievementId: 'voter', version: 1, outcome: 'created' },
      { index: 1, status: 'ok', achievementId: 'reviewer', version: 2, outcome: 'updated' },
    ]);
    const versions = await g.t.db.query<{ achievement_id: string; created_by: string }>(
      `select achievement_id, created_by from ach_achievement_versions where created_by like 'proposal:%' order by achievement_id`,
    );
    expect(versions.rows).toEqual([
      { achievement_id: 'reviewer', created_by: `proposal:${id}` },
      { achievement_id: 'voter', created_by: `proposal:${id}` },
    ]);
    expect(saved.map((s) => s.id)).toEqual(['voter', 'reviewer']);
    // New weights count for new snapshots (the wallet's reviewer badge now weighs 4).
    expect((await g.inject('GET', `/v1/voting-power/${wallet}?block=50`)).json().total).toBe('4');
  });
});

describe('onchain_call against the dev chain', () => {
  test('error: a call that would revert now is refused at creation; bad calldata 422', async () => {
    await setOpen(targetB, false);
    const r = await g.inject(
      'POST',
      '/v1/proposals',
      {
        title: 'x',
        body: '',
        type: 'onchain_call',
        actions: [{ to: targetB, data: send('setValue', 1n) }],
      },
      g.adminKey,
    );
    expect(r.statusCode).toBe(422);
    expect(r.json().error.details.issues[0]).toMatchObject({ path: 'actions.0' });
    // The node's own reason, not viem's generic "An internal error was received."
    expect(r.json().error.details.issues[0].message).toMatch(
      /^the call would revert now: .*GovTarget: closed/,
    );
    const hex = await g.inject(
      'POST',
      '/v1/proposals',
      { title: 'x', body: '', type: 'onchain_call', actions: [{ to: targetA, data: '0xabc', value: 'x' }] },
      g.adminKey,
    );
    expect(hex.json().error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      'actions.0.data',
      'actions.0.value',
    ]);
    await setOpen(targetB, true);
  });

  test('behavior: a failed execution is recorded and visible, and a retry resumes after the calls that succeeded', async () => {
    const id = await passed('onchain_call', [
      { to: targetA, data: send('setValue', 41n) },
      { to: targetB, data: send('setValue', 42n) },
    ]);
    await setOpen(targetB, false); // valid at creation, reverts at execution
    await governanceTick(g.governance.context);
    const failed = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(failed.state).toBe('queued');
    expect(failed.execution).toEqual({ attempts: 1, lastStatus: 'failed' });
    const [attempt1] = failed.executions;
    expect(attempt1).toMatchObject({ attempt: 1, status: 'failed', actor: 'clock' });
    // Hardhat answers a transaction that reverted with a JSON-RPC error (throwOnTransactionFailures),
    // a node with the receipt's status 0: either way the call failed.
    expect(attempt1.error).toMatch(/call 1 to .* (reverted|failed)/);
    expect(attempt1.outcomes.map((o: { status: string }) => o.status)).toEqual([
      'success',
      expect.stringMatching(/^(reverted|error)$/),
    ]);
    expect(await g.metric('cb_proposal_executions_total', { result: 'failed' })).toBe(1);
    // The tick does not retry on its own.
    await governanceTick(g.governance.context);
    expect((await g.inject('GET', `/v1/proposals/${id}`)).json().executions).toHaveLength(1);

    await setOpen(targetB, true);
    const retry = await g.inject('POST', `/v1/proposals/${id}/execute`, undefined, g.adminKey);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ attempt: 2, status: 'ok', state: 'executed' });
    const [first, second] = retry.json().outcomes;
    expect(first).toEqual(attempt1.outcomes[0]); // not sent again
    expect(second).toMatchObject({ index: 1, status: 'success' });
    expect(await read(targetA, 'calls')).toBe(1n);
    expect(await read(targetA, 'value')).toBe(41n);
    expect(await read(targetB, 'value')).toBe(42n);
    const p = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(p.transitions.at(-1)).toMatchObject({ from: 'queued', to: 'executed' });
    expect(p.transitions.at(-1).actor).toMatch(/^key:gov-admin-/);
    const again = await g.inject('POST', `/v1/proposals/${id}/execute`, undefined, g.adminKey);
    expect(again.statusCode).toBe(409);
  });
});

describe('onchain_call when the chain does not answer', () => {
  let offline: GovernanceTest;
  let pool: RpcPool;

  beforeAll(async () => {
    // The production path: the executor's eth_call goes through the RPC pool, whose only endpoint
    // refuses connections.
    const logger = createSilentLogger();
    pool = createRpcPool({
      common: {
        config: loadConfig({}),
        logger,
        metrics: createMetrics(),
        shutdown: createShutdown({ graceMs: 1000, logger }),
      },
      endpoints: [{ name: 'down', url: `http://127.0.0.1:${await freePort()}/` }],
      options: { timeoutMs: 300, maxTotalMs: 1000, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
    });
    const account = privateKeyToAccount(chain.accounts[5]!.privateKey);
    offline = await createGovernanceTest({
      onchain: viemOnchainCaller({
        wallet: createWalletClient({ account, chain: chain.chain, transport: pool.transport }),
        publicClient: createPublicClient({ chain: chain.chain, transport: pool.transport }) as PublicClient,
      }),
    });
  }, 60_000);
  afterAll(async () => {
    await offline?.close();
    await pool?.stop();
  });

  test('error: the dry run getting no answer is 503 CB_RPC_UNAVAILABLE (retry later), not a refused proposal', async () => {
    const r = await offline.inject(
      'POST',
      '/v1/proposals',
      {
        title: 'x',
        body: '',
        type: 'onchain_call',
        actions: [{ to: targetA, data: send('setValue', 1n) }],
      },
      offline.adminKey,
    );
    expect(r.statusCode, r.body).toBe(503);
    expect(r.json().error.code).toBe('CB_RPC_UNAVAILABLE');
    expect((await offline.inject('GET', '/v1/proposals')).json().items).toEqual([]);
    // A failure of the system (ProposalCreationSuccessLow counts it), not the caller's refusal.
    expect(await offline.metric('cb_proposals_created_total', { result: 'failed' })).toBe(1);
    expect(await offline.metric('cb_proposals_created_total', { result: 'refused' })).toBe(0);
  });
});

describe('ERC-1271 smart-wallet ballots', () => {
  test('default: a ballot for a contract wallet signed by its owner is accepted and verifies again from storage', async () => {
    const id = await g.openSignal('wallets');
    const message = {
      proposalId: BigInt(id),
      voter: wallet,
      support: SUPPORT.for,
      reason: 'from a safe',
      nonce: 1n,
    };
    const signature = await sign(owner, 'Ballot', message);
    const body = { voter: wallet, support: 'for', reason: 'from a safe', nonce: '1', signature };
    const accepted = await g.inject('POST', `/v1/proposals/${id}/votes`, body);
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({ signerKind: 'erc1271', weight: '4' });

    const stranger = await sign(alice, 'Ballot', { ...message, nonce: 2n });
    const refused = await g.inject('POST', `/v1/proposals/${id}/votes`, {
      ...body,
      nonce: '2',
      signature: stranger,
    });
    expect(refused.statusCode).toBe(401);

    const verification = await verifyTally(
      {
        db: g.t.db,
        signatures: createSignatureVerifier({
          contractVerifier: client as unknown as ContractSignatureVerifier,
        }),
      },
      id,
    );
    expect(verification).toMatchObject({ agrees: true, recomputed: { for: '4', voters: 1 } });
    const offline = await verifyTally({ db: g.t.db, signatures: createSignatureVerifier({}) }, id);
    expect(offline.agrees).toBe(false);
    expect(offline.ballots.invalid).toHaveLength(1);
  });
});

describe('one executor account, several executions at once', () => {
  test('behavior: sends serialized under the advisory lock (as cb start does across workers) each get their own nonce; unserialized ones collide', async () => {
    const executor = createWalletClient({
      account: privateKeyToAccount(chain.accounts[6]!.privateKey),
      chain: chain.chain,
      transport: chain.transport,
    });
    const calls = [1n, 2n, 3n, 4n].map((v) => ({ to: targetB, data: send('setValue', v), value: 0n }));
    await setOpen(targetB, true);

    const racing = viemOnchainCaller({ wallet: executor, publicClient: client, gas: 200_000n });
    const raced = await Promise.allSettled(calls.map((c) => racing.call(c)));
    expect(raced.some((r) => r.status === 'rejected')).toBe(true);

    const serialized = viemOnchainCaller({
      wallet: executor,
      publicClient: client,
      gas: 200_000n,
      serializeSends: (fn) => withAdvisoryLock(g.governance.context.db, 'cb:executor:test', fn),
    });
    const results = await Promise.all(calls.map((c) => serialized.call(c)));
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'success', 'success']);
    const nonces = await Promise.all(
      results.map(async (r) => (await client.getTransaction({ hash: r.txHash })).nonce),
    );
    expect(new Set(nonces).size).toBe(4);
  });
});

describe('execution paused (cb pause execution)', () => {
  const REASON = 'executor key may be leaked (INC-7)';
  afterAll(async () => {
    await clearPause(g.t.db, 'execution');
  });

  test('behavior: paused, a queued proposal past its timelock is executed neither by hand (409 GOV_EXECUTION_PAUSED) nor by the clock; resumed, the clock executes it', async () => {
    await setOpen(targetA, true);
    const id = await passed('onchain_call', [{ to: targetA, data: send('setValue', 77n) }]);
    const callsBefore = await read(targetA, 'calls');
    const executionsBefore = await g.metric('cb_proposal_executions_total');
    await setPause(g.t.db, 'execution', { reason: REASON, pausedBy: 'test' });

    const byHand = await g.inject('POST', `/v1/proposals/${id}/execute`, undefined, g.adminKey);
    expect(byHand.statusCode, byHand.body).toBe(409);
    const error = byHand.json().error;
    expect(error).toMatchObject({ code: 'GOV_EXECUTION_PAUSED', details: { pausedAt: expect.any(String) } });
    expect(error.message).toContain(REASON);
    expect(error.message).toContain('test');

    // The clock (what the governance.tick job runs) skips it too.
    expect(await executeDue(g.governance.context)).toEqual([]);
    expect((await governanceTick(g.governance.context)).executed).toEqual([]);

    // No attempt recorded, nothing sent: still queued, never tried.
    const attempts = await g.t.db.query<{ n: number }>(
      'select count(*)::int as n from gov_executions where proposal_id = $1',
      [id],
    );
    expect(attempts.rows[0]!.n).toBe(0);
    const waiting = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(waiting).toMatchObject({ state: 'queued', executions: [] });
    expect(waiting.execution?.attempts ?? 0).toBe(0);
    expect(await read(targetA, 'calls')).toBe(callsBefore);
    expect(await g.metric('cb_proposal_executions_total')).toBe(executionsBefore);

    expect(await clearPause(g.t.db, 'execution')).toMatchObject({ name: 'execution', reason: REASON });
    expect(await executeDue(g.governance.context)).toEqual([id]);
    const done = (await g.inject('GET', `/v1/proposals/${id}`)).json();
    expect(done).toMatchObject({ state: 'executed', execution: { attempts: 1, lastStatus: 'ok' } });
    expect(done.executions).toMatchObject([{ attempt: 1, status: 'ok', actor: 'clock' }]);
    expect(await read(targetA, 'value')).toBe(77n);
    expect(await read(targetA, 'calls')).toBe(callsBefore + 1n);
  });

  test('behavior: resumed, execution by hand works again', async () => {
    await setPause(g.t.db, 'execution', { reason: REASON, pausedBy: 'test' });
    const id = await passed('onchain_call', [{ to: targetA, data: send('setValue', 78n) }]);
    const paused = await g.inject('POST', `/v1/proposals/${id}/execute`, undefined, g.adminKey);
    expect(paused.json().error?.code).toBe('GOV_EXECUTION_PAUSED');

    await clearPause(g.t.db, 'execution');
    const r = await g.inject('POST', `/v1/proposals/${id}/execute`, undefined, g.adminKey);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ attempt: 1, status: 'ok', state: 'executed' });
    expect(await read(targetA, 'value')).toBe(78n);
  });
});
