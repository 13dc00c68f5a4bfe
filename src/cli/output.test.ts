import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { logFileName } from '../platform/logs/log-file-names.ts';
import { percent, progressWriter } from './output.ts';

describe('progressWriter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('behavior: writes to stderr at most once per interval, building the line only then', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const progress = progressWriter('replay', 2000);
    const line = vi.fn(() => 'block 5');
    progress(line);
    now += 1999;
    progress(line);
    expect(written).toEqual([]);
    expect(line).not.toHaveBeenCalled();
    now += 1;
    progress(line);
    now += 500;
    progress(line);
    expect(written).toEqual(['replay: block 5\n']);
    expect(line).toHaveBeenCalledTimes(1);
  });
});

describe('percent', () => {
  test('args: numbers and block counts (bigint), rounded down; nothing to do is 100 %', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(50n, 200n)).toBe(25);
    expect(percent(0, 0)).toBe(100);
  });
});

describe('a reader that stops early', () => {
  test('behavior: `cb logs search | head` ends with exit code 0 and no stack when the pipe closes', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-epipe-'));
    try {
      const now = Date.now();
      // More than a pipe's buffer (64 KiB) of output, so writes go on after the reader left.
      const lines = Array.from({ length: 5000 }, (_, i) =>
        JSON.stringify({
          timestamp: new Date(now - i * 10).toISOString(),
          level: 'INFO',
          service: 'api',
          instance: 'a',
          traceId: 'c'.repeat(32),
          message: `line ${i}`,
          context: {},
          metrics: {},
        }),
      );
      writeFileSync(join(dir, logFileName('a', now)), `${lines.join('\n')}\n`);
      const child = spawn(
        process.execPath,
        [
          join(import.meta.dirname, '../../bin/cb.js'),
          'logs',
          'search',
          '--since',
          '1h',
          '--limit',
          '5000',
          '--json',
        ],
        { env: { ...process.env, CB_LOG_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      // Like `head -c 100`: read one chunk, then close the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(stderr).not.toContain('Unhandled');
      expect(stderr).not.toContain('EPIPE');
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
