/**
 * Error codes of the web console's routes. Statuses come from the error classes (400, 401) until
 * the codes are added to the table in src/api/errors.ts; the table below lists each with its status
 * and meaning for that table and docs/errors.md.
 */
import { UnauthorizedError, UnavailableError, ValidationError } from '../platform/errors.ts';

/** code → status and one-line meaning (to be copied into ERROR_CODES). */
export const WEB_CODES = {
  WEB_SIWE_MESSAGE_INVALID: {
    status: 400,
    meaning: 'The Sign-In with Ethereum message is not a valid EIP-4361 message; details.issues says why.',
  },
  WEB_SIWE_DOMAIN: {
    status: 401,
    meaning:
      'The SIWE message was made for another site (domain or URI); sign in from the console itself, or set CB_PUBLIC_URL.',
  },
  WEB_SIWE_CHAIN: { status: 401, meaning: 'The SIWE message names another chain than the platform uses.' },
  WEB_SIWE_EXPIRED: {
    status: 401,
    meaning: 'The SIWE message has expired (expirationTime passed, or issuedAt too old); sign in again.',
  },
  WEB_SIWE_NOT_YET_VALID: {
    status: 401,
    meaning: 'The SIWE message is not valid yet (notBefore or issuedAt in the future); check the clock.',
  },
  WEB_SIWE_NONCE: {
    status: 401,
    meaning: 'The SIWE nonce is unknown, already used or expired; get a new one from GET /v1/auth/nonce.',
  },
  WEB_SIWE_SIGNATURE: {
    status: 401,
    meaning:
      'The signature is not by the address in the SIWE message (an EOA signature, or one its smart wallet accepts under ERC-1271).',
  },
  WEB_SIWE_VERIFIER_UNAVAILABLE: {
    status: 503,
    meaning:
      'A smart-wallet (ERC-1271) sign-in cannot be checked: no chain connection, or the chain did not answer; retry later.',
  },
  WEB_LOGS_NOT_CONFIGURED: {
    status: 404,
    meaning:
      'This server writes its log lines to stdout only: set CB_LOG_DIR for the Logs page and GET /v1/ops/logs (docs/logging.md).',
  },
  WEB_CONSOLE_NOT_BUILT: {
    status: 503,
    meaning: 'The web console has not been built on this install; run npm run build:web (an HTML page).',
  },
} as const;

export type WebCode = keyof typeof WEB_CODES;

/** A SIWE sign-in refused for a reason the member can act on (401). */
export class SiweRefusedError extends UnauthorizedError {
  override name = 'SiweRefusedError';
  constructor(
    code: Exclude<
      WebCode,
      'WEB_SIWE_MESSAGE_INVALID' | 'WEB_CONSOLE_NOT_BUILT' | 'WEB_SIWE_VERIFIER_UNAVAILABLE'
    >,
    message: string,
  ) {
    super(message, code);
  }
}

/** A malformed SIWE message (400). */
export function siweMessageInvalid(problem: string): ValidationError {
  return new ValidationError(
    `invalid SIWE message: ${problem}`,
    [{ path: 'body.message', message: problem }],
    'WEB_SIWE_MESSAGE_INVALID',
  );
}

/** The chain could not be asked about a smart-wallet signature (503). */
export function siweVerifierUnavailable(cause: unknown): UnavailableError {
  return new UnavailableError(
    'WEB_SIWE_VERIFIER_UNAVAILABLE',
    'the chain could not be asked to check a smart-wallet (ERC-1271) signature; retry later',
    { cause },
  );
}
