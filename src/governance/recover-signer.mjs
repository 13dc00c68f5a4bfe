// Recovers the Ethereum address that signed a 32-byte hash, for governance signatures. Plain
// JavaScript (with recover-signer.d.mts) so that the worker thread of recover-pool.ts loads the
// same code under node, tsx and vitest.
//
// The curve arithmetic runs in libsecp256k1 — the native binding the `secp256k1` package ships
// prebuilt (linux-x64 glibc/musl, darwin-arm64, win32-x64), about 0.06 ms a signature — and in
// viem + noble (pure JavaScript, about 1.5 ms) where that binding does not load. Both accept the
// same signatures: 65 bytes r‖s‖v with v in {0, 1, 27, 28}, r and s in [1, n−1] (high s included,
// as ecrecover does); anything else recovers nobody. `nativeRecovery` says which one runs.
import { createRequire } from 'node:module';
import { keccak256, recoverAddress } from 'viem';

const require = createRequire(import.meta.url);

/** libsecp256k1's API as the package wraps it, or undefined when the binding does not load. */
const native = (() => {
  try {
    // The package's own entry falls back to `elliptic`; load the native binding or nothing.
    return require('secp256k1/bindings');
  } catch {
    return undefined;
  }
})();

export const nativeRecovery = native !== undefined;

const HEX_SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const HEX_HASH = /^0x[0-9a-fA-F]{64}$/;

function recoverNative(hash, signature) {
  if (typeof hash !== 'string' || !HEX_HASH.test(hash)) return undefined;
  if (typeof signature !== 'string' || !HEX_SIGNATURE.test(signature)) return undefined;
  const v = Number.parseInt(signature.slice(130, 132), 16);
  const recid = v === 0 || v === 27 ? 0 : v === 1 || v === 28 ? 1 : -1;
  if (recid < 0) return undefined;
  const sig = Buffer.from(signature.slice(2, 130), 'hex');
  let publicKey;
  try {
    publicKey = native.ecdsaRecover(sig, recid, Buffer.from(hash.slice(2), 'hex'), false);
  } catch {
    return undefined;
  }
  return `0x${keccak256(publicKey.subarray(1)).slice(26)}`;
}

/**
 * The lowercase 0x address that signed `hash` (0x + 64 hex) with `signature` (0x + 130 hex), or
 * undefined when the signature recovers no key.
 */
export async function recoverSigner(hash, signature) {
  if (nativeRecovery) return recoverNative(hash, signature);
  try {
    return (await recoverAddress({ hash, signature })).toLowerCase();
  } catch {
    return undefined;
  }
}
