import { http, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';
import { createMinterFixture, type MinterFixture, members, tickUntil } from './test-support.ts';

let f: MinterFixture;

beforeAll(async () => {
  f = await createMinterFixture();
});
afterAll(async () => {
  await f?.close();
});

/** The MinterError `check()` throws; fails the test when it resolves or throws something else. */
async function checkError(promise: Promise<void>): Promise<MinterError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MinterError);
  const message = (err as MinterError).message;
  expect(message).not.toContain('\n'); // one line for main to print
  return err as MinterError;
}

describe('createMinter: start-up checks', () => {
  test('default: a reachable chain, the contract, the role: check() passes and samples the balance', async () => {
    await expect(f.makeMinter().check()).resolves.toBeUndefined();
  });

  test('error: wrong chain id', async () => {
    const err = await checkError(f.makeMinter({}, { chain: { ...f.dev.chain, id: 1 } }).check());
    expect(err.code).toBe(MINTER_ERROR_CODES.wrongChain);
    expect(err.message).toMatch(/serves chain 31337, not the configured chain 1/);
    expect(err.retryable).toBe(false);
  });

  test('error: unreachable RPC (and its URL is not in the message)', async () => {
    const transport = http('http://user:secret@127.0.0.1:1/key-in-path', { retryCount: 0, timeout: 2000 });
    const err = await checkError(f.makeMinter({}, { transport }).check());
    expect(err.code).toBe(MINTER_ERROR_CODES.rpcUnreachable);
    expect(err.retryable).toBe(true);
    expect(err.message).not.toMatch(/127\.0\.0\.1|secret|key-in-path/);
  });

  test('error: no contract code at the badge address', async () => {
    const err = await checkError(
      f.makeMinter({}, { badgeAddress: '0x00000000000000000000000000000000000000aa' }).check(),
    );
    expect(err.code).toBe(MINTER_ERROR_CODES.noContract);
  });

  test('error: the minter account lacks MINTER_ROLE', async () => {
    const stranger: LocalAccount = privateKeyToAccount(f.dev.accounts[5]!.privateKey);
    const err = await checkError(f.makeMinter({}, { account: stranger }).check());
    expect(err.code).toBe(MINTER_ERROR_CODES.roleMissing);
    expect(err.message).toContain(stranger.address);
    // What to do, with cb's own command.
    expect(err.message).toContain(`cb chain roles grant minter ${stranger.address}`);
  });

  test('error: start() fails with the check, and no loop runs', async () => {
    const minter = f.makeMinter({}, { chain: { ...f.dev.chain, id: 5 } });
    await expect(minter.start()).rejects.toMatchObject({ code: MINTER_ERROR_CODES.wrongChain });
    expect(minter.status().active).toBe(false);
  });

  test('error: the chain knows fewer transactions than mint_txs records as final (chain reset)', async () => {
    await f.reset();
    await f.unlock(members(1, 20).map((user) => ({ user, achievement: 'reset' })));
    const minter = f.makeMinter();
    await tickUntil(minter, async () => (await f.outbox())[0]!.status === 'confirmed', 3);
    await minter.stop();
    await f.db.query(`update mint_txs set nonce = nonce + 1000`);
    const err = await checkError(f.makeMinter().check());
    expect(err.code).toBe(MINTER_ERROR_CODES.nonceBehind);
  });
});
