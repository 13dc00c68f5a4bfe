/** `cb logs search|errors` over log files, CB_LOG_DIR, and the errors of bad input. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { logFileName } from '../platform/logs/log-files.ts';
import { registerLogs } from './logs.ts';
import { runCliInProcess } from './test-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'cb-logs-cli-'));
const savedEnv = { ...process.env };
const cb = (...args: string[]) => runCliInProcess((program) => registerLogs(program), args);

const now = Date.now();
const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
const line = (secondsAgo: number, fields: Record<string, unknown>) =>
  JSON.stringify({
    timestamp: at(secondsAgo),
    level: 'INFO',
    service: 'api',
    instance: 'web-1',
    traceId: 'c'.repeat(32),
    message: 'request completed',
    context: {},
    metrics: {},
    ...fields,
  });

beforeAll(() => {
  const lines = [
    line(7200, { message: 'two hours ago' }),
    line(300, { context: { statusCode: 500, route: '/v1/events' }, metrics: { durationMs: 1800 } }),
    line(200, { context: { statusCode: 200, route: '/v1/events' }, metrics: { durationMs: 40 } }),
    line(100, {
      level: 'ERROR',
      service: 'minter',
      traceId: 'd'.repeat(32),
      message: 'mint batch 7 failed',
      context: { error: { code: 'CB_RPC_TIMEOUT', message: 'timed out after 10000 ms' } },
    }),
    line(50, {
      level: 'ERROR',
      service: 'minter',
      instance: 'web-2',
      traceId: 'e'.repeat(32),
      message: 'mint batch 8 failed',
      context: { error: { code: 'CB_RPC_TIMEOUT', message: 'timed out after 10000 ms' } },
    }),
  ];
  writeFileSync(join(dir, logFileName('web-1', now)), `${lines.join('\n')}\n`);
  process.env.CB_LOG_DIR = dir;
});
afterAll(() => {
  process.env = savedEnv;
  rmSync(dir, { recursive: true, force: true });
});

describe('cb logs', () => {
  test('default: search reads CB_LOG_DIR for the window, with field conditions and text, and says what it read', async () => {
    const slow = await cb(
      'logs',
      'search',
      '--where',
      'context.route=/v1/events',
      '--where',
      'metrics.durationMs>1000',
    );
    expect(
      slow.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).context.statusCode),
    ).toEqual([500]);
    expect(slow.err).toMatch(/1 shown · 5 line\(s\) read from 1 source\(s\), 1 matched/);
    const all = await cb('logs', 'search', '--since', '3h', '--json');
    expect(JSON.parse(all.out).map((e: { message: string }) => e.message)[0]).toBe('two hours ago');
    const errors = await cb('logs', 'search', '--level', 'error', '--grep', 'BATCH 8', '--pretty');
    expect(errors.out).toMatch(/ERROR.*minter\s+mint batch 8 failed/);
    const trace = await cb('logs', 'search', '--trace', 'd'.repeat(32), '--json');
    expect(JSON.parse(trace.out)).toHaveLength(1);
    const newest = await cb('logs', 'search', '--limit', '2', '--json');
    expect(JSON.parse(newest.out).map((e: { message: string }) => e.message)).toEqual([
      'mint batch 7 failed',
      'mint batch 8 failed',
    ]);
    expect(newest.err).toMatch(/^showing the newest 2 ·/);
  });

  test('default: errors are grouped by service, message shape and code, with the latest trace and the instances', async () => {
    const { out } = await cb('logs', 'errors', '--json');
    expect(JSON.parse(out)).toMatchObject([
      {
        count: 2,
        service: 'minter',
        code: 'CB_RPC_TIMEOUT',
        message: 'mint batch ? failed',
        instances: ['web-1', 'web-2'],
        lastTraceId: 'e'.repeat(32),
        sample: 'timed out after 10000 ms',
      },
    ]);
    const table = await cb('logs', 'errors', join(dir, logFileName('web-1', now)));
    expect(table.out).toMatch(/^COUNT\s+LEVEL\s+SERVICE\s+CODE\s+MESSAGE/);
    expect(table.out).toMatch(/2\s+ERROR\s+minter\s+CB_RPC_TIMEOUT\s+mint batch \? failed/);
    expect((await cb('logs', 'errors', '--since', '20s')).out).toBe('no errors in the window\n');
  });

  test('behavior: a window past the hot files reads the archive (CB_LOG_ARCHIVE_DIR) and says so; the cold tier is named, not read', async () => {
    const tiers = mkdtempSync(join(tmpdir(), 'cb-logs-cli-tiers-'));
    const archive = join(tiers, 'archive');
    const cold = join(tiers, 'cold');
    mkdirSync(archive);
    mkdirSync(cold);
    const day = 86_400;
    const coldFile = join(cold, `${logFileName('web-1', now - 50 * day * 1000)}.gz`);
    writeFileSync(
      join(archive, `${logFileName('web-1', now - 10 * day * 1000)}.gz`),
      gzipSync(`${line(10 * day, { level: 'ERROR', message: 'archived failure' })}\n`),
    );
    writeFileSync(coldFile, gzipSync(`${line(50 * day, { level: 'ERROR', message: 'cold failure' })}\n`));
    process.env.CB_LOG_ARCHIVE_DIR = archive;
    process.env.CB_LOG_COLD_DIR = cold;
    try {
      const found = await cb('logs', 'search', '--since', '12d', '--level', 'error', '--json');
      expect(JSON.parse(found.out).map((e: { message: string }) => e.message)).toEqual([
        'archived failure',
        'mint batch 7 failed',
        'mint batch 8 failed',
      ]);
      expect(found.err).toMatch(/read from 2 source\(s\) \(1 archived, gzip\), 3 matched$/m);
      expect(found.err).not.toMatch(/cold/);
      // 7 hot days + 30 archived (the defaults): older days are only in the cold tier.
      const before = new Date(now - 37 * day * 1000).toISOString().slice(0, 10);
      const errors = await cb('logs', 'errors', '--since', '60d', '--json');
      expect(JSON.parse(errors.out).map((c: { message: string }) => c.message)).not.toContain('cold failure');
      expect(errors.err).toContain(
        `days before ${before} are only in the cold tier (CB_LOG_COLD_DIR: 1 file(s) of the window), not searched: name them to search them`,
      );
      // Named, a cold file is read (decompressed) like any other.
      const named = await cb('logs', 'search', '--since', '60d', '--json', coldFile);
      expect(JSON.parse(named.out).map((e: { message: string }) => e.message)).toEqual(['cold failure']);
      expect(named.err).toMatch(/from 1 source\(s\) \(1 archived, gzip\)/);
    } finally {
      delete process.env.CB_LOG_ARCHIVE_DIR;
      delete process.env.CB_LOG_COLD_DIR;
      rmSync(tiers, { recursive: true, force: true });
    }
  });

  test('error: bad filters are refused with what is expected', async () => {
    await expect(cb('logs', 'search', '--where', 'durationMs>fast')).rejects.toThrow(
      /--where must be FIELD OP VALUE with OP one of = != ~ > </,
    );
    await expect(cb('logs', 'search', '--level', 'loud')).rejects.toThrow(
      /--level must be one of debug, info/,
    );
    await expect(cb('logs', 'search', '--since', 'tuesday')).rejects.toThrow(/--since must be a duration/);
    await expect(cb('logs', 'errors', '--limit', '0')).rejects.toThrow(
      /--limit must be a whole number from 1 to 1000/,
    );
  });
});
