/**
 * The badge admin's signing account for `cb chain roles grant|revoke`, from `--admin-key-file`:
 * a file holding the key as 0x + 64 hex (loadKeyAccount's rules), the owner's alone like the
 * backup key (privateFileProblem). The key never leaves the account: no message carries it.
 * @throws RoleError CHAIN_ROLES_ADMIN_KEY_INVALID
 */
import { resolve } from 'node:path';
import type { LocalAccount } from 'viem';
import { privateFileProblem } from '../../platform/private-file-problem.ts';
import { loadKeyAccount } from '../load-key-account.ts';
import { ROLE_ERROR_CODES, RoleError } from './errors.ts';

const OPTION = '--admin-key-file';

export function loadAdminKeyAccount(file: string): LocalAccount {
  const path = resolve(file);
  const invalid = (why: string) =>
    new RoleError(ROLE_ERROR_CODES.adminKeyInvalid, `${OPTION} ${path}: ${why}`);
  const problem = privateFileProblem(path);
  if (problem) throw invalid(problem);
  const account = loadKeyAccount(
    { privateKey: undefined, keyFile: path },
    {
      privateKeyEnv: OPTION,
      keyFileEnv: OPTION,
      // loadKeyAccount's messages already name the file; they never carry the key.
      error: (_problem, message) => new RoleError(ROLE_ERROR_CODES.adminKeyInvalid, message),
    },
  );
  if (!account) throw invalid('no key'); // unreachable: a key file was given
  return account;
}
