/**
 * Checks a Sign-In with Ethereum (EIP-4361) message and its signature, each refusal with its own
 * code: the message must be well formed, made for one of `domains` (domain and URI host), for
 * `chainId` when one is required, within its validity (`expirationTime`, `notBefore`, and an
 * `issuedAt` no older than `maxAgeMs`), and signed by its address: first by ECDSA recovery (an EOA
 * `personal_sign`, no network), then — when that is not the address and a contract verifier is
 * configured — by asking the chain (a smart wallet's ERC-1271 `isValidSignature`, or an ERC-6492
 * wrapped signature of one not deployed yet; viem's `publicClient.verifyMessage` does both). This
 * is how a Safe or a passkey wallet signs in; governance ballots are checked the same way.
 *
 * The nonce is only checked for shape here: the caller consumes it (single use) afterwards.
 */
import { type Address, type Hex, isHex, verifyMessage } from 'viem';
import { parseSiweMessage } from 'viem/siwe';
import { SiweRefusedError, siweMessageInvalid, siweVerifierUnavailable } from './errors.ts';

/** What sign-in needs from a public client to check smart-wallet signatures (a viem PublicClient fits). */
export interface SiweContractVerifier {
  verifyMessage(parameters: { address: Address; message: string; signature: Hex }): Promise<boolean>;
}

export interface VerifySiweParameters {
  message: string;
  signature: string;
  /** Accepted `domain` values (RFC 3986 authority: host[:port]). */
  domains: readonly string[];
  /** Required chain id; any when undefined. */
  chainId?: number | undefined;
  /** Now, Unix ms. */
  now: number;
  /** Oldest `issuedAt` accepted, ms before now (the nonce lifetime). */
  maxAgeMs: number;
  /** Tolerated clock skew for `issuedAt`/`notBefore` in the future. @defaultValue 60_000 */
  skewMs?: number | undefined;
  /** Checks smart-wallet signatures on the chain; without it only EOAs can sign in. */
  contractVerifier?: SiweContractVerifier | undefined;
}

export interface VerifiedSiwe {
  address: Hex;
  chainId: number;
  nonce: string;
  expirationTime: Date | undefined;
}

/** Verifies; throws `WEB_SIWE_*` errors (see errors.ts): 400 and 401, or 503 when the chain cannot be asked. */
export async function verifySiwe(p: VerifySiweParameters): Promise<VerifiedSiwe> {
  const skew = p.skewMs ?? 60_000;
  const m = parseSiweMessage(p.message);
  if (!m.domain || !m.address || !m.uri || !m.nonce || m.chainId === undefined)
    throw siweMessageInvalid('not an EIP-4361 message (domain, address, URI, chain ID and nonce required)');
  if (m.version !== '1') throw siweMessageInvalid('Version must be 1');
  if (!m.issuedAt) throw siweMessageInvalid('Issued At is required');
  for (const [field, value] of [
    ['Issued At', m.issuedAt],
    ['Expiration Time', m.expirationTime],
    ['Not Before', m.notBefore],
  ] as const) {
    if (value && Number.isNaN(value.getTime())) throw siweMessageInvalid(`${field} is not an RFC 3339 time`);
  }
  if (!/^[a-zA-Z0-9]{8,}$/.test(m.nonce)) throw siweMessageInvalid('Nonce must be 8+ letters or digits');
  // 65 bytes from an EOA; a smart wallet's signature can have any length (a Safe's holds one per owner).
  if (!isHex(p.signature) || p.signature.length < 4 || p.signature.length % 2 !== 0)
    throw siweMessageInvalid('the signature must be a 0x hex string of whole bytes');

  if (!p.domains.includes(m.domain)) {
    throw new SiweRefusedError(
      'WEB_SIWE_DOMAIN',
      p.domains.length === 0
        ? `sign-in is not possible at this address: set CB_PUBLIC_URL to the console's public URL`
        : `the message is for ${m.domain}, not ${p.domains.join(' or ')}`,
    );
  }
  let uriHost: string;
  try {
    uriHost = new URL(m.uri).host;
  } catch {
    throw siweMessageInvalid('URI is not a URI');
  }
  if (uriHost !== m.domain)
    throw new SiweRefusedError('WEB_SIWE_DOMAIN', `the message URI ${m.uri} is not on ${m.domain}`);
  if (p.chainId !== undefined && m.chainId !== p.chainId)
    throw new SiweRefusedError('WEB_SIWE_CHAIN', `the message is for chain ${m.chainId}, not ${p.chainId}`);

  if (m.expirationTime && m.expirationTime.getTime() <= p.now)
    throw new SiweRefusedError(
      'WEB_SIWE_EXPIRED',
      `the message expired at ${m.expirationTime.toISOString()}`,
    );
  if (m.issuedAt.getTime() < p.now - p.maxAgeMs)
    throw new SiweRefusedError(
      'WEB_SIWE_EXPIRED',
      `the message was issued at ${m.issuedAt.toISOString()}, more than ${Math.round(p.maxAgeMs / 1000)} s ago`,
    );
  if (m.issuedAt.getTime() > p.now + skew)
    throw new SiweRefusedError(
      'WEB_SIWE_NOT_YET_VALID',
      `the message is issued in the future (${m.issuedAt.toISOString()})`,
    );
  if (m.notBefore && m.notBefore.getTime() > p.now + skew)
    throw new SiweRefusedError(
      'WEB_SIWE_NOT_YET_VALID',
      `the message is valid from ${m.notBefore.toISOString()}`,
    );

  if (!(await signedBy(m.address, p)))
    throw new SiweRefusedError(
      'WEB_SIWE_SIGNATURE',
      `the signature is not by ${m.address} over this message${p.contractVerifier ? '' : ' (smart-wallet signatures need a chain connection: RPC_URLS)'}`,
    );
  return { address: m.address, chainId: m.chainId, nonce: m.nonce, expirationTime: m.expirationTime };
}

/** An EOA's signature, recovered here; else, with a verifier, whatever the chain says of the address. */
async function signedBy(address: Address, p: VerifySiweParameters): Promise<boolean> {
  const signature = p.signature as Hex;
  if (signature.length === 132) {
    try {
      // No client: ECDSA recovery only, the address compared.
      if (await verifyMessage({ address, message: p.message, signature })) return true;
    } catch {
      // not a recoverable signature: maybe a wallet's
    }
  }
  if (!p.contractVerifier) return false;
  try {
    return await p.contractVerifier.verifyMessage({ address, message: p.message, signature });
  } catch (err) {
    throw siweVerifierUnavailable(err);
  }
}
