/**
 * Errors of the badge role commands (`cb chain roles`). Stable codes, listed in ERROR_CODES
 * (src/api/errors.ts) and docs/errors.md; messages never carry a key or an RPC URL.
 */
import { BaseError, type ErrorDetails } from '../../platform/errors.ts';

export const ROLE_ERROR_CODES = {
  /** The signing key does not hold DEFAULT_ADMIN_ROLE on the badge: nothing was sent. */
  signerNotAdmin: 'CHAIN_ROLES_SIGNER_NOT_ADMIN',
  /** Revoking DEFAULT_ADMIN_ROLE from the last holder cb knows of, without --force. */
  lastAdmin: 'CHAIN_ROLES_LAST_ADMIN',
  /** The --admin-key-file cannot be used: unreadable, open to group or others, or not a private key. */
  adminKeyInvalid: 'CHAIN_ROLES_ADMIN_KEY_INVALID',
  /** The role change was mined but reverted, or the node refused it in simulation. */
  changeFailed: 'CHAIN_ROLES_CHANGE_FAILED',
  /** The change was sent but its receipt did not come `confirmations` deep in time: it may still be mined. */
  receiptTimeout: 'CHAIN_ROLES_RECEIPT_TIMEOUT',
} as const;

export type RoleErrorCode = (typeof ROLE_ERROR_CODES)[keyof typeof ROLE_ERROR_CODES];

/** An error of a role command; `message` is one line saying what to do. */
export class RoleError extends BaseError {
  override name = 'RoleError';
  declare readonly code: RoleErrorCode;

  constructor(
    code: RoleErrorCode,
    message: string,
    options: { details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}
