/** `cb logs search|errors` over log files, CB_LOG_DIR, and the errors of bad input. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
