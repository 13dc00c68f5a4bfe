import { http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DevChain, startDevChain } from '../chain/dev-chain.ts';
import { freePort } from '../chain/rpc/test-support.ts';
import { createWalletVerifier, WalletCheckUnavailableError } from './wallet-verifier.ts';

const signer = privateKeyToAccount(`0x${'42'.repeat(32)}`);
const someone = '0x00000000000000000000000000000000000000a1';
const typed = {
  domain: { name: 'cb', version: '1', chainId: 31337 },
  types: { Hello: [{ name: 'text', type: 'string' }] },
  primaryType: 'Hello',
  message: { text: 'hi' },
} as const;

describe('wallet verifier', () => {
  let chain: DevChain;
  beforeAll(async () => {
    chain = await startDevChain({ mode: 'in-process' });
  }, 60_000);
  afterAll(() => chain?.stop());

  test("default: an EOA's own signature is valid, anyone else's is not — the node answered both", async () => {
    const v = createWalletVerifier(chain.transport, chain.chain);
    const signature = await signer.signMessage({ message: 'hi' });
    expect(await v.verifyMessage({ address: signer.address, message: 'hi', signature })).toBe(true);
    expect(await v.verifyMessage({ address: someone, message: 'hi', signature })).toBe(false);
    const typedSignature = await signer.signTypedData(typed);
    expect(await v.verifyTypedData({ ...typed, address: signer.address, signature: typedSignature })).toBe(
      true,
    );
    expect(await v.verifyTypedData({ ...typed, address: someone, signature: typedSignature })).toBe(false);
  });

  test('error: with no node answering, a signature it would have to ask about is neither valid nor invalid', async () => {
    const v = createWalletVerifier(
      http(`http://127.0.0.1:${await freePort()}/`, { retryCount: 0 }),
      chain.chain,
    );
    const signature = await signer.signMessage({ message: 'hi' });
    await expect(v.verifyMessage({ address: someone, message: 'hi', signature })).rejects.toBeInstanceOf(
      WalletCheckUnavailableError,
    );
    await expect(
      v.verifyTypedData({ ...typed, address: someone, signature: await signer.signTypedData(typed) }),
    ).rejects.toThrow(/could not be asked/);
    // Its own signature needs no node.
    expect(await v.verifyMessage({ address: signer.address, message: 'hi', signature })).toBe(true);
  });
});
