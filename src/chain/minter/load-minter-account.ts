import type { LocalAccount } from 'viem';
import type { Config } from '../../platform/config.ts';
import { loadKeyAccount } from '../load-key-account.ts';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';

export type LoadMinterAccountParameters = Pick<Config, 'minterPrivateKey' | 'minterKeyFile'>;

export interface LoadMinterAccountOptions {
  /** Throw CHAIN_MINTER_KEY_MISSING when neither setting is set (instead of returning undefined). */
  required?: boolean | undefined;
}

const CODES = {
  invalid: MINTER_ERROR_CODES.keyInvalid,
  unreadable: MINTER_ERROR_CODES.keyFileUnreadable,
  conflict: MINTER_ERROR_CODES.keyConflict,
} as const;

/**
 * The minter's signing account from CB_MINTER_PRIVATE_KEY or the file named by CB_MINTER_KEY_FILE
 * (see loadKeyAccount: the key is never in an error). Returns undefined when neither is set
 * (unless `required`).
 * @throws MinterError CHAIN_MINTER_KEY_INVALID, CHAIN_MINTER_KEY_FILE_UNREADABLE,
 *   CHAIN_MINTER_KEY_CONFLICT, CHAIN_MINTER_KEY_MISSING.
 */
export function loadMinterAccount(
  config: LoadMinterAccountParameters,
  options: LoadMinterAccountOptions = {},
): LocalAccount | undefined {
  const account = loadKeyAccount(
    { privateKey: config.minterPrivateKey, keyFile: config.minterKeyFile },
    {
      privateKeyEnv: 'CB_MINTER_PRIVATE_KEY',
      keyFileEnv: 'CB_MINTER_KEY_FILE',
      error: (problem, message, details) =>
        new MinterError(CODES[problem], message, details ? { details } : {}),
    },
  );
  if (!account && options.required)
    throw new MinterError(
      MINTER_ERROR_CODES.keyMissing,
      'no minter key: set CB_MINTER_KEY_FILE (or CB_MINTER_PRIVATE_KEY) to the key of an account with MINTER_ROLE',
    );
  return account;
}
