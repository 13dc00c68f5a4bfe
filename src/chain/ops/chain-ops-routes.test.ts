import { getAddress } from 'viem';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createEventProcessor } from '../../achievements/index.ts';
import type { AppContext } from '../../api/app-context.ts';
import { buildApp } from '../../api/build-app.ts';
import { type ApiKeys, createApiKeys } from '../../platform/apikeys/index.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { createListener } from '../listener/index.ts';
import {
  createMinterFixture,
  MINTER_ROLE,
  type MinterFixture,
  members,
  tickUntil,
} from '../minter/test-support.ts';
import { createRpcPool, type RpcPool } from '../rpc/index.ts';
import { chainOpsRoutes } from './chain-ops-routes.ts';

let f: MinterFixture;
let apiKeys: ApiKeys;
let pool: RpcPool;
const keys = { none: '', read: '', write: '' };

beforeAll(async () => {
  f = await createMinterFixture();
  apiKeys = createApiKeys({ db: f.db, logger: createSilentLogger() });
  keys.none = (await apiKeys.create({ name: 'chain-ops-events', scopes: ['events:write'] })).key;
  keys.read = (await apiKeys.create({ name: 'chain-ops-read', scopes: ['ops:read'] })).key;
  keys.write = (await apiKeys.create({ name: 'chain-ops-write', scopes: ['ops:read', 'ops:write'] })).key;
  pool = createRpcPool({ common: f.common, endpoints: [{ name: 'dev', transport: f.dev.transport }] });
  await pool.checkChainId();
});
afterAll(async () => {
  await pool?.stop();
  await f?.close();
});
beforeEach(async () => {
  await f.dev.setAutomine(true);
  await f.reset();
  await f.db.query(
    'truncate chain_identity, chain_checkpoints, chain_blocks, chain_events, badge_tokens, badge_ownership',
  );
});

async function appWith(chain?: Parameters<typeof chainOpsRoutes>[0]['chain']) {
  const quiet = createSilentLogger();
  const ctx: AppContext = {
    config: f.common.config,
    logger: quiet,
    metrics: f.common.metrics,
    shutdown: createShutdown({ graceMs: 1000, logger: quiet }),
    db: f.db,
    apiKeys,
    readiness: [],
    redis: undefined,
  };
  return buildApp(ctx, { routes: [chainOpsRoutes({ db: f.db, logger: quiet, chain })] });
}

const call = (app: Awaited<ReturnType<typeof appWith>>, method: 'GET' | 'POST', url: string, key?: string) =>
  app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {} });

const allFinal = async () =>
  (await f.outbox()).every((r) => r.status === 'confirmed' || r.status === 'failed');

