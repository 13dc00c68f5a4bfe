import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { removeStaleTestDirs, testDirPrefix } from './stale-test-dirs.ts';

describe('leak-check (the setup file of every test file)', () => {
  test("behavior: this file's temporary directory is its own, and the processes it starts use it too", () => {
    const own = tmpdir();
    expect(basename(own).startsWith(testDirPrefix(process.pid))).toBe(true);
    // Traversable, not listable, by the scratch PostgreSQL server's user.
    expect(statSync(own).mode & 0o777).toBe(0o711);
    const childTmp = execFileSync(process.execPath, ['-p', "require('node:os').tmpdir()"], {
      encoding: 'utf8',
    });
    expect(childTmp.trim()).toBe(own);
  });

  test('behavior: the directories of processes that are gone are removed; a live process keeps its own; others are left', () => {
    const root = mkdtempSync(join(tmpdir(), 'sweep-'));
    try {
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      const stale = join(root, `${testDirPrefix(gone)}abc123`);
      mkdirSync(join(stale, 'cb-web-x'), { recursive: true });
      const live = join(root, `${testDirPrefix(process.pid)}def456`);
      mkdirSync(live);
      const unrelated = join(root, 'cb-test-old');
      mkdirSync(unrelated);
      expect(removeStaleTestDirs(root)).toEqual([basename(stale)]);
      expect([existsSync(stale), existsSync(live), existsSync(unrelated)]).toEqual([false, true, true]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
