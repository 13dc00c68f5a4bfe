/**
 * Errors of the governance domain. Each code is stable and listed (with its HTTP status) in
 * `ERROR_CODES` of src/api/errors.ts; the class gives the status when a code is not (yet) there.
 */
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  UnauthorizedError,
  ValidationError,
} from '../platform/errors.ts';

export type Issue = { path: string; message: string };

/** A malformed governance request (400): bad address, nonce, signature text, cursor… */
export function badRequest(
  code: 'GOV_BAD_ADDRESS' | 'GOV_REQUEST_INVALID',
  message: string,
  issues: Issue[] = [],
) {
  return new ValidationError(message, issues, code);
}

/** The signature does not bind the stated signer to this deployment's EIP-712 domain (401). */
export class SignatureError extends UnauthorizedError {
  override name = 'SignatureError';
  constructor(
    code: 'GOV_SIGNATURE_INVALID' | 'GOV_DOMAIN_MISMATCH' | 'GOV_SIGNATURE_EXPIRED',
    message: string,
  ) {
    super(message, code);
  }
}

export function proposalNotFound(id: string): NotFoundError {
  return new NotFoundError(`no proposal ${id}`, 'GOV_PROPOSAL_NOT_FOUND');
}

/** A request that conflicts with the proposal's state or the stored ballots (409). */
export function conflict(
  code:
    | 'GOV_PROPOSAL_NOT_ACTIVE'
    | 'GOV_VOTE_CHANGE_NOT_ALLOWED'
    | 'GOV_NONCE_STALE'
    | 'GOV_NONCE_USED'
    | 'GOV_CANCEL_NOT_ALLOWED'
    | 'GOV_NOT_EXECUTABLE'
    | 'GOV_EXECUTION_IN_PROGRESS'
    | 'GOV_EXECUTION_PAUSED',
  message: string,
  details?: Record<string, unknown>,
): ConflictError {
  return new ConflictError(code, message, { details });
}

/** A well-formed request a governance rule refuses (422). */
export function ruleViolation(
  code:
    | 'GOV_NO_VOTING_POWER'
    | 'GOV_BELOW_PROPOSAL_THRESHOLD'
    | 'GOV_PROPOSAL_INVALID'
    | 'GOV_SELF_DELEGATION'
    | 'GOV_BLOCK_NOT_INDEXED'
    | 'GOV_ONCHAIN_DISABLED',
  message: string,
  details?: Record<string, unknown>,
): RuleViolationError {
  return new RuleViolationError(code, message, { details });
}

/** The proposal is invalid; `issues` names each bad field (`actions.0.value`). */
export function proposalInvalid(issues: Issue[]): RuleViolationError {
  return ruleViolation(
    'GOV_PROPOSAL_INVALID',
    `proposal invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

export function notProposer(): ForbiddenError {
  return new ForbiddenError(
    'only the proposer (or a guardian key) may cancel this proposal',
    'GOV_NOT_PROPOSER',
  );
}
