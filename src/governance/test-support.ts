/**
 * Test helpers of the governance suites (not used by the product): a governance over a real
 * database (PGlite, or PostgreSQL + Redis with CB_TEST_DRIVER=pg) with a clock and a block source
 * the test moves, hardhat's well-known dev keys as members, EIP-712 signing helpers, badge
 * ownership rows inserted directly (as the listener would write them), and the HTTP app.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type Hex, keccak256, stringToBytes } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import {
  deleteRedisKeys,
  REDIS_TEST_URL,
  redisAvailable,
  TEST_DRIVER,
  uniqueName,
} from '../../test/services.ts';
import { createEventProcessor, saveAchievements } from '../achievements/index.ts';
import { buildApp } from '../api/index.ts';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { type Cache, createCache } from '../platform/cache/index.ts';
import { createSilentLogger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { BlockSource } from './chain-blocks.ts';
import { type CreateGovernanceParameters, createGovernance, type Governance } from './create-governance.ts';
import { type GovernancePrimaryType, type MessageOf, typedPayload } from './eip712.ts';

/** Hardhat's default accounts #0-#9: public, well-known keys — test use only. */
export const DEV_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
];

export const CHAIN_ID = 31337;

export interface Member {
  account: PrivateKeyAccount;
  /** Lower-case, as stored. */
  address: string;
}

export const member = (i: number): Member => {
  const account = privateKeyToAccount(DEV_KEYS[i]!);
  return { account, address: account.address.toLowerCase() };
};

/** The on-chain achievement id of a slug: the same formula as the chain module's achievementTokenId. */
export const achievementKey = (slug: string): bigint => BigInt(keccak256(stringToBytes(slug)).slice(0, 18));

/** Signs a governance message with a member's key (domain of `chainId`). */
export function sign<P extends GovernancePrimaryType>(
  m: Member,
  primaryType: P,
  message: MessageOf[P],
  chainId = CHAIN_ID,
): Promise<Hex> {
  return m.account.signTypedData(typedPayload(chainId, primaryType, message) as never);
}

export const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;

/** The JSON body of `POST /v1/proposals/:id/votes`, signed. */
export async function ballotBody(
  m: Member,
  proposalId: string,
  support: keyof typeof SUPPORT,
  nonce: bigint,
  reason = '',
  chainId = CHAIN_ID,
) {
  const signature = await sign(
    m,
    'Ballot',
    { proposalId: BigInt(proposalId), voter: m.account.address, support: SUPPORT[support], reason, nonce },
    chainId,
  );
  return { voter: m.account.address, support, reason, nonce: nonce.toString(), signature };
}

/** The JSON body of `POST /v1/delegations`, signed by the delegator. */
export async function delegationBody(from: Member, to: string, nonce: bigint, expiry = 4_000_000_000n) {
  const signature = await sign(from, 'Delegation', {
    delegator: from.account.address,
    delegatee: to as Hex,
    nonce,
    expiry,
  });
  return {
    delegator: from.account.address,
    delegatee: to,
    nonce: nonce.toString(),
    expiry: expiry.toString(),
    signature,
  };
}

/** The JSON body of a member's `POST /v1/proposals`, signed. */
export async function proposalBody(
  m: Member,
  fields: {
    title: string;
    body?: string;
    type: string;
    actions?: unknown[];
    settings?: Record<string, unknown>;
  },
  nonce: bigint,
) {
  const request = {
    proposer: m.account.address,
    title: fields.title,
    body: fields.body ?? '',
    proposalType: fields.type,
    actions: JSON.stringify(fields.actions ?? []),
    settings: JSON.stringify(fields.settings ?? {}),
    nonce,
  };
  const signature = await sign(m, 'ProposalRequest', request);
  return { request: { ...request, nonce: nonce.toString() }, signature };
}

export interface Clock {
  now: Date;
  advance(seconds: number): void;
}

