import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadExecutorAccount } from './load-executor-account.ts';

const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'; // hardhat #0 (public)
const none = { executorPrivateKey: undefined, executorKeyFile: undefined };

describe('loadExecutorAccount', () => {
  test('default: from CB_EXECUTOR_PRIVATE_KEY or CB_EXECUTOR_KEY_FILE; none set is no executor', () => {
    expect(loadExecutorAccount(none)).toBeUndefined();
    const fromEnv = loadExecutorAccount({ ...none, executorPrivateKey: KEY });
    expect(fromEnv?.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    const file = join(mkdtempSync(join(tmpdir(), 'cb-exec-')), 'key');
    writeFileSync(file, `${KEY.slice(2)}\n`);
    expect(loadExecutorAccount({ ...none, executorKeyFile: file })?.address).toBe(fromEnv?.address);
  });

  test('error: a bad key, an unreadable file or both settings give the executor codes, never the key', () => {
    const bad = `${KEY.slice(0, -1)}z`;
    const problems = [
      [{ ...none, executorPrivateKey: bad }, 'CHAIN_EXECUTOR_KEY_INVALID'],
      [{ ...none, executorKeyFile: '/nonexistent/key' }, 'CHAIN_EXECUTOR_KEY_FILE_UNREADABLE'],
      [{ executorPrivateKey: KEY, executorKeyFile: '/nonexistent/key' }, 'CHAIN_EXECUTOR_KEY_CONFLICT'],
    ] as const;
    for (const [settings, code] of problems) {
      let thrown: unknown;
      try {
        loadExecutorAccount(settings);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code });
      expect(
        JSON.stringify({ m: (thrown as Error).message, d: (thrown as { details?: unknown }).details }),
      ).not.toContain(KEY.slice(10, 40));
    }
  });
});
