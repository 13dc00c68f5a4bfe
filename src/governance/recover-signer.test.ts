import { randomBytes } from 'node:crypto';
import { type Hex, keccak256, recoverAddress, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, sign } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { createRecoverPool } from './recover-pool.ts';
import { nativeRecovery, recoverSigner } from './recover-signer.mjs';

/** viem + noble, the JavaScript reference: the address, or undefined when it throws. */
const reference = async (hash: Hex, signature: Hex) => {
  try {
    return (await recoverAddress({ hash, signature })).toLowerCase();
  } catch {
    return undefined;
  }
};

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const word = (n: bigint) => n.toString(16).padStart(64, '0');

async function signed() {
  const key = generatePrivateKey();
  const hash = keccak256(randomBytes(40));
  const signature = await sign({ hash, privateKey: key, to: 'hex' });
  return { address: privateKeyToAccount(key).address.toLowerCase(), hash, signature };
}

describe('recoverSigner', () => {
  it('runs libsecp256k1 natively on the platforms its package ships a binding for', () => {
    const shipped = ['linux-x64', 'darwin-arm64', 'win32-x64'].includes(
      `${process.platform}-${process.arch}`,
    );
    expect(nativeRecovery).toBe(shipped);
  });

  it('recovers the signer of 200 random keys and hashes, as viem does', async () => {
    for (let i = 0; i < 200; i++) {
      const { address, hash, signature } = await signed();
      expect(await recoverSigner(hash, signature)).toBe(address);
      expect(await reference(hash, signature)).toBe(address);
    }
  });

  it('accepts v as 27/28 and as 0/1, and nothing else', async () => {
    const { address, hash, signature } = await signed();
    const v = Number.parseInt(signature.slice(130), 16);
    const parity = v - 27;
    const body = signature.slice(0, 130);
    expect(await recoverSigner(hash, `${body}${parity === 0 ? '00' : '01'}`)).toBe(address);
    for (const bad of ['02', '1d', '25', 'ff']) {
      expect(await recoverSigner(hash, `${body}${bad}`)).toBeUndefined();
      expect(await reference(hash, `${body}${bad}` as Hex)).toBeUndefined();
    }
  });

  it('agrees with viem on corrupted, out-of-range and malformed signatures', async () => {
    const { address, hash, signature } = await signed();
    const r = signature.slice(2, 66);
    const s = signature.slice(66, 130);
    const v = signature.slice(130);
    const cases: Hex[] = [
      `0x${word(0n)}${s}${v}`, // r = 0
      `0x${r}${word(0n)}${v}`, // s = 0
      `0x${word(N)}${s}${v}`, // r = n
      `0x${r}${word(N)}${v}`, // s = n
      `0x${r}${word(N - BigInt(`0x${s}`))}${v === '1b' ? '1c' : '1b'}`, // the high-s twin
    ];
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(signature.slice(2), 'hex');
      const at = i % 64;
      bytes[at] = bytes[at]! ^ (1 << (i % 8));
      cases.push(toHex(bytes));
    }
    for (const c of cases) {
      const got = await recoverSigner(hash, c);
      expect(got, c).toBe(await reference(hash, c));
      if (c !== cases[4]) expect(got, c).not.toBe(address);
    }
    // The high-s twin of a signature recovers the same signer (as ecrecover does).
    expect(await recoverSigner(hash, cases[4]!)).toBe(address);
    for (const malformed of ['', '0x', signature.slice(0, 128), `${signature}00`, `0x${'zz'.repeat(65)}`])
      expect(await recoverSigner(hash, malformed)).toBeUndefined();
    expect(await recoverSigner(hash.slice(0, 60), signature)).toBeUndefined();
  });

  it('recovers the same in the worker pool', async () => {
    const pool = createRecoverPool({ workers: 2 });
    try {
      const all = await Promise.all(Array.from({ length: 20 }, () => signed()));
      const got = await Promise.all(all.map((x) => pool.recover(x.hash, x.signature)));
      expect(got).toEqual(all.map((x) => x.address));
      expect(await pool.recover(all[0]!.hash, all[1]!.signature)).not.toBe(all[0]!.address);
    } finally {
      await pool.close();
    }
  });
});
