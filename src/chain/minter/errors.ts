/**
 * Errors of the minter. Each has a stable code (listed in `docs/errors.md`), a one-line message
 * that says what to do, and never a private key or an RPC URL.
 */
import { BaseError, type ErrorDetails } from '../../platform/errors.ts';

/** Stable codes of the minter's errors. */
export const MINTER_ERROR_CODES = {
  /** CB_MINTER_PRIVATE_KEY or the key file's content is not a usable secp256k1 private key. */
  keyInvalid: 'CHAIN_MINTER_KEY_INVALID',
  /** CB_MINTER_KEY_FILE cannot be read (missing, a directory, no permission). */
  keyFileUnreadable: 'CHAIN_MINTER_KEY_FILE_UNREADABLE',
  /** Both CB_MINTER_PRIVATE_KEY and CB_MINTER_KEY_FILE are set: which one is meant is unclear. */
  keyConflict: 'CHAIN_MINTER_KEY_CONFLICT',
  /** Neither key setting is set although a minter is required. */
  keyMissing: 'CHAIN_MINTER_KEY_MISSING',
  /** The RPC endpoint does not answer (start-up check). Retryable. */
  rpcUnreachable: 'CHAIN_MINTER_RPC_UNREACHABLE',
  /** The endpoint serves another chain than the configured one. */
  wrongChain: 'CHAIN_MINTER_WRONG_CHAIN',
  /** No contract code at the badge address (wrong address or wrong chain). */
  noContract: 'CHAIN_MINTER_NO_CONTRACT',
  /** The minter account lacks MINTER_ROLE on the badge contract. */
  roleMissing: 'CHAIN_MINTER_ROLE_MISSING',
  /** The chain has fewer transactions from the minter than mint_txs records: chain reset, or another chain's database. */
  nonceBehind: 'CHAIN_MINTER_NONCE_BEHIND',
  /** The minter account cannot pay for gas. Retryable once funded. */
  insufficientFunds: 'CHAIN_MINTER_INSUFFICIENT_FUNDS',
  /** A mined batch's BadgeMinted logs do not match its outbox rows; the rows stay `submitted`. */
  receiptMismatch: 'CHAIN_MINTER_RECEIPT_MISMATCH',
} as const;

export type MinterErrorCode = (typeof MINTER_ERROR_CODES)[keyof typeof MINTER_ERROR_CODES];

const RETRYABLE: ReadonlySet<MinterErrorCode> = new Set([
  MINTER_ERROR_CODES.rpcUnreachable,
  MINTER_ERROR_CODES.insufficientFunds,
]);

/** An error of the minter; `message` is one line (main prints `code: message`). */
export class MinterError extends BaseError {
  override name = 'MinterError';
  declare readonly code: MinterErrorCode;

  constructor(
    code: MinterErrorCode,
    message: string,
    options: { details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retryable: RETRYABLE.has(code) });
  }
}
