/**
 * The governance executor's signing account (it sends the calls of passed `onchain_call`
 * proposals) from CB_EXECUTOR_PRIVATE_KEY or the file named by CB_EXECUTOR_KEY_FILE; undefined when
 * neither is set. The key is never in an error (loadKeyAccount).
 * @throws BaseError CHAIN_EXECUTOR_KEY_INVALID, CHAIN_EXECUTOR_KEY_FILE_UNREADABLE, CHAIN_EXECUTOR_KEY_CONFLICT.
 */
import type { LocalAccount } from 'viem';
import type { Config } from '../platform/config.ts';
import { BaseError } from '../platform/errors.ts';
import { loadKeyAccount } from './load-key-account.ts';

const CODES = {
  invalid: 'CHAIN_EXECUTOR_KEY_INVALID',
  unreadable: 'CHAIN_EXECUTOR_KEY_FILE_UNREADABLE',
  conflict: 'CHAIN_EXECUTOR_KEY_CONFLICT',
} as const;

export function loadExecutorAccount(
  config: Pick<Config, 'executorPrivateKey' | 'executorKeyFile'>,
): LocalAccount | undefined {
  return loadKeyAccount(
    { privateKey: config.executorPrivateKey, keyFile: config.executorKeyFile },
    {
      privateKeyEnv: 'CB_EXECUTOR_PRIVATE_KEY',
      keyFileEnv: 'CB_EXECUTOR_KEY_FILE',
      error: (problem, message, details) =>
        new BaseError(CODES[problem], message, details ? { details } : {}),
    },
  );
}