export interface GovernanceTest {
  t: TestApi;
  governance: Governance;
  app: FastifyInstance;
  metrics: Metrics;
  clock: Clock;
  blocks: BlockSource & {
    indexed: bigint;
    confirmed: bigint;
    set(indexed: bigint, confirmations?: bigint): void;
  };
  adminKey: string;
  guardianKey: string;
  cache: Cache;
  /** Inserts a badge of `slug` minted to `owner` at `block`; returns its token id. */
  mint(owner: string, slug: string, block: bigint): Promise<bigint>;
  /** Closes the badge's current ownership at `block` and opens one for `to` (null: revoked/burned). */
  transfer(tokenId: bigint, to: string | null, block: bigint): Promise<void>;
  inject(method: 'GET' | 'POST', url: string, body?: unknown, key?: string): Promise<LightMyRequestResponse>;
  /** Creates an admin's signal proposal whose voting opens at once; returns its id. */
  openSignal(title: string): Promise<string>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** Achievements every suite starts with: weights 1, 2.5, 0.000001 and a gold tier. */
export const CATALOGUE = [
  {
    id: 'first-commit',
    name: 'First commit',
    category: 'code',
    weight: 1,
    rule: { type: 'count', filter: { types: ['commit'] }, target: 1 },
  },
  {
    id: 'reviewer',
    name: 'Reviewer',
    category: 'review',
    weight: 2.5,
    rule: { type: 'count', filter: { types: ['review'] }, target: 5 },
  },
  {
    id: 'dust',
    name: 'Dust',
    category: 'misc',
    weight: 0.000001,
    rule: { type: 'count', filter: { types: ['dust'] }, target: 1 },
  },
  {
    id: 'trader-gold',
    name: 'Gold trader',
    category: 'trade',
    series: 'trader',
    tier: 'gold',
    weight: 10,
    rule: { type: 'count', filter: { types: ['trade'] }, target: 100 },
  },
];

let tokenSeq = 0n;

export async function createGovernanceTest(
  overrides: Partial<
    Omit<CreateGovernanceParameters, 'common' | 'db' | 'cache' | 'catalogue' | 'achievementKey'>
  > = {},
): Promise<GovernanceTest> {
  const t = await createTestApi();
  const { ctx } = t.context();
  const useRedis = TEST_DRIVER === 'pg' && (await redisAvailable());
  const keyPrefix = `${uniqueName('cbtest:')}:`;
  const cache = createCache({ common: ctx, redisUrl: useRedis ? REDIS_TEST_URL : undefined, keyPrefix });
  await saveAchievements(t.db, CATALOGUE, { actor: 'test', mode: 'upsert' });
  const processor = createEventProcessor({ db: t.db, metrics: ctx.metrics, logger: createSilentLogger() });
  const clock: Clock = {
    now: new Date('2030-01-01T00:00:00Z'),
    advance(seconds) {
      this.now = new Date(this.now.getTime() + seconds * 1000);
    },
  };
  const blocks = {
    indexed: 100n,
    confirmed: 98n,
    set(indexed: bigint, confirmations = 2n) {
      this.indexed = indexed;
      this.confirmed = indexed - confirmations;
    },
    async latestIndexed() {
      return this.indexed;
    },
    async latestConfirmed() {
      return this.confirmed;
    },
  };
  const governance = createGovernance({
    common: ctx,
    db: t.db,
    cache,
    catalogue: () => processor.catalogue(),
    achievementKey,
    chainId: CHAIN_ID,
    apiKeys: t.apiKeys,
    blocks,
    ...overrides,
    options: {
      now: () => clock.now,
      defaults: {
        votingDelaySeconds: 60,
        votingPeriodSeconds: 3600,
        timelockDelaySeconds: 600,
        executionGraceSeconds: 3600,
      },
      ...overrides.options,
    },
  });
  const app = await buildApp(ctx, { routes: [governance.routes()] });
  const adminKey = (await t.apiKeys.create({ name: uniqueName('gov-admin-'), scopes: ['governance:admin'] }))
    .key;
  const guardianKey = (
    await t.apiKeys.create({ name: uniqueName('gov-guardian-'), scopes: ['governance:guardian'] })
  ).key;
  const inject: GovernanceTest['inject'] = (method, url, body, key) =>
    app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: body as object }),
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
  return {
    t,
    governance,
    app,
    metrics: ctx.metrics,
    clock,
    blocks,
    adminKey,
    guardianKey,
    cache,
    async mint(owner, slug, block) {
      tokenSeq++;
      const tokenId = BigInt(Date.now()) * 1000n + tokenSeq;
      await t.db.query(
        `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values ($1, $2, $3, $4, $5)`,
        [
          tokenId.toString(),
          achievementKey(slug).toString(),
          owner.toLowerCase(),
          block.toString(),
          `0x${'ab'.repeat(32)}`,
        ],
      );
      await t.db.query(
        `insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values ($1, $2, $3, $4, 0)`,
        [tokenId.toString(), owner.toLowerCase(), block.toString(), `0x${'ab'.repeat(32)}`],
      );
      await governance.onOwnershipChanged([owner.toLowerCase()], block);
      return tokenId;
    },
    async transfer(tokenId, to, block) {
      await t.db.query('update badge_ownership set to_block = $2 where token_id = $1 and to_block is null', [
        tokenId.toString(),
        block.toString(),
      ]);
      if (to)
        await t.db.query(
          `insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values ($1, $2, $3, $4, 0)`,
          [tokenId.toString(), to.toLowerCase(), block.toString(), `0x${'cd'.repeat(32)}`],
        );
      await t.db.query('update badge_tokens set owner = $2, revoked_block = $3 where token_id = $1', [
        tokenId.toString(),
        to?.toLowerCase() ?? null,
        to ? null : block.toString(),
      ]);
      await governance.onOwnershipChanged();
    },
    async openSignal(title) {
      const res = await inject(
        'POST',
        '/v1/proposals',
        { title, body: '', type: 'signal', settings: { votingDelaySeconds: 0 } },
        adminKey,
      );
      if (res.statusCode !== 201) throw new Error(`openSignal: ${res.statusCode} ${res.body}`);
      return res.json().id as string;
    },
    inject,
    async metric(name, labels = {}) {
      const base = ctx.metrics.registry.getSingleMetric(name)
        ? name
        : name.replace(/_(count|sum|bucket)$/, '');
      const text = await ctx.metrics.registry.getSingleMetricAsString(base);
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const present = new Map(
          [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]] as const),
        );
        if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) sum += Number(m[3]);
      }
      return sum;
    },
    async close() {
      await app.close();
      await governance.close();
      await cache.close();
      if (useRedis) await deleteRedisKeys(keyPrefix);
      await t.close();
    },
  };
}
