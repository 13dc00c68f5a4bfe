/**
 * A signing account from a private key setting or a key file setting (the minter's, the
 * governance executor's): the key as 0x + 64 hex, or 64 hex, surrounding whitespace ignored.
 * Returns undefined when neither is set.
 *
 * The key never leaves this function except inside the account: no error message, detail or cause
 * carries it (viem's own errors are not chained because they may quote their input).
 */
import { readFileSync } from 'node:fs';
import type { Hex, LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ErrorDetails } from '../platform/errors.ts';

export interface KeySettings {
  /** The key itself (an env variable's value). */
  privateKey: string | undefined;
  /** A file holding it (read here, once). */
  keyFile: string | undefined;
}

export interface KeyNames {
  /** Env variable of the key, e.g. CB_MINTER_PRIVATE_KEY. */
  privateKeyEnv: string;
  /** Env variable of the key file, e.g. CB_MINTER_KEY_FILE. */
  keyFileEnv: string;
  /** The caller's error for each problem (its own class and codes). */
  error(
    problem: 'invalid' | 'unreadable' | 'conflict',
    message: string,
    details?: ErrorDetails | undefined,
  ): Error;
}

const KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/** The account of `settings`; see the module comment. @throws names.error(…) */
export function loadKeyAccount(settings: KeySettings, names: KeyNames): LocalAccount | undefined {
  const { privateKey, keyFile } = settings;
  if (privateKey !== undefined && keyFile !== undefined)
    throw names.error(
      'conflict',
      `both ${names.privateKeyEnv} and ${names.keyFileEnv} are set: set only one (prefer the key file)`,
    );
  if (privateKey !== undefined) return accountFrom(privateKey, names.privateKeyEnv, names);
  if (keyFile === undefined) return undefined;
  let content: string;
  try {
    content = readFileSync(keyFile, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'read failed';
    throw names.error('unreadable', `${names.keyFileEnv} ${keyFile} cannot be read (${reason})`, {
      file: keyFile,
      reason,
    });
  }
  return accountFrom(content, `${names.keyFileEnv} ${keyFile}`, names);
}

function accountFrom(raw: string, source: string, names: KeyNames): LocalAccount {
  const text = raw.trim();
  const invalid = () =>
    names.error(
      'invalid',
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
