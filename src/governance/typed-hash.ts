/**
 * The EIP-712 hash of a governance message — exactly viem's `hashTypedData` of the same payload —
 * with the type hashes and each chain's domain separator computed once instead of per message
 * (on the ballot path they were half of the hashing). Every governance type is flat: each field
 * encodes as one 32-byte word (uint256/uint8 big-endian, address left-padded, string as the
 * keccak-256 of its UTF-8 bytes). typed-hash.test.ts checks it against viem. Unlike viem, an
 * address's mixed-case checksum is not enforced: the signed bytes are the same in any case.
 */
import { type Hex, keccak256, stringToBytes } from 'viem';
import {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  GOVERNANCE_TYPES,
  type GovernancePrimaryType,
  type TypedPayload,
} from './eip712.ts';

const WORD = 32;
const UINT256_MAX = 2n ** 256n - 1n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const hashBytes = (bytes: Uint8Array) => keccak256(bytes, 'bytes');
const hashText = (text: string) => hashBytes(stringToBytes(text));

const TYPE_HASHES = Object.fromEntries(
  Object.entries(GOVERNANCE_TYPES).map(([name, fields]) => [
    name,
    hashText(`${name}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`),
  ]),
) as Record<GovernancePrimaryType, Uint8Array>;

const DOMAIN_TYPE_HASH = hashText('EIP712Domain(string name,string version,uint256 chainId)');
const separators = new Map<number, Uint8Array>();

function writeUint(out: Uint8Array, at: number, value: unknown, bits: number, field: string) {
  const v = typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : Number.NaN;
  if (typeof v !== 'bigint' || v < 0n || v > (bits === 256 ? UINT256_MAX : 2n ** BigInt(bits) - 1n))
    throw new RangeError(`${field} is not a uint${bits}`);
  let rest = v;
  for (let i = at + WORD - 1; i >= at && rest > 0n; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

function domainSeparator(chainId: number): Uint8Array {
  let separator = separators.get(chainId);
  if (!separator) {
    const encoded = new Uint8Array(4 * WORD);
    encoded.set(DOMAIN_TYPE_HASH, 0);
    encoded.set(hashText(DOMAIN_NAME), WORD);
    encoded.set(hashText(DOMAIN_VERSION), 2 * WORD);
    writeUint(encoded, 3 * WORD, chainId, 256, 'chainId');
    separator = hashBytes(encoded);
    separators.set(chainId, separator);
  }
  return separator;
}

/** keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)) of a governance payload. */
export function hashGovernanceMessage<P extends GovernancePrimaryType>(payload: TypedPayload<P>): Hex {
  const fields = GOVERNANCE_TYPES[payload.primaryType];
  const message = payload.message as unknown as Record<string, unknown>;
  const encoded = new Uint8Array((fields.length + 1) * WORD);
  encoded.set(TYPE_HASHES[payload.primaryType], 0);
  fields.forEach((f, i) => {
    const at = (i + 1) * WORD;
    const value = message[f.name];
    if (f.type === 'string') {
      if (typeof value !== 'string') throw new TypeError(`${f.name} is not a string`);
      encoded.set(hashText(value), at);
    } else if (f.type === 'address') {
      if (typeof value !== 'string' || !ADDRESS.test(value))
        throw new TypeError(`${f.name} is not an address`);
      for (let b = 0; b < 20; b++)
        encoded[at + 12 + b] = Number.parseInt(value.slice(2 + 2 * b, 4 + 2 * b), 16);
    } else writeUint(encoded, at, value, f.type === 'uint8' ? 8 : 256, f.name);
  });
  const digest = new Uint8Array(2 + 2 * WORD);
  digest[0] = 0x19;
  digest[1] = 0x01;
  digest.set(domainSeparator(payload.domain.chainId), 2);
  digest.set(hashBytes(encoded), 2 + WORD);
  return keccak256(digest);
}
