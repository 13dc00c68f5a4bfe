import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAddress } from 'viem/accounts';
import { describe, expect, test } from 'vitest';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';
import { loadMinterAccount } from './load-minter-account.ts';

// Hardhat's public test key #1 — never a real secret.
const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const dir = mkdtempSync(join(tmpdir(), 'cb-minter-key-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
};
const none = { minterPrivateKey: undefined, minterKeyFile: undefined };

function thrown(fn: () => unknown): MinterError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MinterError);
    return err as MinterError;
  }
  throw new Error('did not throw');
}

describe('loadMinterAccount', () => {
  test('default: from CB_MINTER_PRIVATE_KEY', () => {
    expect(loadMinterAccount({ ...none, minterPrivateKey: KEY })?.address).toBe(privateKeyToAddress(KEY));
  });

  test('args: from CB_MINTER_KEY_FILE, with or without 0x, whitespace ignored', () => {
    const a = loadMinterAccount({ ...none, minterKeyFile: file('a.key', `${KEY}\n`) });
    const b = loadMinterAccount({ ...none, minterKeyFile: file('b.key', `  ${KEY.slice(2)}  \n`) });
    expect(a?.address).toBe(privateKeyToAddress(KEY));
    expect(b?.address).toBe(privateKeyToAddress(KEY));
  });

  test('behavior: neither set: undefined, or CHAIN_MINTER_KEY_MISSING when required', () => {
    expect(loadMinterAccount(none)).toBeUndefined();
    expect(thrown(() => loadMinterAccount(none, { required: true })).code).toBe(
      MINTER_ERROR_CODES.keyMissing,
    );
  });

  test('error: a key outside the curve order: CHAIN_MINTER_KEY_INVALID, value never echoed', () => {
    const bad = `0x${'ff'.repeat(32)}`;
    const err = thrown(() => loadMinterAccount({ ...none, minterPrivateKey: bad }));
    expect(err.code).toBe(MINTER_ERROR_CODES.keyInvalid);
    expect(err.cause).toBeUndefined();
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack })).not.toMatch(/ffffffff/i);
  });

  test('error: a key file with something else in it: CHAIN_MINTER_KEY_INVALID, content never echoed', () => {
    const err = thrown(() =>
      loadMinterAccount({
        ...none,
        minterKeyFile: file('bad.key', 'mnemonic words are not a key 0xdeadbeef'),
      }),
    );
    expect(err.code).toBe(MINTER_ERROR_CODES.keyInvalid);
    expect(err.message).toContain('bad.key');
    expect(err.message).not.toMatch(/mnemonic|deadbeef/);
  });

  test('error: a missing key file: CHAIN_MINTER_KEY_FILE_UNREADABLE', () => {
    const err = thrown(() => loadMinterAccount({ ...none, minterKeyFile: join(dir, 'missing.key') }));
    expect(err.code).toBe(MINTER_ERROR_CODES.keyFileUnreadable);
    expect(err.message).toMatch(/ENOENT/);
  });

  test('error: both settings: CHAIN_MINTER_KEY_CONFLICT', () => {
    const err = thrown(() => loadMinterAccount({ minterPrivateKey: KEY, minterKeyFile: file('c.key', KEY) }));
    expect(err.code).toBe(MINTER_ERROR_CODES.keyConflict);
    expect(err.message).not.toContain(KEY.slice(2, 20));
  });
});
