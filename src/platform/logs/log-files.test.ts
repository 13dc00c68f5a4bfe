/** Log files: every line also in a daily file, a new file at midnight UTC, old days deleted. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createLogger } from '../logger.ts';
import { createLogFileStream, listLogFiles, logFileName, REOPEN_AFTER_MS } from './log-files.ts';
import { runLogMaintenance } from './log-tiers.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cb-logs-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const flush = (s: { flush(cb: () => void): void }) =>
  new Promise<void>((resolve) => s.flush(() => resolve()));

describe('log files', () => {
  test('default: the logger writes every line to stdout and, the same JSON, to the day’s file', async () => {
    const dir = join(tempDir(), 'logs');
    const out: string[] = [];
    const logger = createLogger({
      service: 'api',
      instance: 'web 1/a',
      level: 'info',
      destination: { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream,
      files: { dir, instance: 'web 1/a', retentionDays: 7 },
    });
    logger.info('request completed', { context: { statusCode: 200 } });
    logger.child('db').warn('slow query', { metrics: { durationMs: 250 } });
    logger.debug('not written: below the level');
    await logger.flush();
    const file = join(dir, logFileName('web 1/a', Date.now()));
    expect(file).toMatch(/cb-web_1_a-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toEqual(out.join('').trim().split('\n'));
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      {
        level: 'INFO',
        service: 'api',
        instance: 'web 1/a',
        message: 'request completed',
        context: { statusCode: 200 },
      },
      { level: 'WARN', service: 'db', message: 'slow query', metrics: { durationMs: 250 } },
    ]);
  });

  test('behavior: at midnight UTC the lines go to the next day’s file, and days past the retention are deleted', async () => {
    const dir = tempDir();
    const day = (iso: string) => Date.parse(iso);
    writeFileSync(join(dir, 'cb-old-2026-11-18.jsonl'), '{}\n');
    writeFileSync(join(dir, 'cb-old-2026-11-19.jsonl'), '{}\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a log file\n');
    let now = day('2026-11-26T23:59:59.000Z');
    const stream = createLogFileStream({ dir, instance: 'w1', retentionDays: 7, now: () => now });
    // Start-up prunes, in the background: 2026-11-19 is the oldest day kept.
    await stream.maintained();
    expect(existsSync(join(dir, 'cb-old-2026-11-18.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'cb-old-2026-11-19.jsonl'))).toBe(true);
    stream.write('{"n":1}\n');
    now = day('2026-11-27T00:00:01.000Z');
    stream.write('{"n":2}\n');
    await flush(stream);
    await stream.maintained();
    expect(readFileSync(join(dir, 'cb-w1-2026-11-26.jsonl'), 'utf8')).toBe('{"n":1}\n');
    expect(readFileSync(join(dir, 'cb-w1-2026-11-27.jsonl'), 'utf8')).toBe('{"n":2}\n');
    // The new day pruned 2026-11-19 (now 8 days old); other files are never touched.
    expect(listLogFiles(dir).map((f) => f.file)).toEqual([
      'cb-w1-2026-11-26.jsonl',
      'cb-w1-2026-11-27.jsonl',
    ]);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    stream.end();
  });

  test('error: a file that fails is opened again a minute later; the lines meanwhile are counted and said', async () => {
    const dir = tempDir();
    let now = Date.parse('2026-11-26T23:59:00.000Z');
    const stream = createLogFileStream({ dir, instance: 'w1', retentionDays: 7, now: () => now });
    stream.write('{"n":1}\n');
    await flush(stream);
    // The directory is gone when the next day's file is opened: writing fails.
    rmSync(dir, { recursive: true, force: true });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      now = Date.parse('2026-11-27T00:00:01.000Z');
      stream.write('{"n":2}\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      stream.write('{"n":3}\n');
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(
        /^cb: log file not written: ENOENT/,
      );
    } finally {
      stderr.mockRestore();
    }
    mkdirSync(dir, { recursive: true });
    now += REOPEN_AFTER_MS;
    stream.write('{"n":4}\n');
    await flush(stream);
    const lines = readFileSync(join(dir, 'cb-w1-2026-11-27.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: expect.stringMatching(/^log lines dropped/),
        metrics: { dropped: 2 },
      }),
      { n: 4 },
    ]);
    stream.end();
  });

  test('edge: files are readable by their owner and group only', async () => {
    const dir = tempDir();
    const stream = createLogFileStream({ dir, instance: 'w1', retentionDays: 7 });
    stream.write('{"n":1}\n');
    await flush(stream);
    expect(statSync(join(dir, logFileName('w1', Date.now()))).mode & 0o777).toBe(0o640);
    stream.end();
  });

  test('error: a directory that cannot be made stops the start with a clear message', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    expect(() => createLogFileStream({ dir: join(file, 'logs'), instance: 'w1', retentionDays: 7 })).toThrow(
      /^CB_LOG_DIR: .*a-file\/logs cannot be written: ENOTDIR/,
    );
  });

  test('edge: a missing directory lists nothing and prunes nothing', async () => {
    expect(listLogFiles('/nonexistent/cb-logs')).toEqual([]);
    expect(await runLogMaintenance({ dir: '/nonexistent/cb-logs', retentionDays: 7 })).toMatchObject({
      deleted: 0,
      failures: [],
    });
  });
});
