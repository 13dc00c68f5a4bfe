import { createPublicClient, getAddress, type Hex, numberToHex, zeroAddress } from 'viem';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { captureLogs } from '../../../test/log-capture.ts';
import { clearPause, setPause } from '../../ops/pauses/pauses.ts';
import { metricSample, metricValue } from '../../platform/cache/test-common.ts';
import { redact } from '../../platform/redact.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { createRpcPool } from '../rpc/index.ts';
import {
  countingTransport,
  createMinterFixture,
  faultySendTransport,
  type MinterFixture,
  members,
  tickUntil,
} from './test-support.ts';

const logs = captureLogs('info', 'test');
let f: MinterFixture;

beforeAll(async () => {
  f = await createMinterFixture({ logger: logs.logger });
});
afterAll(async () => {
  await f?.close();
});
beforeEach(async () => {
  await f.reset();
});

const redactedTokenId = (tokenId: string) => redact({ tokenId }) as { tokenId: string };
const histogramCount = async (name: string) => {
  const metric = await f.common.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`)?.value;
};
const allFinal = async () =>
  (await f.outbox()).every((r) => r.status === 'confirmed' || r.status === 'failed');

describe('createMinter', () => {
  test('default: an unlock becomes a confirmed badge (token id, tx hash, block), owned on chain', async () => {
    const [user] = members(1, 1);
    const [id] = await f.unlock([{ user: user!, achievement: 'first-commit' }]);
    const minter = f.makeMinter();

    const first = await minter.tick();
    expect(first).toMatchObject({ standby: false, sentTxs: 1, submittedMints: 1 });
    const [submitted] = await f.outbox();
    // Automine: mined at once; with 0 confirmations the next tick confirms it.
    expect(submitted).toMatchObject({ id, status: 'submitted', nonce: expect.any(String) });
    expect(submitted!.txHash).toMatch(/^0x[0-9a-f]{64}$/);

    const second = await minter.tick();
    expect(second.confirmedMints).toBe(1);
    const [row] = await f.outbox();
    expect(row).toMatchObject({ status: 'confirmed', tokenId: '1', txHash: submitted!.txHash, error: null });
    expect(Number(row!.blockNumber)).toBeGreaterThan(0);
    expect(await f.read('ownerOf', [1n])).toBe(getAddress(user!));
    expect(await f.read('achievementOf', [1n])).toBe(achievementTokenId('first-commit'));

    const [tx] = await f.mintTxs();
    expect(tx).toMatchObject({
      status: 'confirmed',
      txHash: submitted!.txHash,
      outboxIds: [id],
      previousHashes: [],
    });
    expect(await metricValue(f.common, 'cb_mints_total', { result: 'confirmed' })).toBe(1);
    expect(await histogramCount('cb_tx_confirmation_seconds')).toBe(1);
    expect(await metricValue(f.common, 'cb_mint_requests_pending')).toBe(0);
    expect(await metricValue(f.common, 'cb_tx_pending')).toBe(0);
    expect(await metricValue(f.common, 'cb_minter_balance_wei')).toBeGreaterThan(0);
    // Nothing waits: the ages are 0 (present, so "no minter" stays distinguishable), fees under the cap.
    expect(await metricSample(f.common, 'cb_mint_request_oldest_pending_seconds')).toBe(0);
    expect(await metricSample(f.common, 'cb_tx_oldest_pending_seconds')).toBe(0);
    expect(await metricSample(f.common, 'cb_minter_fees_above_cap')).toBe(0);

    // The seed's log line, in the seed's shape, for the member.
    const line = logs.entries().find((e) => e.message === 'Achievement unlocked successfully');
    expect(Object.keys(line!).sort()).toEqual(
      [
        'context',
        'instance',
        'level',
        'message',
        'metrics',
        'service',
        'timestamp',
        'traceId',
        'userId',
      ].sort(),
    );
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'minter',
      userId: user,
      // Through the platform's redaction: today it hides every key containing "token" (tokenId too).
      context: { achievementId: 'first-commit', ...redactedTokenId('1'), transactionHash: submitted!.txHash },
      metrics: { processingTime: expect.any(Number), retryCount: 0 },
    });
    await minter.stop();
  });

  test('behavior: 250 requests go in one transaction under the per-transaction gas cap', async () => {
    const users = members(250, 2);
    await f.unlock(users.map((user) => ({ user, achievement: 'voter' })));
    const minter = f.makeMinter({ batchSize: 250 });
    const results = await tickUntil(minter, allFinal, 5);
    expect(results.reduce((n, r) => n + r.sentTxs, 0)).toBe(1);
    const rows = await f.outbox();
    expect(rows.every((r) => r.status === 'confirmed')).toBe(true);
    // Consecutive token ids in request order.
    expect(rows.map((r) => Number(r.tokenId))).toEqual(users.map((_, i) => i + 1));
    expect(await f.read('ownerOf', [250n])).toBe(getAddress(users[249]!));
    expect(await f.read('totalSupply')).toBe(250n);
    await minter.stop();
  });

  test('behavior: a batch estimated over the gas budget is split, each transaction under the cap', async () => {
    const users = members(400, 3);
    await f.unlock(users.map((user) => ({ user, achievement: 'voter' })));
    const minter = f.makeMinter({ batchSize: 400 });
    const results = await tickUntil(minter, allFinal, 5);
    const txs = await f.mintTxs();
    expect(results.reduce((n, r) => n + r.sentTxs, 0)).toBe(txs.length);
    expect(txs.length).toBeGreaterThanOrEqual(2);
    expect(txs.flatMap((t) => t.outboxIds)).toHaveLength(400);
    const client = createPublicClient({ chain: f.dev.chain, transport: f.dev.transport });
    for (const tx of txs) {
      const receipt = await client.getTransactionReceipt({ hash: tx.txHash });
      expect(receipt.status).toBe('success');
      expect(receipt.gasUsed).toBeLessThan((16_777_216n * 9n) / 10n);
    }
    const rows = await f.outbox();
    expect(new Set(rows.map((r) => r.tokenId)).size).toBe(400);
    expect(await f.read('totalSupply')).toBe(400n);
    await minter.stop();
  });

  test('behavior: once a batch was estimated, the next ones are simulated by one eth_call at the learned limit; what that call cannot settle is estimated as before', async () => {
    // Members who hold a badge already (minted by another minter): their next badge costs the least.
    const holders = members(20, 30);
    await f.unlock(holders.map((user) => ({ user, achievement: 'first' })));
    const earlier = f.makeMinter({ batchSize: 20 });
    await tickUntil(earlier, allFinal, 10);
    await earlier.stop();

    const methods: string[] = [];
    const minter = f.makeMinter(
      { batchSize: 20 },
      { transport: countingTransport(f.dev.transport, methods) },
    );
    const round = async (requests: { user: string; achievement: string }[]) => {
      methods.length = 0;
      await f.unlock(requests);
      await tickUntil(minter, allFinal, 10);
      return {
        estimates: methods.filter((m) => m === 'eth_estimateGas').length,
        calls: methods.filter((m) => m === 'eth_call').length,
      };
    };
    // Nothing learned yet: estimated, and learned from (cheap mints).
    expect(await round(holders.map((user) => ({ user, achievement: 'second' })))).toEqual({
      estimates: 1,
      calls: 0,
    });
    expect(await round(holders.map((user) => ({ user, achievement: 'third' })))).toEqual({
      estimates: 0,
      calls: 1,
    });
    // First-time holders cost more than learned: the call runs out of gas, the estimate takes over.
    expect(await round(members(20, 31).map((user) => ({ user, achievement: 'first' })))).toEqual({
      estimates: 1,
      calls: 1,
    });
    // Learned again: the next first-time holders take the one call.
    expect(await round(members(20, 32).map((user) => ({ user, achievement: 'first' })))).toEqual({
      estimates: 0,
      calls: 1,
    });
    // A request that reverts fails the call: the estimates isolate it as before.
    const mixed = members(20, 33).map((user) => ({ user, achievement: 'first' }));
    mixed[11] = { user: zeroAddress, achievement: 'first' };
    expect((await round(mixed)).estimates).toBeGreaterThan(1);

    const rows = await f.outbox();
    expect(rows.filter((r) => r.status === 'failed').map((r) => r.error)).toEqual([
      expect.stringContaining('ERC721InvalidReceiver'),
    ]);
    expect(rows.filter((r) => r.status === 'confirmed')).toHaveLength(20 * 6 - 1);
    const client = createPublicClient({ chain: f.dev.chain, transport: f.dev.transport });
    for (const tx of await f.mintTxs()) {
      const receipt = await client.getTransactionReceipt({ hash: tx.txHash });
      expect(receipt.status).toBe('success');
    }
    await minter.stop();
  });

  test('behavior: a reverting request is isolated and dead-lettered with its reason; the rest confirm', async () => {
    const users = members(10, 4);
    const requests = users.map((user) => ({ user, achievement: 'reviewer' }));
    requests[3] = { user: zeroAddress, achievement: 'reviewer' };
    requests[7] = { user: '0xnot-an-address', achievement: 'reviewer' };
    // Mixed case with a wrong EIP-55 checksum: still this member's address, minted to it.
    const mixed = `0x${users[5]!.slice(2).replace(/[a-f]/, (c) => c.toUpperCase())}`;
    requests[5] = { user: mixed, achievement: 'reviewer' };
    const ids = await f.unlock(requests);
    const minter = f.makeMinter();
    await tickUntil(minter, allFinal, 5);

    const rows = await f.outbox();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[3]!)).toMatchObject({
      status: 'failed',
      error: `ERC721InvalidReceiver(${zeroAddress})`,
      tokenId: null,
    });
    expect(byId.get(ids[7]!)).toMatchObject({ status: 'failed', error: 'InvalidAddress(0xnot-an-address)' });
    const confirmed = rows.filter((r) => r.status === 'confirmed');
    expect(confirmed).toHaveLength(8);
    const mixedRow = byId.get(ids[5]!)!;
    expect(mixedRow.status).toBe('confirmed');
    expect(await f.read('ownerOf', [BigInt(mixedRow.tokenId!)])).toBe(getAddress(users[5]!));
    expect(await f.read('totalSupply')).toBe(8n);
    expect(await metricValue(f.common, 'cb_mints_total', { result: 'failed' })).toBeGreaterThanOrEqual(2);
    const failedLine = logs
      .entries()
      .find((e) => e.message === 'Achievement badge mint failed' && e.userId === zeroAddress);
    expect(failedLine).toMatchObject({
      level: 'WARN',
      context: { reason: `ERC721InvalidReceiver(${zeroAddress})` },
    });
    await minter.stop();
  });

  test('behavior: waits for N confirmations before a request is confirmed', async () => {
    await f.unlock([{ user: members(1, 5)[0]!, achievement: 'first-commit' }]);
    const minter = f.makeMinter({ confirmations: 2 });
    await minter.tick();
    await minter.tick();
    expect((await f.outbox())[0]!.status).toBe('submitted');
    expect((await f.mintTxs())[0]!.status).toBe('mined');
    await f.dev.mine(1);
    await minter.tick();
    expect((await f.outbox())[0]!.status).toBe('submitted');
    await f.dev.mine(1);
    expect((await minter.tick()).confirmedMints).toBe(1);
    expect((await f.outbox())[0]!.status).toBe('confirmed');
    await minter.stop();
  });

  test('behavior: fees above the cap: nothing is sent, requests wait', async () => {
    await f.unlock([{ user: members(1, 6)[0]!, achievement: 'first-commit' }]);
    const minter = f.makeMinter({ maxFeePerGas: 1000n });
    const result = await minter.tick();
    expect(result).toMatchObject({ sentTxs: 0, waitingForFees: true });
    expect(minter.status().waitingForFees).toBe(true);
    expect((await f.outbox())[0]!.status).toBe('pending');
    expect(await f.mintTxs()).toEqual([]);
    expect(logs.entries().some((e) => e.message === 'mint fees above the cap: new mints wait')).toBe(true);
    expect(await metricSample(f.common, 'cb_minter_fees_above_cap')).toBe(1);
    expect(await metricSample(f.common, 'cb_mint_request_oldest_pending_seconds')).toBeGreaterThan(0);
    expect(await metricSample(f.common, 'cb_mint_requests_pending')).toBe(1);
    await minter.stop();
    // A stopped minter is no minter: its gauges go (MintQueueStalled's absent branch reads that).
    for (const name of [
      'cb_minter_fees_above_cap',
      'cb_mint_request_oldest_pending_seconds',
      'cb_mint_requests_pending',
      'cb_tx_pending',
      'cb_tx_oldest_pending_seconds',
      'cb_minter_balance_wei',
    ])
      expect(await metricSample(f.common, name), name).toBeUndefined();
  });

  test('behavior: one active minter per key: a second instance stands by until the first stops', async () => {
    await f.unlock([{ user: members(1, 7)[0]!, achievement: 'first-commit' }]);
    const a = f.makeMinter();
    const b = f.makeMinter();
    expect((await a.tick()).standby).toBe(false);
    expect(await b.tick()).toMatchObject({ standby: true, sentTxs: 0, confirmedMints: 0 });
    await a.stop();
    expect((await b.tick()).confirmedMints).toBe(1);
    expect(b.status().active).toBe(true);
    await b.stop();
  });

  test('behavior: an unlock recorded again after its badge was minted (a restore from an older backup) is confirmed with the token on chain, not minted twice', async () => {
    const [user, other] = members(2, 12);
    await f.unlock([{ user: user!, achievement: 'restored' }]);
    const minter = f.makeMinter();
    await tickUntil(minter, allFinal, 5);
    const [minted] = await f.outbox();
    // The database goes back to before the mint: the outbox row and the transaction are gone, while
    // the listener has re-read the chain since (badge_tokens holds the token, as on chain).
    await f.db.query('truncate ach_mint_outbox, mint_txs restart identity');
    await f.db.query(
      `insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx)
       values ($1, $2, $3, $4, $5)`,
      [minted!.tokenId, achievementTokenId('restored').toString(), user, minted!.blockNumber, minted!.txHash],
    );
    try {
      const [again] = await f.unlock([
        { user: user!, achievement: 'restored' },
        { user: other!, achievement: 'restored' },
      ]);
      await tickUntil(minter, allFinal, 5);
      const byId = new Map((await f.outbox()).map((r) => [r.id, r]));
      expect(byId.get(again!)).toMatchObject({
        status: 'confirmed',
        tokenId: minted!.tokenId,
        txHash: minted!.txHash,
        blockNumber: minted!.blockNumber,
      });
      // One new token (the other member's), and only that one sent.
      expect(await f.read('totalSupply')).toBe(2n);
      expect((await f.mintTxs()).flatMap((t) => t.outboxIds)).toHaveLength(1);
      expect(logs.entries().some((e) => String(e.message).startsWith('badges already on chain'))).toBe(true);
    } finally {
      await f.db.query('delete from badge_tokens where token_id = $1', [minted!.tokenId]);
      await minter.stop();
    }
  });

  test('behavior: works over the RPC pool transport', async () => {
    const pool = createRpcPool({
      common: f.common,
      endpoints: [{ name: 'dev', transport: f.dev.transport }],
    });
    const users = members(5, 8);
    const requests = users.map((user) => ({ user, achievement: 'pool' }));
    requests[2] = { user: zeroAddress, achievement: 'pool' };
    await f.unlock(requests);
    const minter = f.makeMinter({}, { transport: pool.transport });
    await minter.check();
    await tickUntil(minter, allFinal, 5);
    const rows = await f.outbox();
    expect(rows.map((r) => r.status)).toEqual(['confirmed', 'confirmed', 'failed', 'confirmed', 'confirmed']);
    expect(rows[2]!.error).toBe(`ERC721InvalidReceiver(${zeroAddress})`);
    await minter.stop();
    pool.stop();
  });

  test('behavior: start() runs the checks and mints in the background; stop() ends it', async () => {
    const users = members(30, 9);
    await f.unlock(users.map((user) => ({ user, achievement: 'loop' })));
    const minter = f.makeMinter({ pollIntervalMs: 50, batchSize: 10 });
    await minter.start();
    const deadline = Date.now() + 10_000;
    while (!(await allFinal()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await minter.stop();
    const rows = await f.outbox();
    expect(rows.every((r) => r.status === 'confirmed')).toBe(true);
    expect(await f.read('totalSupply')).toBe(30n);
    expect(minter.status()).toMatchObject({ active: false, lastError: undefined });
  });
});

describe('createMinter: emergency pause (cb pause minting)', () => {
  const GWEI = 1_000_000_000n;
  const PAUSE = { reason: 'minter key may be compromised (INC-42)', pausedBy: 'test' };
  const PAUSED_MESSAGE = 'minting paused: nothing new is signed until it is resumed';
  const pause = () => setPause(f.db, 'minting', PAUSE);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const client = () => createPublicClient({ chain: f.dev.chain, transport: f.dev.transport, cacheTime: 0 });
  const receiptStatus = async (hash: Hex) => {
    try {
      return (await client().getTransactionReceipt({ hash })).status;
    } catch {
      return 'none';
    }
  };

  afterEach(async () => {
    await clearPause(f.db, 'minting');
    await f.dev.setAutomine(true);
  });

  test('behavior: paused, a pending request is not sent (logged once); resumed, it is sent and confirms', async () => {
    const [user] = members(1, 40);
    const [id] = await f.unlock([{ user: user!, achievement: 'paused' }]);
    await pause();
    const minter = f.makeMinter();
    const logsBefore = logs.entries().length;

    for (let i = 0; i < 3; i++)
      expect(await minter.tick()).toMatchObject({
        standby: false,
        paused: true,
        sentTxs: 0,
        submittedMints: 0,
      });
    expect(await f.outbox()).toMatchObject([
      { id, status: 'pending', txHash: null, nonce: null, attempts: 0 },
    ]);
    expect(await f.mintTxs()).toEqual([]);
    expect(await f.read('totalSupply')).toBe(0n);
    // Still the active minter: the queue is exported, and it waits.
    expect(minter.status().active).toBe(true);
    expect(await metricSample(f.common, 'cb_mint_requests_pending')).toBe(1);
    // One WARN when the pause takes effect here, with its reason — not one per tick.
    const paused = logs
      .entries()
      .slice(logsBefore)
      .filter((e) => e.message === PAUSED_MESSAGE);
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({
      level: 'WARN',
      service: 'minter',
      context: { reason: PAUSE.reason, pausedBy: 'test', pausedAt: expect.any(String) },
    });

    await clearPause(f.db, 'minting');
    expect(await minter.tick()).toMatchObject({ paused: false, sentTxs: 1, submittedMints: 1 });
    expect((await minter.tick()).confirmedMints).toBe(1);
    expect(await f.outbox()).toMatchObject([{ id, status: 'confirmed', tokenId: '1', error: null }]);
    expect(await f.read('ownerOf', [1n])).toBe(getAddress(user!));
    const after = logs.entries().slice(logsBefore);
    expect(after.filter((e) => e.message === PAUSED_MESSAGE)).toHaveLength(1);
    expect(after.filter((e) => e.message === 'minting resumed')).toMatchObject([{ level: 'INFO' }]);
    await minter.stop();
  });

  test('behavior: paused, an overdue transaction is not replaced (same head or new blocks); resumed, it is replaced and confirms', async () => {
    await f.dev.setAutomine(false);
    await f.unlock(members(3, 41).map((user) => ({ user, achievement: 'paused-stuck' })));
    const minter = f.makeMinter({ replaceAfterMs: 100 });
    expect((await minter.tick()).sentTxs).toBe(1);
    const [sent] = await f.mintTxs();
    const replacementsBefore = await metricValue(f.common, 'cb_tx_replacements_total');
    await pause();

    // Overdue, no new block (the same-head path): not replaced, nothing else signed.
    for (let i = 0; i < 3; i++) {
      await sleep(120);
      expect(await minter.tick()).toMatchObject({ paused: true, replacedTxs: 0, sentTxs: 0 });
    }
    // New blocks the transaction cannot enter (the base fee jumped over its max fee): its receipt
    // is asked and missing (the new-head path); still not replaced.
    await client().request({
      method: 'hardhat_setNextBlockBaseFeePerGas',
      params: [numberToHex(sent!.maxFeePerGas * 4n)],
    } as never);
    await f.dev.mine();
    await sleep(120);
    expect(await minter.tick()).toMatchObject({ paused: true, replacedTxs: 0, confirmedMints: 0 });
    await f.dev.mine();
    expect(await minter.tick()).toMatchObject({ paused: true, replacedTxs: 0, confirmedMints: 0 });
    expect(await receiptStatus(sent!.txHash)).toBe('none');
    expect(await f.mintTxs()).toMatchObject([
      { nonce: sent!.nonce, txHash: sent!.txHash, previousHashes: [], status: 'submitted' },
    ]);
    expect(await metricValue(f.common, 'cb_tx_replacements_total')).toBe(replacementsBefore);

    await clearPause(f.db, 'minting');
    expect(await minter.tick()).toMatchObject({ paused: false, replacedTxs: 1 });
    const [replaced] = await f.mintTxs();
    expect(replaced).toMatchObject({
      nonce: sent!.nonce,
      previousHashes: [sent!.txHash],
      status: 'submitted',
    });
    expect(replaced!.maxFeePerGas).toBeGreaterThan(sent!.maxFeePerGas * 4n);
    expect(replaced!.maxFeePerGas).toBeLessThanOrEqual(500n * GWEI);
    await f.dev.mine();
    await tickUntil(minter, allFinal, 3);
    expect((await f.outbox()).map((r) => [r.status, r.txHash])).toEqual([
      ['confirmed', replaced!.txHash],
      ['confirmed', replaced!.txHash],
      ['confirmed', replaced!.txHash],
    ]);
    expect(await receiptStatus(replaced!.txHash)).toBe('success');
    expect(await f.read('totalSupply')).toBe(3n);
    await minter.stop();
  });

  test('behavior: paused, what is already signed goes through: a failed broadcast is sent again and its receipt confirms the mints; nothing new is sent', async () => {
    const signed = members(2, 42).map((user) => ({ user, achievement: 'paused-signed' }));
    await f.unlock(signed);
    // Recorded and signed, but its broadcast never reached the node (the process then stopped).
    const crashed = f.makeMinter({}, { transport: faultySendTransport(f.dev.transport, 'drop') });
    expect((await crashed.tick()).sentTxs).toBe(1);
    await crashed.stop();
    const [tx] = await f.mintTxs();
    expect(await receiptStatus(tx!.txHash)).toBe('none');

    await pause();
    const [later] = await f.unlock([{ user: members(1, 43)[0]!, achievement: 'paused-signed' }]);
    const minter = f.makeMinter();
    // Sent again as recorded (automine: mined at once), then its receipt confirms it — all while paused.
    expect(await minter.tick()).toMatchObject({ paused: true, sentTxs: 0, replacedTxs: 0 });
    expect(await receiptStatus(tx!.txHash)).toBe('success');
    expect(await minter.tick()).toMatchObject({ paused: true, sentTxs: 0, confirmedMints: 2 });
    expect(await f.mintTxs()).toMatchObject([{ nonce: tx!.nonce, txHash: tx!.txHash, status: 'confirmed' }]);
    const rows = await f.outbox();
    expect(rows.map((r) => [r.status, r.tokenId])).toEqual([
      ['confirmed', '1'],
      ['confirmed', '2'],
      ['pending', null],
    ]);
    expect(rows[2]!.id).toBe(later);

    await clearPause(f.db, 'minting');
    await tickUntil(minter, allFinal, 3);
    expect((await f.mintTxs()).map((t) => [t.nonce, t.status])).toEqual([
      [tx!.nonce, 'confirmed'],
      [tx!.nonce + 1, 'confirmed'],
    ]);
    expect(await f.read('totalSupply')).toBe(3n);
    await minter.stop();
  });
});
