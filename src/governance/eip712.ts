/**
 * The EIP-712 domain and types every signed governance request uses. A wallet signs these with
 * `eth_signTypedData_v4`; docs/governance.md shows each type. The domain has no
 * `verifyingContract` (there is no governor contract: votes are counted off chain), so the chain
 * id and the name/version pair are what bind a signature to this deployment.
 */
import type { Address, Hex, TypedDataDomain } from 'viem';

/** EIP-712 domain name of every governance signature. */
export const DOMAIN_NAME = 'cb governance';
/** EIP-712 domain version; bumped when a type changes shape. */
export const DOMAIN_VERSION = '1';

export interface GovernanceDomain {
  name: typeof DOMAIN_NAME;
  version: typeof DOMAIN_VERSION;
  chainId: number;
}

export function governanceDomain(chainId: number): GovernanceDomain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId };
}

/** Ballot support as signed: 0 against, 1 for, 2 abstain (OpenZeppelin Governor's numbering). */
export const SUPPORT_CODES = { against: 0, for: 1, abstain: 2 } as const;
export type Support = keyof typeof SUPPORT_CODES;
export const SUPPORTS = ['for', 'against', 'abstain'] as const satisfies readonly Support[];

export function supportOfCode(code: number): Support | undefined {
  return code === 0 ? 'against' : code === 1 ? 'for' : code === 2 ? 'abstain' : undefined;
}

/** Every governance type; each request uses one as its primaryType. */
export const GOVERNANCE_TYPES = {
  Ballot: [
    { name: 'proposalId', type: 'uint256' },
    { name: 'voter', type: 'address' },
    { name: 'support', type: 'uint8' },
    { name: 'reason', type: 'string' },
    { name: 'nonce', type: 'uint256' },
  ],
  Delegation: [
    { name: 'delegator', type: 'address' },
    { name: 'delegatee', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint256' },
  ],
  ProposalRequest: [
    { name: 'proposer', type: 'address' },
    { name: 'title', type: 'string' },
    { name: 'body', type: 'string' },
    { name: 'proposalType', type: 'string' },
    { name: 'actions', type: 'string' },
    { name: 'settings', type: 'string' },
    { name: 'nonce', type: 'uint256' },
  ],
  Cancel: [
    { name: 'proposalId', type: 'uint256' },
    { name: 'proposer', type: 'address' },
  ],
} as const;

export type GovernancePrimaryType = keyof typeof GOVERNANCE_TYPES;

export interface BallotMessage {
  proposalId: bigint;
  voter: Address;
  support: number;
  reason: string;
  nonce: bigint;
}

export interface DelegationMessage {
  delegator: Address;
  delegatee: Address;
  nonce: bigint;
  /** Unix seconds after which the signature is refused. */
  expiry: bigint;
}

export interface ProposalRequestMessage {
  proposer: Address;
  title: string;
  body: string;
  proposalType: string;
  /** The actions as JSON text, exactly as signed (parsed after verification). */
  actions: string;
  /** Optional settings as JSON text (`{}` for the defaults). */
  settings: string;
  nonce: bigint;
}

export interface CancelMessage {
  proposalId: bigint;
  proposer: Address;
}

export interface MessageOf {
  Ballot: BallotMessage;
  Delegation: DelegationMessage;
  ProposalRequest: ProposalRequestMessage;
  Cancel: CancelMessage;
}

/** A typed-data payload ready for viem's `signTypedData` / `verifyTypedData`. */
export interface TypedPayload<P extends GovernancePrimaryType> {
  domain: GovernanceDomain;
  types: typeof GOVERNANCE_TYPES;
  primaryType: P;
  message: MessageOf[P];
}

export function typedPayload<P extends GovernancePrimaryType>(
  chainId: number,
  primaryType: P,
  message: MessageOf[P],
): TypedPayload<P> {
  return { domain: governanceDomain(chainId), types: GOVERNANCE_TYPES, primaryType, message };
}

/** A domain a client says it signed with (optional in requests; checked when present). */
export interface StatedDomain {
  name?: string | undefined;
  version?: string | undefined;
  chainId?: number | string | undefined;
  verifyingContract?: string | undefined;
}

/** Why a stated domain is not ours, or undefined when it matches. */
export function domainProblem(
  stated: StatedDomain | undefined,
  expected: TypedDataDomain,
): string | undefined {
  if (!stated) return undefined;
  if (stated.name !== undefined && stated.name !== expected.name)
    return `domain name must be "${expected.name}", got "${stated.name}"`;
  if (stated.version !== undefined && stated.version !== expected.version)
    return `domain version must be "${expected.version}", got "${stated.version}"`;
  if (stated.chainId !== undefined && Number(stated.chainId) !== Number(expected.chainId))
    return `domain chainId must be ${expected.chainId}, got ${stated.chainId}`;
  if (stated.verifyingContract !== undefined)
    return 'the governance domain has no verifyingContract; sign without one';
  return undefined;
}

export type Signature = Hex;
