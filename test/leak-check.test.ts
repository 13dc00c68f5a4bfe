import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';

describe('leak-check (the setup file of every test file)', () => {
  test("behavior: this file's temporary directory is its own, and the processes it starts use it too", () => {
    const own = tmpdir();
    expect(basename(own)).toMatch(/^cb-test-/);
    // Traversable, not listable, by the scratch PostgreSQL server's user.
    expect(statSync(own).mode & 0o777).toBe(0o711);
    const childTmp = execFileSync(process.execPath, ['-p', "require('node:os').tmpdir()"], {
      encoding: 'utf8',
    });
    expect(childTmp.trim()).toBe(own);
  });
});
