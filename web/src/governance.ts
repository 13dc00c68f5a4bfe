/**
 * Signed governance requests (src/governance, docs/governance.md). The EIP-712 domain and types
 * are read from `GET /v1/governance`, so the console signs exactly what the server verifies.
 * Nonces are the current time in ms: always above the previous one, as the API requires.
 */
import type { Hex, TypedDataDefinition } from 'viem';
import { SUPPORT_CODES, type Support } from '../../src/governance/eip712.ts';
import type {
  ProposalDetailShape,
  ProposalListItem,
  TallyShape,
} from '../../src/governance/proposal-shape.ts';
import { api } from './api.ts';
import type { Wallet } from './wallet.ts';

export { SUPPORT_CODES, type Support };
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export interface GovernanceInfo {
  domain: { name: string; version: string; chainId: number };
  types: Record<string, { name: string; type: string }[]>;
  parameters: Record<string, unknown>;
  latestIndexedBlock: string;
  latestConfirmedBlock: string;
}

/** The live tally of a proposal, as the server sends it. */
export type Tally = TallyShape;

/** A proposal as listed; a detail read adds its body, transitions and, with `?voter=`, the vote. */
export type Proposal = ProposalListItem &
  Partial<Pick<ProposalDetailShape, 'body' | 'vote' | 'transitions' | 'executions'>>;

let info: Promise<GovernanceInfo> | undefined;
export function governanceInfo(): Promise<GovernanceInfo> {
  info ??= api<GovernanceInfo>('/v1/governance', {
    check: (b) => typeof (b as GovernanceInfo).domain === 'object',
  });
  info.catch(() => {
    info = undefined;
  });
  return info;
}

function typedData(
  g: GovernanceInfo,
  primaryType: string,
  message: Record<string, unknown>,
): TypedDataDefinition {
  return { domain: g.domain, types: g.types, primaryType, message } as unknown as TypedDataDefinition;
}

export async function castBallot(wallet: Wallet, proposalId: string, support: Support, reason: string) {
  const g = await governanceInfo();
  const nonce = BigInt(Date.now());
  const signature: Hex = await wallet.signTypedData(
    typedData(g, 'Ballot', {
      proposalId: BigInt(proposalId),
      voter: wallet.address,
      support: SUPPORT_CODES[support],
      reason,
      nonce,
    }),
  );
  return api<{ ballotId: string; weight: string; replacedPrevious: boolean }>(
    `/v1/proposals/${proposalId}/votes`,
    {
      method: 'POST',
      body: { voter: wallet.address, support, reason, nonce: nonce.toString(), signature, domain: g.domain },
    },
  );
}

export async function delegate(wallet: Wallet, delegatee: string) {
  const g = await governanceInfo();
  const nonce = BigInt(Date.now());
  const expiry = BigInt(Math.floor(Date.now() / 1000) + 600);
  const signature: Hex = await wallet.signTypedData(
    typedData(g, 'Delegation', { delegator: wallet.address, delegatee, nonce, expiry }),
  );
  return api<{ delegatee: string | null; effectiveFromBlock: string }>('/v1/delegations', {
    method: 'POST',
    body: {
      delegator: wallet.address,
      delegatee,
      nonce: nonce.toString(),
      expiry: expiry.toString(),
      signature,
      domain: g.domain,
    },
  });
}
