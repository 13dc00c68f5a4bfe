import { createPublicClient, createWalletClient, custom, type Hex, type Transport } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { metricSample, metricValue } from '../../platform/cache/test-common.ts';
import { MINTER_ERROR_CODES } from './errors.ts';
import {
  createMinterFixture,
  faultySendTransport,
  MINTER_ROLE,
  type MinterFixture,
  members,
  tickUntil,
} from './test-support.ts';

let f: MinterFixture;
const GWEI = 1_000_000_000n;

beforeAll(async () => {
  f = await createMinterFixture();
});
afterAll(async () => {
  await f?.close();
});
beforeEach(async () => {
  await f.reset();
});
afterEach(async () => {
  await f.dev.setAutomine(true);
});

const client = () => createPublicClient({ chain: f.dev.chain, transport: f.dev.transport, cacheTime: 0 });
const receiptStatus = async (hash: Hex) => {
  try {
    return (await client().getTransactionReceipt({ hash })).status;
  } catch {
    return 'none';
  }
};
const statuses = async () => (await f.outbox()).map((r) => r.status);
const allConfirmed = async () => (await statuses()).every((s) => s === 'confirmed');

describe('createMinter: crashes, restarts, stuck and failed transactions', () => {
  test('behavior: restart after a broadcast that never arrived: the next instance sends what was recorded', async () => {
    await f.unlock(members(3, 10).map((user) => ({ user, achievement: 'restart' })));
    const crashed = f.makeMinter({}, { transport: faultySendTransport(f.dev.transport, 'drop') });
    const first = await crashed.tick();
    expect(first.sentTxs).toBe(1);
    // Recorded before the broadcast: submitted with a hash, nothing on chain.
    const [tx] = await f.mintTxs();
    expect(tx).toMatchObject({ nonce: expect.any(Number), status: 'submitted' });
    expect(await statuses()).toEqual(['submitted', 'submitted', 'submitted']);
    expect(await receiptStatus(tx!.txHash)).toBe('none');
    // A failing broadcast holds back further batches.
    await f.unlock(members(2, 11).map((user) => ({ user, achievement: 'restart' })));
    expect((await crashed.tick()).sentTxs).toBe(0);
    await crashed.stop();

    const next = f.makeMinter();
    await tickUntil(next, allConfirmed, 6);
    const txs = await f.mintTxs();
    expect(txs[0]).toMatchObject({ nonce: tx!.nonce, txHash: tx!.txHash, status: 'confirmed' });
    expect(txs.map((t) => t.nonce)).toEqual([tx!.nonce, tx!.nonce + 1]);
    expect(await f.read('totalSupply')).toBe(5n);
    await next.stop();
  });

  test('behavior: restart after a broadcast whose answer was lost: found on chain, never minted twice', async () => {
    await f.unlock(members(4, 12).map((user) => ({ user, achievement: 'lost-answer' })));
    const crashed = f.makeMinter({}, { transport: faultySendTransport(f.dev.transport, 'lose-answer') });
    await crashed.tick();
    const [tx] = await f.mintTxs();
    expect(await receiptStatus(tx!.txHash)).toBe('success'); // it did arrive (automine)
    await crashed.stop();

    const next = f.makeMinter();
    await tickUntil(next, allConfirmed, 4);
    expect(await f.mintTxs()).toHaveLength(1);
    expect(await f.read('totalSupply')).toBe(4n);
    expect((await f.outbox()).map((r) => r.tokenId)).toEqual(['1', '2', '3', '4']);
    await next.stop();
  });

  test('behavior: stopped mid-flight: the next instance follows the pending transaction and continues at the next nonce', async () => {
    await f.dev.setAutomine(false);
    await f.unlock(members(3, 13).map((user) => ({ user, achievement: 'mid-flight' })));
    const first = f.makeMinter();
    await first.tick();
    const [tx] = await f.mintTxs();
    await first.stop();

    await f.unlock(members(2, 14).map((user) => ({ user, achievement: 'mid-flight' })));
    const next = f.makeMinter();
    expect((await next.tick()).sentTxs).toBe(1);
    expect(next.status().nextNonce).toBe(tx!.nonce + 2);
    await f.dev.mine();
    await tickUntil(next, allConfirmed, 3);
    expect((await f.mintTxs()).map((t) => [t.nonce, t.status])).toEqual([
      [tx!.nonce, 'confirmed'],
      [tx!.nonce + 1, 'confirmed'],
    ]);
    expect(await f.read('totalSupply')).toBe(5n);
    await next.stop();
  });

  test('behavior: a transaction not mined in time is replaced (fees ≥ +10 %); exactly one version is mined', async () => {
    await f.dev.setAutomine(false);
    const users = members(3, 15);
    await f.unlock(users.map((user) => ({ user, achievement: 'stuck' })));
    const minter = f.makeMinter({ replaceAfterMs: 200 });
    await minter.tick();
    const [sent] = await f.mintTxs();
    expect((await minter.tick()).replacedTxs).toBe(0); // not yet due

    await new Promise((r) => setTimeout(r, 250));
    expect((await minter.tick()).replacedTxs).toBe(1);
    const [replaced] = await f.mintTxs();
    expect(replaced).toMatchObject({
      nonce: sent!.nonce,
      previousHashes: [sent!.txHash],
      status: 'submitted',
    });
    expect(replaced!.txHash).not.toBe(sent!.txHash);
    expect(replaced!.maxFeePerGas * 10n).toBeGreaterThanOrEqual(sent!.maxFeePerGas * 11n);
    expect(replaced!.maxPriorityFeePerGas * 10n).toBeGreaterThanOrEqual(sent!.maxPriorityFeePerGas * 11n);
    expect(replaced!.maxFeePerGas).toBeLessThanOrEqual(500n * GWEI);
    // Members see the current hash while it is pending.
    expect((await f.outbox()).map((r) => r.txHash)).toEqual([
      replaced!.txHash,
      replaced!.txHash,
      replaced!.txHash,
    ]);
    expect(await metricValue(f.common, 'cb_tx_replacements_total')).toBe(1);
    // Its age counts from the first send, not from the replacement.
    expect(await metricSample(f.common, 'cb_tx_oldest_pending_seconds')).toBeGreaterThanOrEqual(0.25);
    expect(await metricSample(f.common, 'cb_tx_pending')).toBe(1);

    await f.dev.mine();
    await tickUntil(minter, allConfirmed, 3);
    expect(await receiptStatus(replaced!.txHash)).toBe('success');
    expect(await receiptStatus(sent!.txHash)).toBe('none');
    expect((await f.outbox()).map((r) => [r.status, r.txHash, r.tokenId])).toEqual([
      ['confirmed', replaced!.txHash, '1'],
      ['confirmed', replaced!.txHash, '2'],
      ['confirmed', replaced!.txHash, '3'],
    ]);
    expect(await f.read('totalSupply')).toBe(3n);
    await minter.stop();
  });

  test('behavior: a transaction reverted on chain: the requests wait (role revoked), then mint once it is back', async () => {
    await f.dev.setAutomine(false);
    await f.unlock(members(3, 16).map((user) => ({ user, achievement: 'revoked' })));
    const minter = f.makeMinter();
    await minter.tick();
    const [sent] = await f.mintTxs();
    // The admin revokes the role with a higher tip: mined first in the same block, the mint reverts.
    await f.adminWrite('revokeRole', [MINTER_ROLE, f.account.address], {
      maxFeePerGas: 100n * GWEI,
      maxPriorityFeePerGas: 50n * GWEI,
    });
    await f.dev.mine();
    expect(await receiptStatus(sent!.txHash)).toBe('reverted');

    // The mint is final and failed: its requests go back to pending (this tick may already simulate
    // them again, concurrently with settling, and fail like the next one)…
    await minter.tick().catch(() => {});
    expect((await f.mintTxs())[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/reverted/),
    });
    expect((await f.outbox()).map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 1],
      ['pending', 1],
      ['pending', 1],
    ]);
    // …and re-simulating them shows the sender may not mint at all: they wait, none is dead-lettered.
    await expect(minter.tick()).rejects.toMatchObject({ code: MINTER_ERROR_CODES.roleMissing });
    expect(await statuses()).toEqual(['pending', 'pending', 'pending']);
    expect(minter.status().lastError).toMatch(/MINTER_ROLE/);

    await f.adminWrite('grantRole', [MINTER_ROLE, f.account.address], {
      maxFeePerGas: 100n * GWEI,
      maxPriorityFeePerGas: 50n * GWEI,
    });
    await f.dev.mine();
    await minter.tick();
    await f.dev.mine();
    await tickUntil(minter, allConfirmed, 3);
    expect((await f.outbox()).map((r) => r.attempts)).toEqual([2, 2, 2]);
    expect(await f.read('totalSupply')).toBe(3n);
    await minter.stop();
  });

  test('behavior: the nonce used by another transaction of the key: the requests go in a new transaction', async () => {
    await f.dev.setAutomine(false);
    await f.unlock(members(2, 17).map((user) => ({ user, achievement: 'nonce-taken' })));
    const minter = f.makeMinter();
    await minter.tick();
    const [sent] = await f.mintTxs();
    // Someone else uses the minter key: same nonce, higher fees → replaces ours in the mempool.
    const other = createWalletClient({ account: f.account, chain: f.dev.chain, transport: f.dev.transport });
    await other.sendTransaction({
      to: f.account.address,
      value: 0n,
      nonce: sent!.nonce,
      maxFeePerGas: 200n * GWEI,
      maxPriorityFeePerGas: 100n * GWEI,
    });
    await f.dev.mine();

    // Settled as taken; its requests return to pending and leave in a new transaction (maybe in the same tick).
    await tickUntil(minter, async () => (await f.mintTxs()).length === 2, 3);
    const txs = await f.mintTxs();
    expect(txs[0]).toMatchObject({
      nonce: sent!.nonce,
      status: 'failed',
      error: expect.stringMatching(/nonce/),
    });
    expect(txs[1]).toMatchObject({ nonce: sent!.nonce + 1, status: 'submitted' });
    await f.dev.mine();
    await tickUntil(minter, allConfirmed, 3);
    expect(await f.read('totalSupply')).toBe(2n);
    await minter.stop();
  });

  test('behavior: the minter account runs out of funds: the transaction waits (no fee bumps, nothing new), then goes through once funded', async () => {
    const poor = privateKeyToAccount(generatePrivateKey());
    await f.adminWrite('grantRole', [MINTER_ROLE, poor.address]);
    await f.unlock(members(2, 18).map((user) => ({ user, achievement: 'funds' })));
    const minter = f.makeMinter({ replaceAfterMs: 100 }, { account: poor });
    expect((await minter.tick()).sentTxs).toBe(1);
    const [sent] = await f.mintTxs();
    expect(await receiptStatus(sent!.txHash)).toBe('none');
    await f.unlock(members(1, 19).map((user) => ({ user, achievement: 'funds' })));
    await new Promise((r) => setTimeout(r, 150));
    expect(await minter.tick()).toMatchObject({ sentTxs: 0, replacedTxs: 0 });
    expect((await f.mintTxs())[0]!.txHash).toBe(sent!.txHash);
    // What MinterBalanceLow's `empty` branch reads: requests waiting on an account with nothing in it.
    expect(await metricSample(f.common, 'cb_minter_balance_wei')).toBe(0);
    expect(await metricSample(f.common, 'cb_mint_requests_pending')).toBe(3);

    const funder = createWalletClient({
      account: privateKeyToAccount(f.dev.accounts[6]!.privateKey),
      chain: f.dev.chain,
      transport: f.dev.transport,
    });
    await funder.sendTransaction({ to: poor.address, value: 10n ** 18n });
    await tickUntil(minter, allConfirmed, 5);
    expect((await f.mintTxs()).map((t) => [t.txHash === sent!.txHash, t.status])).toEqual([
      [true, 'confirmed'],
      [false, 'confirmed'],
    ]);
    expect(await f.read('totalSupply')).toBe(3n);
    await minter.stop();
  });

  test('behavior: while no block is mined, receipts are not asked again', async () => {
    await f.dev.setAutomine(false);
    await f.unlock(members(1, 21).map((user) => ({ user, achievement: 'quiet' })));
    const calls = new Map<string, number>();
    const counting: Transport = (params) => {
      const inner = f.dev.transport({ ...params, retryCount: 0 });
      return custom(
        {
          request(args: { method: string; params?: unknown }) {
            calls.set(args.method, (calls.get(args.method) ?? 0) + 1);
            return inner.request(args as never);
          },
        },
        { retryCount: 0 },
      )(params);
    };
    const minter = f.makeMinter({}, { transport: counting });
    expect((await minter.tick()).sentTxs).toBe(1);
    const receiptsAfterSend = calls.get('eth_getTransactionReceipt') ?? 0;
    await minter.tick();
    await minter.tick();
    expect((await f.mintTxs())[0]!.status).toBe('submitted');
    expect(calls.get('eth_getTransactionReceipt') ?? 0).toBe(receiptsAfterSend);
    await f.dev.mine();
    await tickUntil(minter, allConfirmed, 3);
    expect(calls.get('eth_getTransactionReceipt')).toBeGreaterThan(receiptsAfterSend);
    await minter.stop();
  });
});
