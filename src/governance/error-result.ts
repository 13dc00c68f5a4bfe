/**
 * The `result` label of a governance request that threw: `refused` when a check refused the
 * caller's request (the error classes the HTTP edge answers with a 4xx: bad input, a bad signature,
 * no such proposal, voting closed, a used nonce, no voting power…), `failed` for everything else
 * (a dependency unavailable, a database error, a timeout, a bug: the 5xx). The success-rate alerts
 * count only `failed`: a member's invalid ballot is not a failure of the system.
 */
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RuleViolationError,
  UnauthorizedError,
  ValidationError,
} from '../platform/errors.ts';

export type ErrorResult = 'refused' | 'failed';

export function errorResult(error: unknown): ErrorResult {
  return error instanceof ValidationError ||
    error instanceof UnauthorizedError ||
    error instanceof ForbiddenError ||
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof RuleViolationError
    ? 'refused'
    : 'failed';
}
