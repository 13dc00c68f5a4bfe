import { randomBytes } from 'node:crypto';
import { type Address, getAddress, hashTypedData, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { type GovernancePrimaryType, type MessageOf, typedPayload } from './eip712.ts';
import { hashGovernanceMessage } from './typed-hash.ts';

const address = () => toHex(randomBytes(20)) as Address;
const uint = () => BigInt(toHex(randomBytes(1 + (randomBytes(1)[0]! % 32))));
const text = () =>
  ['', 'bench', 'é💥 "quoted" \\ {x}', 'x'.repeat(5000), randomBytes(40).toString('base64')][
    randomBytes(1)[0]! % 5
  ]!;

const messages: { [P in GovernancePrimaryType]: () => MessageOf[P] } = {
  Ballot: () => ({
    proposalId: uint(),
    voter: address(),
    support: randomBytes(1)[0]! % 3,
    reason: text(),
    nonce: uint(),
  }),
  Delegation: () => ({ delegator: address(), delegatee: address(), nonce: uint(), expiry: uint() }),
  ProposalRequest: () => ({
    proposer: address(),
    title: text(),
    body: text(),
    proposalType: 'signal',
    actions: '[]',
    settings: '{}',
    nonce: uint(),
  }),
  Cancel: () => ({ proposalId: uint(), proposer: address() }),
};

describe('hashGovernanceMessage', () => {
  it('is viem’s hashTypedData for every governance type, on several chains', () => {
    for (const chainId of [1, 31337, 8453, 2 ** 40])
      for (const primaryType of Object.keys(messages) as GovernancePrimaryType[])
        for (let i = 0; i < 25; i++) {
          const payload = typedPayload(chainId, primaryType, messages[primaryType]() as never);
          expect(hashGovernanceMessage(payload)).toBe(hashTypedData(payload as never));
        }
  });

  it('covers the edges of each field: 0, 2^256−1, uint8 255, checksummed addresses', () => {
    const max = 2n ** 256n - 1n;
    const payload = typedPayload(1, 'Ballot', {
      proposalId: max,
      voter: getAddress('0xabcdef0123456789abcdef0123456789abcdef01'),
      support: 255,
      reason: '',
      nonce: 0n,
    });
    expect(hashGovernanceMessage(payload)).toBe(hashTypedData(payload as never));
  });

  it('refuses values the types cannot hold, as viem does', () => {
    const base = { proposalId: 1n, voter: address(), support: 1, reason: '', nonce: 1n };
    for (const bad of [
      { ...base, proposalId: 2n ** 256n },
      { ...base, nonce: -1n },
      { ...base, support: 256 },
      { ...base, voter: '0x1234' as Address },
    ]) {
      const payload = typedPayload(1, 'Ballot', bad);
      expect(() => hashGovernanceMessage(payload)).toThrow();
      expect(() => hashTypedData(payload as never)).toThrow();
    }
  });
});
