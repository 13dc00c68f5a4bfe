/**
 * The badge admin's signing account for `cb chain roles grant|revoke`, from `--admin-key-file`:
 * a file holding the key as 0x + 64 hex (loadKeyAccount's rules). Like the backup key
 * (ops/backup/backup-key.ts) and as ssh wants of a private key, the file must be the owner's alone:
 * one that group or others can read protects nothing. The key never leaves the account: no message
 * carries it.
 * @throws RoleError CHAIN_ROLES_ADMIN_KEY_INVALID
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LocalAccount } from 'viem';
import { loadKeyAccount } from '../load-key-account.ts';
import { ROLE_ERROR_CODES, RoleError } from './errors.ts';

const OPTION = '--admin-key-file';

export function loadAdminKeyAccount(file: string): LocalAccount {
  const path = resolve(file);
  const invalid = (why: string) =>
    new RoleError(ROLE_ERROR_CODES.adminKeyInvalid, `${OPTION} ${path}: ${why}`);
  let mode: number;
  try {
    const info = statSync(path);
    if (!info.isFile()) throw invalid('not a regular file');
    mode = info.mode & 0o777;
  } catch (err) {
    if (err instanceof RoleError) throw err;
    throw invalid(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if ((mode & 0o077) !== 0)
    throw invalid(
      `group or others have access to it (mode 0${mode.toString(8)}): \`chmod 600 ${path}\`, owned by the user running cb`,
    );
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
