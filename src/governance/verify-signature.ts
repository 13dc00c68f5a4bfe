/**
 * Checks that `signer` signed a governance message under this deployment's EIP-712 domain:
 * first by ECDSA recovery (an EOA: no network), then — when the signer is not the recovered
 * address and a contract verifier is configured — by asking the chain (ERC-1271
 * `isValidSignature` on a smart wallet; viem's `publicClient.verifyTypedData` does this).
 */
import type { Address, Hex } from 'viem';
import { UnavailableError } from '../platform/errors.ts';
import type { GovernancePrimaryType, TypedPayload } from './eip712.ts';
import { SignatureError } from './errors.ts';
import { recoverSigner } from './recover-signer.mjs';
import { hashGovernanceMessage } from './typed-hash.ts';

/** What governance needs from a public client to check smart-wallet signatures (a viem PublicClient fits). */
export interface ContractSignatureVerifier {
  verifyTypedData(parameters: {
    address: Address;
    domain: TypedPayload<GovernancePrimaryType>['domain'];
    types: TypedPayload<GovernancePrimaryType>['types'];
    primaryType: GovernancePrimaryType;
    message: TypedPayload<GovernancePrimaryType>['message'];
    signature: Hex;
  }): Promise<boolean>;
}

/** Recovers the signer of a 32-byte hash from a 65-byte signature (in a worker pool, or here). */
export type RecoverSigner = (hash: Hex, signature: Hex) => Promise<string | undefined>;

export type SignerKind = 'eoa' | 'erc1271';

export interface SignatureVerifier {
  /**
   * Resolves with how `signer` signed `payload`; throws SignatureError GOV_SIGNATURE_INVALID when
   * it did not (any other domain, chain id, message or signer ends here too).
   */
  verify<P extends GovernancePrimaryType>(
    payload: TypedPayload<P>,
    signer: string,
    signature: string,
  ): Promise<SignerKind>;
}

const SIGNATURE = /^0x[0-9a-fA-F]{2,}$/;

/**
 * Recovery in this thread: libsecp256k1 natively (≈0.06 ms a signature), or viem + noble in
 * JavaScript (≈1.5 ms) where the native binding does not load — see recover-signer.mjs.
 */
export const recoverInThread: RecoverSigner = recoverSigner;

export function createSignatureVerifier(options: {
  contractVerifier?: ContractSignatureVerifier | undefined;
  recover?: RecoverSigner | undefined;
}): SignatureVerifier {
  const recover = options.recover ?? recoverInThread;
  return {
    async verify(payload, signer, signature) {
      const invalid = () =>
        new SignatureError(
          'GOV_SIGNATURE_INVALID',
          `the signature is not ${signer}'s over this ${payload.primaryType} for domain "${payload.domain.name}" v${payload.domain.version} on chain ${payload.domain.chainId}`,
        );
      if (typeof signature !== 'string' || !SIGNATURE.test(signature) || signature.length % 2 !== 0)
        throw invalid();
      const wanted = signer.toLowerCase();
      if (signature.length === 132) {
        let hash: Hex;
        try {
          hash = hashGovernanceMessage(payload);
        } catch {
          throw invalid(); // a field the type cannot hold: nobody signed it
        }
        if ((await recover(hash, signature as Hex)) === wanted) return 'eoa';
      }
      if (options.contractVerifier) {
        let ok: boolean;
        try {
          ok = await options.contractVerifier.verifyTypedData({
            address: wanted as Address,
            domain: payload.domain,
            types: payload.types,
            primaryType: payload.primaryType,
            message: payload.message,
            signature: signature as Hex,
          });
        } catch (err) {
          throw new UnavailableError(
            'GOV_VERIFIER_UNAVAILABLE',
            'the chain could not be asked to check a contract-wallet signature; retry later',
            { cause: err },
          );
        }
        if (ok) return 'erc1271';
      }
      throw invalid();
    },
  };
}