describe('chain ops routes', () => {
  test('error: scopes — no key 401, other scopes 403, ops:read reads but cannot retry', async () => {
    const app = await appWith();
    try {
      expect((await call(app, 'GET', '/v1/ops/chain')).statusCode).toBe(401);
      expect((await call(app, 'GET', '/v1/ops/chain', keys.none)).statusCode).toBe(403);
      expect((await call(app, 'GET', '/v1/ops/mints/failed', keys.read)).statusCode).toBe(200);
      const retry = await call(app, 'POST', '/v1/ops/mints/1/retry', keys.read);
      expect(retry.statusCode).toBe(403);
      expect(retry.json().error.details.requiredScope).toBe('ops:write');
    } finally {
      await app.close();
    }
  });

  test('default: the chain plane as the database and this instance see it — checkpoint, open mints and transactions, listener, minter, RPC endpoints', async () => {
    const quiet = createSilentLogger();
    await f.db.query(
      `insert into chain_identity (chain_id, badge_address, genesis_hash, dev) values (31337, $1, '0x00', true)`,
      [f.badgeAddress],
    );
    const listener = createListener({
      common: f.common,
      db: f.db,
      transport: pool.transport,
      chain: f.dev.chain,
      badgeAddress: f.badgeAddress,
      options: { startBlock: 0, confirmations: 0 },
      catalogue: () =>
        createEventProcessor({ db: f.db, metrics: f.common.metrics, logger: quiet }).catalogue(),
      ingest: false,
    });
    const minter = f.makeMinter({}, { transport: pool.transport });
    await f.unlock(members(3, 21).map((user) => ({ user, achievement: 'ops' })));
    await tickUntil(minter, allFinal, 5);
    await f.unlock(members(2, 22).map((user) => ({ user, achievement: 'ops' })));
    const sync = await listener.syncOnce();
    const app = await appWith({ listener, minter, pool });
    try {
      const res = await call(app, 'GET', '/v1/ops/chain', keys.read);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body.identity).toMatchObject({ chainId: 31337, badgeAddress: f.badgeAddress, dev: true });
      expect(body.checkpoints).toEqual([
        expect.objectContaining({
          contract: f.badgeAddress.toLowerCase(),
          appliedBlock: sync.processedBlock.toString(),
          finalizedBlock: sync.finalizedBlock.toString(),
        }),
      ]);
      expect(body.mints).toMatchObject({ pending: 2, submitted: 0, failed: 0, lastFailedAt: null });
      expect(Date.parse(body.mints.oldestOpenAt)).toBeGreaterThan(0);
      expect(body.transactions).toEqual({ open: 0, oldestSubmittedAt: null, replacements: 0 });
      expect(body.instance.listener).toMatchObject({
        running: false,
        headBlock: sync.headBlock.toString(),
        processedBlock: sync.processedBlock.toString(),
        lagBlocks: 0,
        lastError: null,
      });
      expect(body.instance.minter).toMatchObject({
        account: getAddress(f.account.address),
        active: true,
        waitingForFees: false,
        lastError: null,
      });
      expect(body.instance.minter.nextNonce).toBeGreaterThan(0);
      // The balance last sampled (the operator funds this account: MinterBalanceLow), as wei text.
      const onChain = await f.dev.transport({}).request({
        method: 'eth_getBalance',
        params: [f.account.address, 'latest'],
      });
      expect(BigInt(body.instance.minter.balanceWei)).toBe(BigInt(onChain as string));
      expect(Date.parse(body.instance.minter.balanceAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(body.instance.rpc).toEqual([
        expect.objectContaining({
          name: 'dev',
          kind: 'transport',
          up: true,
          circuit: 'closed',
          lastError: null,
        }),
      ]);
      expect(JSON.stringify(body)).not.toMatch(/https?:\/\//);
    } finally {
      await app.close();
      await minter.stop();
    }
  });

  test('default: an instance without a chain module reports the database part and null for the rest', async () => {
    const app = await appWith();
    try {
      const body = (await call(app, 'GET', '/v1/ops/chain', keys.read)).json();
      expect(body).toMatchObject({
        identity: null,
        checkpoints: [],
        mints: { pending: 0, submitted: 0, oldestOpenAt: null, failed: 0 },
        instance: { listener: null, minter: null, rpc: null },
      });
    } finally {
      await app.close();
    }
  });

  test('behavior: mints dead-lettered after their transaction reverted (the role was revoked while it was pending) are listed with the reason, retried by an operator after the fix, and confirmed', async () => {
    const app = await appWith();
    const minter = f.makeMinter({ maxAttempts: 1 });
    try {
      const ids = await f.unlock(members(2, 23).map((user) => ({ user, achievement: 'ops' })));
      await f.dev.setAutomine(false);
      expect((await minter.tick()).sentTxs).toBe(1);
      // The admin's revoke, at a higher tip, is mined ahead of the mint in the same block.
      await f.adminWrite('revokeRole', [MINTER_ROLE, f.account.address], {
        maxFeePerGas: 400n * 10n ** 9n,
        maxPriorityFeePerGas: 300n * 10n ** 9n,
      });
      await f.dev.mine();
      await f.dev.setAutomine(true);
      await tickUntil(minter, allFinal, 5);
      expect((await f.outbox()).map((r) => r.status)).toEqual(['failed', 'failed']);

      const listed = await call(app, 'GET', '/v1/ops/mints/failed?limit=1', keys.read);
      expect(listed.statusCode).toBe(200);
      const page = listed.json();
      expect(page).toMatchObject({ total: 2, limit: 1, offset: 0 });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ achievementId: 'ops', attempts: 1 });
      expect(page.items[0].error).toMatch(
        /^transaction 0x[0-9a-f]{64} reverted in block \d+ \(after 1 attempts\)$/,
      );
      expect(Date.parse(page.items[0].failedAt)).toBeGreaterThan(0);
      const status = (await call(app, 'GET', '/v1/ops/chain', keys.read)).json();
      expect(status.mints).toMatchObject({ failed: 2, pending: 0 });
      expect(Date.parse(status.mints.lastFailedAt)).toBeGreaterThan(0);

      await f.adminWrite('grantRole', [MINTER_ROLE, f.account.address]);
      for (const id of ids) {
        const retried = await call(app, 'POST', `/v1/ops/mints/${id}/retry`, keys.write);
        expect(retried.statusCode).toBe(200);
        expect(retried.json()).toEqual({ id, status: 'pending' });
      }
      expect((await f.outbox()).map((r) => [r.status, r.error, r.attempts, r.txHash])).toEqual([
        ['pending', null, 0, null],
        ['pending', null, 0, null],
      ]);
      const again = await call(app, 'POST', `/v1/ops/mints/${ids[0]}/retry`, keys.write);
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toMatchObject({
        code: 'CHAIN_MINT_NOT_FAILED',
        details: { status: 'pending' },
      });

      await tickUntil(minter, allFinal, 5);
      const rows = await f.outbox();
      expect(rows.map((r) => r.status)).toEqual(['confirmed', 'confirmed']);
      expect(await f.read('ownerOf', [BigInt(rows[0]!.tokenId!)])).toBe(getAddress(rows[0]!.userAddress));
      expect((await call(app, 'GET', '/v1/ops/mints/failed', keys.read)).json().total).toBe(0);
    } finally {
      await app.close();
      await minter.stop();
    }
  });

  test('behavior: every failed request at once — only those failed at or before failedBefore; a bad time is 400', async () => {
    const app = await appWith();
    try {
      const users = members(4, 24);
      await f.db.query(
        `insert into ach_mint_outbox (user_address, achievement_id, status, error, attempts, updated_at) values
           ($1, 'ops', 'failed', 'old failure', 3, now() - interval '2 hours'),
           ($2, 'ops', 'failed', 'old failure', 3, now() - interval '1 hour'),
           ($3, 'ops', 'failed', 'new failure', 3, now()),
           ($4, 'ops', 'pending', null, 0, now())`,
        users,
      );
      const post = (body?: object) =>
        app.inject({
          method: 'POST',
          url: '/v1/ops/mints/failed/retry',
          headers: { authorization: `Bearer ${keys.write}` },
          ...(body ? { payload: body } : {}),
        });
      const bad = await post({ failedBefore: 'yesterday' });
      expect(bad.statusCode).toBe(400);
      const seen = new Date(Date.now() - 30 * 60_000).toISOString();
      const first = await post({ failedBefore: seen });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ retried: 2 });
      expect((await f.outbox()).map((r) => [r.status, r.attempts])).toEqual([
        ['pending', 0],
        ['pending', 0],
        ['failed', 3],
        ['pending', 0],
      ]);
      expect((await post()).json()).toEqual({ retried: 1 });
      expect((await post()).json()).toEqual({ retried: 0 });
      expect((await call(app, 'POST', '/v1/ops/mints/failed/retry', keys.read)).statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });

  test('error: retrying an unknown request is 404, a malformed id 400', async () => {
    const app = await appWith();
    try {
      const missing = await call(app, 'POST', '/v1/ops/mints/999999/retry', keys.write);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('CHAIN_MINT_NOT_FOUND');
      expect((await call(app, 'POST', '/v1/ops/mints/abc/retry', keys.write)).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});
