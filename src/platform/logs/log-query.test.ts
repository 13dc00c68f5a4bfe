/** Searching and clustering cb's JSON log lines. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import {
  clusterErrors,
  type LogFilter,
  logFilesFor,
  matches,
  messageShape,
  parseCondition,
  parseLine,
  searchLogs,
} from './log-query.ts';

const dir = mkdtempSync(join(tmpdir(), 'cb-logq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    timestamp: `2026-11-27T10:00:${String(seq++).padStart(2, '0')}.000Z`,
    level: 'INFO',
    service: 'api',
    instance: 'web-1',
    traceId: 'a'.repeat(32),
    message: 'request completed',
    context: {},
    metrics: {},
    ...fields,
  });

const entry = (fields: Record<string, unknown>) => {
  const l = line(fields);
  return { e: parseLine(l)!, l };
};
const passes = (fields: Record<string, unknown>, filter: LogFilter) => {
  const { e, l } = entry(fields);
  return matches(e, l, filter);
};

describe('log search', () => {
  test('default: each filter narrows, and all must hold', () => {
    expect(passes({ level: 'WARN' }, { level: 'WARN' })).toBe(true);
    expect(passes({ level: 'INFO' }, { level: 'WARN' })).toBe(false);
    expect(passes({ service: 'db' }, { services: ['api', 'db'] })).toBe(true);
    expect(passes({ service: 'jobs' }, { services: ['api', 'db'] })).toBe(false);
    expect(passes({ traceId: 'b'.repeat(32) }, { traceId: 'B'.repeat(32) })).toBe(true);
    expect(passes({ userId: '0xAbC' }, { userId: '0xabc' })).toBe(true);
    expect(passes({ message: 'Slow Query' }, { text: ['slow', 'query'] })).toBe(true);
    expect(passes({ message: 'slow query' }, { text: ['slow', 'timeout'] })).toBe(false);
    const t = { since: new Date('2026-11-27T10:00:00Z'), until: new Date('2026-11-27T10:01:00Z') };
    expect(passes({ timestamp: '2026-11-27T10:00:30.000Z' }, t)).toBe(true);
    expect(passes({ timestamp: '2026-11-27T10:01:00.000Z' }, t)).toBe(false);
    expect(passes({ timestamp: 'not a time' }, t)).toBe(false);
  });

  test('default: field conditions on dot paths: = != ~ > <', () => {
    const where = (text: string) => [parseCondition(text)!];
    const slow500 = { context: { statusCode: 500, route: '/v1/events' }, metrics: { durationMs: 1200 } };
    expect(passes(slow500, { where: where('context.statusCode=500') })).toBe(true);
    expect(passes(slow500, { where: where('context.statusCode!=500') })).toBe(false);
    expect(passes(slow500, { where: where('context.missing!=x') })).toBe(true);
    expect(passes(slow500, { where: where('context.route~EVENTS') })).toBe(true);
    expect(passes(slow500, { where: where('metrics.durationMs>1000') })).toBe(true);
    expect(passes(slow500, { where: where('metrics.durationMs<1000') })).toBe(false);
    expect(passes(slow500, { where: where('context.route>1') })).toBe(false);
    expect(
      passes(slow500, { where: [...where('context.statusCode=500'), ...where('metrics.durationMs>5000')] }),
    ).toBe(false);
    for (const bad of ['=x', 'a b=c', 'metrics.durationMs>fast', 'context.route'])
      expect(parseCondition(bad)).toBeUndefined();
  });

  test('default: the newest matches across files, in time order; lines that are not cb JSON are skipped and counted', async () => {
    const a = join(dir, 'cb-web-1-2026-11-27.jsonl');
    const b = join(dir, 'cb-web-2-2026-11-27.jsonl');
    seq = 0;
    const lines = Array.from({ length: 6 }, (_, i) =>
      line({ instance: `web-${(i % 2) + 1}`, context: { n: i } }),
    );
    writeFileSync(a, `${lines.filter((_, i) => i % 2 === 0).join('\n')}\nnot json at all\n{"half":`);
    writeFileSync(b, `${lines.filter((_, i) => i % 2 === 1).join('\n')}\n`);
    const { lines: found, stats } = await searchLogs([{ path: a }, { path: b }], {}, 4);
    expect(found.map((f) => f.entry.context?.n)).toEqual([2, 3, 4, 5]);
    expect(stats).toEqual({
      files: 2,
      archivedFiles: 0,
      lines: 8,
      skipped: 2,
      matched: 6,
      coldNotSearched: null,
    });
    const piped = await searchLogs(
      [{ stream: Readable.from([`${lines[0]}\n${lines[1]}\n`]), name: 'stdin' }],
      { instance: 'web-2' },
      10,
    );
    expect(piped.lines.map((f) => f.entry.context?.n)).toEqual([1]);
  });

  test('edge: a window reads only the files of its days', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cb-logq-days-'));
    for (const day of ['2026-11-20', '2026-11-25', '2026-11-27'])
      writeFileSync(join(d, `cb-w-${day}.jsonl`), '');
    const files = await logFilesFor(d, new Date('2026-11-25T12:00:00Z'), new Date('2026-11-26T00:00:00Z'));
    expect(files.map((f) => ('path' in f ? f.path.slice(-21) : ''))).toEqual(['cb-w-2026-11-25.jsonl']);
    expect(await logFilesFor(d)).toHaveLength(3);
    // A byte budget keeps the newest days that fit; the oldest are left out and counted.
    for (const day of ['2026-11-20', '2026-11-25', '2026-11-27'])
      writeFileSync(join(d, `cb-w-${day}.jsonl`), 'x'.repeat(100));
    const budget = await logFilesFor(d, undefined, undefined, { maxBytes: 250 });
    expect(budget.map((f) => ('path' in f ? f.path.slice(-21) : ''))).toEqual([
      'cb-w-2026-11-25.jsonl',
      'cb-w-2026-11-27.jsonl',
    ]);
    expect(budget.skipped).toBe(1);
    // The newest day is read even when it alone is over the budget.
    expect(await logFilesFor(d, undefined, undefined, { maxBytes: 10 })).toHaveLength(1);
    rmSync(d, { recursive: true, force: true });
  });

  test('behavior: days past the hot files are read from the archive, decompressed as they stream; the cold tier is said, not read', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cb-logq-tiers-'));
    const [hot, archive, cold] = ['hot', 'archive', 'cold'].map((d) => join(root, d)) as [
      string,
      string,
      string,
    ];
    for (const d of [hot, archive, cold]) mkdirSync(d);
    const now = Date.parse('2026-11-27T12:00:00.000Z');
    const day = (n: number) => new Date(now - n * 86_400_000).toISOString().slice(0, 10);
    const at = (n: number, message: string) =>
      `${JSON.stringify({ timestamp: `${day(n)}T10:00:00.000Z`, level: 'ERROR', service: 'minter', instance: 'w', message, context: {}, metrics: {} })}\n`;
    writeFileSync(join(hot, `cb-w-${day(2)}.jsonl`), at(2, 'hot day'));
    // A day both hot and archived (a move stopped before deleting its source): read once, hot.
    writeFileSync(join(archive, `cb-w-${day(2)}.jsonl.gz`), gzipSync(at(2, 'hot day')));
    writeFileSync(join(archive, `cb-w-${day(10)}.jsonl.gz`), gzipSync(at(10, 'warm day').repeat(3)));
    writeFileSync(join(archive, `cb-w-${day(30)}.jsonl.gz`), gzipSync(at(30, 'older warm day')));
    writeFileSync(join(cold, `cb-w-${day(50)}.jsonl.gz`), gzipSync(at(50, 'cold day')));
    writeFileSync(join(cold, `cb-w-${day(400)}.jsonl.gz`), gzipSync(at(400, 'a year ago')));
    const tiers = { retentionDays: 7, archive: { dir: archive, days: 30, coldDir: cold }, now };
    const since = (n: number) => new Date(now - n * 86_400_000);

    const twelveDays = await logFilesFor(hot, since(12), undefined, tiers);
    const { lines, stats } = await searchLogs(twelveDays, { since: since(12) }, 100);
    expect(lines.map((l) => l.entry.message)).toEqual(['warm day', 'warm day', 'warm day', 'hot day']);
    expect(stats).toMatchObject({ files: 2, archivedFiles: 1, lines: 4, coldNotSearched: null });
    // Only the hot files within the hot window: no archive read.
    expect(
      (await searchLogs(await logFilesFor(hot, since(3), undefined, tiers), {}, 10)).stats,
    ).toMatchObject({
      files: 1,
      archivedFiles: 0,
    });

    // 7 hot days + 30 archived: days before 37 days ago are only in the cold tier.
    const twoMonths = await logFilesFor(hot, since(60), undefined, tiers);
    const errors = await clusterErrors(twoMonths, { since: since(60) });
    expect(errors.clusters.map((c) => [c.message, c.count])).toEqual([
      ['warm day', 3],
      ['hot day', 1],
      ['older warm day', 1],
    ]);
    expect(errors.stats).toMatchObject({
      files: 3,
      archivedFiles: 2,
      coldNotSearched: { before: day(37), files: 1 },
    });
    // Without a cold dir those days are gone: nothing to say.
    const noCold = { ...tiers, archive: { dir: archive, days: 30 } };
    expect((await logFilesFor(hot, since(60), undefined, noCold)).coldNotSearched).toBeNull();

    // The byte budget counts an archived file's content, not its compressed size.
    writeFileSync(join(archive, `cb-w-${day(11)}.jsonl.gz`), gzipSync(at(11, 'x').repeat(2000)));
    const budget = await logFilesFor(hot, since(12), undefined, { ...tiers, maxBytes: 100_000 });
    expect(budget.map((f) => ('path' in f ? basename(f.path) : ''))).toEqual([
      `cb-w-${day(10)}.jsonl.gz`,
      `cb-w-${day(2)}.jsonl`,
    ]);
    expect(budget.skipped).toBe(1);

    // An archived file moved to the next tier between listing and reading holds nothing to find.
    rmSync(join(archive, `cb-w-${day(10)}.jsonl.gz`));
    expect((await searchLogs(twelveDays, {}, 10)).lines.map((l) => l.entry.message)).toEqual(['hot day']);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('error clusters', () => {
  test('default: errors grouped by service, message shape and code, most frequent first, with the latest trace', async () => {
    seq = 0;
    const err = (message: string, code: string, instance: string, traceId: string) =>
      line({
        level: 'ERROR',
        service: 'minter',
        instance,
        traceId,
        message,
        context: { error: { code, message: `${message}!` } },
      });
    const text = [
      err('mint batch 12 failed after 3 tries', 'CB_RPC_TIMEOUT', 'w-1', '1'.repeat(32)),
      err('mint batch 13 failed after 5 tries', 'CB_RPC_TIMEOUT', 'w-2', '2'.repeat(32)),
      err('mint batch 14 failed after 1 tries', 'CB_NONCE', 'w-1', '3'.repeat(32)),
      line({ level: 'WARN', message: 'slow query' }),
      line({ level: 'FATAL', service: 'cb', message: 'cannot start: port 8080 in use' }),
      err('mint batch 15 failed after 2 tries', 'CB_RPC_TIMEOUT', 'w-1', '4'.repeat(32)),
    ].join('\n');
    const { clusters, stats } = await clusterErrors([{ stream: Readable.from([text]), name: 'stdin' }], {});
    expect(stats.matched).toBe(5);
    expect(clusters.map((c) => [c.count, c.service, c.code, c.message, c.instances])).toEqual([
      [3, 'minter', 'CB_RPC_TIMEOUT', 'mint batch ? failed after ? tries', ['w-1', 'w-2']],
      [1, 'cb', '', 'cannot start: port ? in use', ['web-1']],
      [1, 'minter', 'CB_NONCE', 'mint batch ? failed after ? tries', ['w-1']],
    ]);
    expect(clusters[0]).toMatchObject({
      level: 'ERROR',
      lastTraceId: '4'.repeat(32),
      sample: 'mint batch 15 failed after 2 tries!',
      firstSeen: '2026-11-27T10:00:00.000Z',
      lastSeen: '2026-11-27T10:00:05.000Z',
    });
    const warn = await clusterErrors([{ stream: Readable.from([text]), name: 'stdin' }], { level: 'WARN' });
    expect(warn.stats.matched).toBe(6);
  });

  test('edge: what varies between occurrences is folded: hex, ids, numbers, quoted values', () => {
    expect(
      messageShape(
        'tx 0xAbC123 for "alice" id 3f2504e0-4f89-41d3-9a0c-0305e82c3301 took 12.5 s, hash deadbeefdeadbeefdeadbeef',
      ),
    ).toBe('tx 0x? for "?" id ? took ? s, hash ?');
  });
});
