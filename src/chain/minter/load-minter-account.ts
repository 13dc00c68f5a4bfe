import { readFileSync } from 'node:fs';
import type { Hex, LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Config } from '../../platform/config.ts';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';

export type LoadMinterAccountParameters = Pick<Config, 'minterPrivateKey' | 'minterKeyFile'>;

export interface LoadMinterAccountOptions {
  /** Throw CHAIN_MINTER_KEY_MISSING when neither setting is set (instead of returning undefined). */
  required?: boolean | undefined;
}

const KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * The minter's signing account from CB_MINTER_PRIVATE_KEY or the file named by CB_MINTER_KEY_FILE
 * (its content: the key as 0x + 64 hex, or 64 hex, surrounding whitespace ignored). Returns
 * undefined when neither is set (unless `required`).
 *
 * The key never leaves this function except inside the account: no error message, detail or cause
 * carries it (viem's own errors are not chained because they may quote their input).
 * @throws MinterError CHAIN_MINTER_KEY_INVALID, CHAIN_MINTER_KEY_FILE_UNREADABLE,
 *   CHAIN_MINTER_KEY_CONFLICT, CHAIN_MINTER_KEY_MISSING.
 */
export function loadMinterAccount(
  config: LoadMinterAccountParameters,
  options: LoadMinterAccountOptions = {},
): LocalAccount | undefined {
  const { minterPrivateKey, minterKeyFile } = config;
  if (minterPrivateKey !== undefined && minterKeyFile !== undefined)
    throw new MinterError(
      MINTER_ERROR_CODES.keyConflict,
      'both CB_MINTER_PRIVATE_KEY and CB_MINTER_KEY_FILE are set: set only one (prefer the key file)',
    );
  if (minterPrivateKey !== undefined) return accountFrom(minterPrivateKey, 'CB_MINTER_PRIVATE_KEY');
  if (minterKeyFile !== undefined) {
    let content: string;
    try {
      content = readFileSync(minterKeyFile, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'read failed';
      throw new MinterError(
        MINTER_ERROR_CODES.keyFileUnreadable,
        `CB_MINTER_KEY_FILE ${minterKeyFile} cannot be read (${reason})`,
        { details: { file: minterKeyFile, reason } },
      );
    }
    return accountFrom(content, `CB_MINTER_KEY_FILE ${minterKeyFile}`);
  }
  if (options.required)
    throw new MinterError(
      MINTER_ERROR_CODES.keyMissing,
      'no minter key: set CB_MINTER_KEY_FILE (or CB_MINTER_PRIVATE_KEY) to the key of an account with MINTER_ROLE',
    );
  return undefined;
}

function accountFrom(raw: string, source: string): LocalAccount {
  const text = raw.trim();
  const invalid = () =>
    new MinterError(
      MINTER_ERROR_CODES.keyInvalid,
      `${source} is not a valid private key: expected 0x followed by 64 hex digits, a number between 1 and the secp256k1 order (value not shown)`,
    );
  if (!KEY.test(text)) throw invalid();
  const key = (text.startsWith('0x') ? text : `0x${text}`) as Hex;
  try {
    return privateKeyToAccount(key);
  } catch {
    // Zero or ≥ the curve order. The library's error is dropped on purpose: it may quote the key.
    throw invalid();
  }
}
