/** Log tiers: hot files compressed into the archive, archives expired to deletion or the cold dir. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { ARCHIVED_LOG_FILE, DAY_MS, LOG_FILE, listDayFiles, utcDay } from './log-file-names.ts';
import { createLogFileStream, RETRY_MAINTENANCE_AFTER_MS } from './log-files.ts';
import { type LogMaintenanceReport, type LogTiers, runLogMaintenance, STALE_TEMP_MS } from './log-tiers.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A hot, an archive and a cold directory, and tiers over them (7 days hot, 30 archived). */
function setUp(options: { cold?: boolean; archive?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'cb-tiers-'));
  dirs.push(root);
  const hot = join(root, 'hot');
  const archive = join(root, 'archive');
  const cold = join(root, 'cold');
  for (const d of [hot, archive, cold]) mkdirSync(d);
  const tiers: LogTiers = {
    dir: hot,
    retentionDays: 7,
    archive:
      options.archive === false
        ? undefined
        : { dir: archive, days: 30, coldDir: options.cold ? cold : undefined },
  };
  return { root, hot, archive, cold, tiers };
}

const NOW = Date.parse('2026-11-27T10:00:00.000Z');
/** The UTC day `n` days before NOW. */
const daysAgo = (n: number) => utcDay(NOW - n * DAY_MS);

/** A day's worth of cb JSON lines (distinct, so a mixed-up file shows). */
function lines(day: string, count: number, pad = 0): string {
  let text = '';
  for (let i = 0; i < count; i++)
    text += `${JSON.stringify({
      timestamp: `${day}T10:00:00.${String(i % 1000).padStart(3, '0')}Z`,
      level: 'INFO',
      service: 'api',
      instance: 'w1',
      traceId: 'a'.repeat(32),
      message: 'request completed',
      context: { day, n: i, pad: pad > 0 ? randomBytes(pad).toString('base64') : '' },
      metrics: {},
    })}\n`;
  return text;
}

const names = (dir: string) => readdirSync(dir).sort();
const gunzipText = (path: string) => gunzipSync(readFileSync(path)).toString('utf8');

describe('log tiers', () => {
  test('default: a day leaving the hot window is gzip-compressed into the archive, the same lines, and the original deleted', async () => {
    const { hot, archive, tiers } = setUp();
    const old = lines(daysAgo(8), 500);
    writeFileSync(join(hot, `cb-w1-${daysAgo(8)}.jsonl`), old);
    writeFileSync(join(hot, `cb-w2-${daysAgo(8)}.jsonl`), lines(daysAgo(8), 3));
    // The oldest day kept hot, and today's.
    writeFileSync(join(hot, `cb-w1-${daysAgo(7)}.jsonl`), lines(daysAgo(7), 2));
    writeFileSync(join(hot, `cb-w1-${daysAgo(0)}.jsonl`), lines(daysAgo(0), 2));
    writeFileSync(join(hot, 'notes.txt'), 'not a log file\n');

    const report = await runLogMaintenance(tiers, NOW);

    expect(names(hot)).toEqual(
      [`cb-w1-${daysAgo(7)}.jsonl`, `cb-w1-${daysAgo(0)}.jsonl`, 'notes.txt'].sort(),
    );
    expect(names(archive)).toEqual([`cb-w1-${daysAgo(8)}.jsonl.gz`, `cb-w2-${daysAgo(8)}.jsonl.gz`]);
    const gz = join(archive, `cb-w1-${daysAgo(8)}.jsonl.gz`);
    expect(gunzipText(gz)).toBe(old);
    expect(statSync(gz).mode & 0o777).toBe(0o640);
    const compressed = statSync(gz).size + statSync(join(archive, `cb-w2-${daysAgo(8)}.jsonl.gz`)).size;
    expect(report).toMatchObject({
      archived: 2,
      archivedBytes: Buffer.byteLength(old) + Buffer.byteLength(lines(daysAgo(8), 3)),
      compressedBytes: compressed,
      deleted: 0,
      expired: 0,
      movedToCold: 0,
      moves: { archive: { ok: 2, failed: 0 }, cold: { ok: 0, failed: 0 } },
      failures: [],
    });
    expect(report.archivedBytes).toBeGreaterThan(5 * report.compressedBytes);
    // A second run finds nothing to do.
    expect(await runLogMaintenance(tiers, NOW)).toMatchObject({ archived: 0, deleted: 0, failures: [] });
  });

  test('behavior: without an archive, days leaving the hot window are deleted', async () => {
    const { hot, tiers } = setUp({ archive: false });
    writeFileSync(join(hot, `cb-w1-${daysAgo(8)}.jsonl`), lines(daysAgo(8), 2));
    writeFileSync(join(hot, `cb-w1-${daysAgo(7)}.jsonl`), lines(daysAgo(7), 2));
    expect(await runLogMaintenance(tiers, NOW)).toMatchObject({ archived: 0, deleted: 1, failures: [] });
    expect(names(hot)).toEqual([`cb-w1-${daysAgo(7)}.jsonl`]);
  });

  test('behavior: an archived day is kept CB_LOG_ARCHIVE_DAYS after leaving the hot window, then deleted', async () => {
    const { archive, tiers } = setUp();
    // 7 hot days + 30 archived: 37 days ago is the oldest archived day kept.
    for (const n of [37, 38, 60])
      writeFileSync(join(archive, `cb-w1-${daysAgo(n)}.jsonl.gz`), gzipSync('{}\n'));
    writeFileSync(join(archive, 'README'), 'not ours\n');
    expect(await runLogMaintenance(tiers, NOW)).toMatchObject({ expired: 2, movedToCold: 0, failures: [] });
    expect(names(archive)).toEqual(['README', `cb-w1-${daysAgo(37)}.jsonl.gz`]);
  });

  test('behavior: with a cold dir, expired archives move there as they are, and cb never deletes them', async () => {
    const { hot, archive, cold, tiers } = setUp({ cold: true });
    const gz = gzipSync(lines(daysAgo(38), 50));
    writeFileSync(join(archive, `cb-w1-${daysAgo(38)}.jsonl.gz`), gz);
    writeFileSync(join(archive, `cb-w1-${daysAgo(37)}.jsonl.gz`), gzipSync('{}\n'));
    // A hot file already past both windows (cb was stopped for weeks) goes straight to the cold dir.
    const stale = lines(daysAgo(45), 20);
    writeFileSync(join(hot, `cb-w1-${daysAgo(45)}.jsonl`), stale);

    expect(await runLogMaintenance(tiers, NOW)).toMatchObject({
      archived: 1,
      movedToCold: 1,
      expired: 0,
      deleted: 0,
      // The hot file went to the cold dir: a move into the cold tier, like the archived one.
      moves: { archive: { ok: 0, failed: 0 }, cold: { ok: 2, failed: 0 } },
      failures: [],
    });
    expect(names(hot)).toEqual([]);
    expect(names(archive)).toEqual([`cb-w1-${daysAgo(37)}.jsonl.gz`]);
    expect(names(cold)).toEqual([`cb-w1-${daysAgo(45)}.jsonl.gz`, `cb-w1-${daysAgo(38)}.jsonl.gz`]);
    expect(readFileSync(join(cold, `cb-w1-${daysAgo(38)}.jsonl.gz`))).toEqual(gz);
    expect(gunzipText(join(cold, `cb-w1-${daysAgo(45)}.jsonl.gz`))).toBe(stale);
    // A year later everything has reached the cold dir, and is still there.
    const later = NOW + 365 * DAY_MS;
    expect(await runLogMaintenance(tiers, later)).toMatchObject({ movedToCold: 1, expired: 0, failures: [] });
    expect(names(cold)).toHaveLength(3);
    expect(names(archive)).toEqual([]);
  });

  test('behavior: a move interrupted before its rename leaves only a hidden temporary file; the next run completes it', async () => {
    const { hot, archive, tiers } = setUp();
    const name = `cb-w1-${daysAgo(9)}.jsonl`;
    const text = lines(daysAgo(9), 200);
    writeFileSync(join(hot, name), text);
    // What a process killed mid-write leaves: part of a gzip stream under a temporary name.
    const dead = join(archive, `.${name}.gz.4242-0badf00d.tmp`);
    writeFileSync(dead, gzipSync(text).subarray(0, 100));
    const old = (NOW - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(dead, old, old);
    // Another instance's move in progress right now: not touched.
    const live = join(archive, `.${name}.gz.4343-0badcafe.tmp`);
    writeFileSync(live, 'x');
    utimesSync(live, NOW / 1000, NOW / 1000);
    // Nothing a reader lists is partial.
    expect(await listDayFiles(archive, ARCHIVED_LOG_FILE)).toEqual([]);

    const report = await runLogMaintenance(tiers, NOW);

    expect(report).toMatchObject({ archived: 1, staleTempFiles: 1, failures: [] });
    expect(names(archive)).toEqual([`.${name}.gz.4343-0badcafe.tmp`, `${name}.gz`]);
    expect(gunzipText(join(archive, `${name}.gz`))).toBe(text);
    expect(names(hot)).toEqual([]);
  });

  test('behavior: a move interrupted after its rename (source not yet deleted) is finished by the next run', async () => {
    const { hot, archive, cold, tiers } = setUp({ cold: true });
    const name = `cb-w1-${daysAgo(9)}.jsonl`;
    const text = lines(daysAgo(9), 100);
    writeFileSync(join(hot, name), text);
    const gz = gzipSync(text, { level: 1 });
    writeFileSync(join(archive, `${name}.gz`), gz);
    const coldName = `cb-w1-${daysAgo(40)}.jsonl.gz`;
    const coldGz = gzipSync(lines(daysAgo(40), 10));
    writeFileSync(join(archive, coldName), coldGz);
    writeFileSync(join(cold, coldName), coldGz);

    expect(await runLogMaintenance(tiers, NOW)).toMatchObject({ archived: 1, movedToCold: 1, failures: [] });
    expect(names(hot)).toEqual([]);
    // The destination in place is kept as it was (not rewritten), the source gone.
    expect(readFileSync(join(archive, `${name}.gz`))).toEqual(gz);
    expect(names(archive)).toEqual([`${name}.gz`]);
    expect(readFileSync(join(cold, coldName))).toEqual(coldGz);
  });

  test('error: a destination holding something else is left, with the source, and reported; the other files go on', async () => {
    const { hot, archive, tiers } = setUp();
    const clash = `cb-w1-${daysAgo(9)}.jsonl`;
    writeFileSync(join(hot, clash), lines(daysAgo(9), 100));
    writeFileSync(join(archive, `${clash}.gz`), gzipSync('another file\n'));
    writeFileSync(join(hot, `cb-w1-${daysAgo(10)}.jsonl`), lines(daysAgo(10), 5));

    const report = await runLogMaintenance(tiers, NOW);

    expect(report.archived).toBe(1);
    expect(report.failures.map((f) => [f.file, f.error.message])).toEqual([
      [
        clash,
        expect.stringMatching(/already exists and does not hold the \d+ bytes of .*: both left as they are$/),
      ],
    ]);
    expect(names(hot)).toEqual([clash]);
    expect(gunzipText(join(archive, `${clash}.gz`))).toBe('another file\n');
  });

  test('error: an archive that cannot be written keeps the hot files where they are, and says which', async () => {
    const { hot, archive, tiers } = setUp();
    rmSync(archive, { recursive: true });
    writeFileSync(archive, 'a file where the directory was');
    const name = `cb-w1-${daysAgo(9)}.jsonl`;
    writeFileSync(join(hot, name), lines(daysAgo(9), 3));
    const report = await runLogMaintenance(tiers, NOW);
    expect(report.archived).toBe(0);
    expect(report.failures.map((f) => [f.file, f.action, f.error.message.slice(0, 7)]).sort()).toEqual([
      [archive, 'list', 'ENOTDIR'],
      [archive, 'remove stale temporary files', 'ENOTDIR'],
      [name, `compress into ${archive}`, 'ENOTDIR'],
    ]);
    expect(names(hot)).toEqual([name]);
    // Listing and sweeping are not moves: one failed move, into the archive.
    expect(report.moves).toEqual({ archive: { ok: 0, failed: 1 }, cold: { ok: 0, failed: 0 } });
  });

  test('error: moves that fail are counted by the tier they were going to, next to those that went through', async () => {
    const { root, hot, archive, tiers } = setUp();
    // Neither directory can exist: each one's parent is a regular file (root is not stopped by a mode).
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const coldDir = join(file, 'cold');
    tiers.archive = { dir: archive, days: 30, coldDir };
    writeFileSync(join(hot, `cb-w1-${daysAgo(9)}.jsonl`), lines(daysAgo(9), 3)); // → archive
    writeFileSync(join(hot, `cb-w1-${daysAgo(45)}.jsonl`), lines(daysAgo(45), 3)); // → cold, straight
    writeFileSync(join(archive, `cb-w1-${daysAgo(38)}.jsonl.gz`), gzipSync('{}\n')); // → cold
    writeFileSync(join(archive, `cb-w1-${daysAgo(39)}.jsonl.gz`), gzipSync('{}\n')); // → cold

    const report = await runLogMaintenance(tiers, NOW);

    expect(report.moves).toEqual({ archive: { ok: 1, failed: 0 }, cold: { ok: 0, failed: 3 } });
    expect(report.failures.map((f) => [f.file, f.action, f.error.message.slice(0, 7)]).sort()).toEqual([
      [coldDir, 'remove stale temporary files', 'ENOTDIR'],
      [`cb-w1-${daysAgo(45)}.jsonl`, `compress into ${coldDir}`, 'ENOTDIR'],
      [`cb-w1-${daysAgo(39)}.jsonl.gz`, `move into ${coldDir}`, 'ENOTDIR'],
      [`cb-w1-${daysAgo(38)}.jsonl.gz`, `move into ${coldDir}`, 'ENOTDIR'],
    ]);
    expect(names(hot)).toEqual([`cb-w1-${daysAgo(45)}.jsonl`]);

    // With the archive under a regular file too, the archive's move fails as well.
    tiers.archive = { dir: join(file, 'archive'), days: 30 };
    writeFileSync(join(hot, `cb-w1-${daysAgo(10)}.jsonl`), lines(daysAgo(10), 3));
    expect((await runLogMaintenance(tiers, NOW)).moves).toEqual({
      archive: { ok: 0, failed: 1 },
      cold: { ok: 0, failed: 0 },
    });
  });

  test('behavior: a failing move is tried again every retryAfterMs until it goes through, and cb_log_tier_moves_total counts each try', async () => {
    const { hot, archive, tiers } = setUp({ cold: true });
    const clash = `cb-w1-${daysAgo(9)}.jsonl`;
    const text = lines(daysAgo(9), 50);
    writeFileSync(join(hot, clash), text);
    // Another file by the day's name in the archive: the move fails until an operator removes it.
    writeFileSync(join(archive, `${clash}.gz`), gzipSync('another file\n'));
    writeFileSync(join(hot, `cb-w1-${daysAgo(10)}.jsonl`), lines(daysAgo(10), 5));
    const out: string[] = [];
    const metrics = createMetrics();
    const logger = createLogger({
      service: 'cb',
      instance: 'w1',
      level: 'info',
      destination: { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream,
      files: {
        dir: hot,
        instance: 'w1',
        retentionDays: 7,
        archive: tiers.archive,
        now: () => NOW,
        retryAfterMs: 150,
      },
    });
    // As main.ts wires it.
    logger.observe({
      line: () => {},
      tierMoves: (tier, result, count) => metrics.logTierMoves.inc({ tier, result }, count),
    });
    const counted = async () =>
      Object.fromEntries(
        (await metrics.logTierMoves.get()).values.map((v) => [
          `${v.labels.tier} ${v.labels.result}`,
          v.value,
        ]),
      );
    // The series exist before any move, so the first failure is an increase Prometheus sees.
    expect(await counted()).toEqual({ 'archive ok': 0, 'archive failed': 0, 'cold ok': 0, 'cold failed': 0 });

    // The start-up run moves one file and fails the other; the retries fail it again.
    await expect
      .poll(async () => (await counted())['archive failed'], { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    expect(await counted()).toMatchObject({ 'archive ok': 1, 'cold ok': 0, 'cold failed': 0 });
    const errorLines = out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === 'ERROR');
    expect(errorLines.length).toBeGreaterThanOrEqual(3);
    expect(errorLines[0]).toMatchObject({
      service: 'log-files',
      message: 'log file not moved between tiers',
      context: { file: clash, action: `compress into ${archive}` },
    });

    // Mended: the next retry moves it, and there is no retry after a run without a failure.
    rmSync(join(archive, `${clash}.gz`));
    await expect.poll(async () => (await counted())['archive ok'], { timeout: 10_000 }).toBe(2);
    const failed = (await counted())['archive failed'];
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await counted()).toEqual({
      'archive ok': 2,
      'archive failed': failed,
      'cold ok': 0,
      'cold failed': 0,
    });
    expect(names(hot)).toEqual([`cb-w1-${daysAgo(0)}.jsonl`]);
    expect(gunzipText(join(archive, `${clash}.gz`))).toBe(text);
    // An observer added later hears of the moves so far.
    const late: string[] = [];
    logger.observe({
      line: () => {},
      tierMoves: (tier, result, count) => late.push(`${tier} ${result} ${count}`),
    });
    expect(late).toEqual(['archive ok 2', `archive failed ${failed}`, 'cold ok 0', 'cold failed 0']);
    await logger.end('stopped');
  });

  test('behavior: LogTierMoveFailing looks back far enough to see every retry of a lasting failure', () => {
    const rules = YAML.parse(readFileSync(join(ROOT, 'deploy/prometheus/rules/logs.yml'), 'utf8')) as {
      groups: { rules: { alert?: string; expr: string }[] }[];
    };
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'LogTierMoveFailing');
    const windows = [...(rule?.expr ?? '').matchAll(/cb_log_tier_moves_total\{[^}]*\}\[(\d+)m\]/g)].map(
      (m) => Number(m[1]) * 60_000,
    );
    expect(windows.length).toBeGreaterThan(0);
    // A retry comes RETRY_MAINTENANCE_AFTER_MS after the previous run ended: leave room for a long run.
    for (const w of windows) expect(w).toBeGreaterThanOrEqual(RETRY_MAINTENANCE_AFTER_MS * 2);
  });

  test('behavior: runs at the same moment (several instances at midnight) move every file once, whole', async () => {
    const { hot, archive, cold, tiers } = setUp({ cold: true });
    const texts = new Map<string, string>();
    for (let n = 8; n < 20; n++)
      for (const instance of ['a', 'b']) {
        const name = `cb-${instance}-${daysAgo(n)}.jsonl`;
        const text = lines(daysAgo(n), 2000, 16);
        texts.set(name, text);
        writeFileSync(join(hot, name), text);
      }
    const toCold = new Map<string, Buffer>();
    for (let n = 38; n < 44; n++) {
      const gz = gzipSync(lines(daysAgo(n), 300, 16));
      toCold.set(`cb-a-${daysAgo(n)}.jsonl.gz`, gz);
      writeFileSync(join(archive, `cb-a-${daysAgo(n)}.jsonl.gz`), gz);
    }

    // Two other processes, started and waiting, and three in this process (interleaved at every
    // await), all let go at once.
    const others = [runInProcess(tiers, NOW, true), runInProcess(tiers, NOW, true)];
    await Promise.all(others.map((o) => o.ready));
    for (const o of others) o.go();
    const here = await Promise.all([1, 2, 3].map(() => runLogMaintenance(tiers, NOW)));
    const reports = [...here, ...(await Promise.all(others.map((o) => o.report)))];

    for (const r of reports) expect(r.failures).toEqual([]);
    expect(names(hot)).toEqual([]);
    expect(names(archive)).toEqual([...texts.keys()].map((n) => `${n}.gz`).sort());
    for (const [name, text] of texts) expect(gunzipText(join(archive, `${name}.gz`))).toBe(text);
    expect(names(cold)).toEqual([...toCold.keys()].sort());
    for (const [name, gz] of toCold) expect(readFileSync(join(cold, name))).toEqual(gz);
    // Each file was moved by at least one run (two may both finish the same day: same content), and
    // the runs did overlap.
    expect(reports.filter((r) => r.archived > 0).length).toBeGreaterThanOrEqual(2);
    expect(reports.reduce((sum, r) => sum + r.archived, 0)).toBeGreaterThanOrEqual(texts.size);
    expect(reports.reduce((sum, r) => sum + r.movedToCold, 0)).toBeGreaterThanOrEqual(toCold.size);
  }, 60_000);

  test('behavior: a process killed while compressing leaves no visible partial file, and the next run completes the move', async () => {
    const { hot, archive, tiers } = setUp();
    const name = `cb-w1-${daysAgo(9)}.jsonl`;
    // Big and incompressible enough that compressing it takes a while.
    const text = lines(daysAgo(9), 160_000, 180);
    writeFileSync(join(hot, name), text);

    const child = runInProcess(tiers, NOW);
    const temp = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const look = () => {
        const t = readdirSync(archive).find((n) => n.endsWith('.tmp'));
        if (t && statSync(join(archive, t)).size > 0) return resolve(t);
        if (child.exited() || Date.now() > deadline)
          return reject(new Error(`no move in progress to interrupt (exited: ${child.exited()})`));
        setTimeout(look, 2);
      };
      look();
    });
    child.kill();
    await child.report.catch(() => undefined);

    // Readers see no archived file yet, only the hidden temporary one; the source is whole.
    expect(names(archive)).toEqual([temp]);
    expect(await listDayFiles(archive, ARCHIVED_LOG_FILE)).toEqual([]);
    expect(readFileSync(join(hot, name), 'utf8')).toBe(text);

    expect(await runLogMaintenance(tiers, NOW)).toMatchObject({ archived: 1, failures: [] });
    expect(gunzipText(join(archive, `${name}.gz`))).toBe(text);
    expect(await listDayFiles(hot, LOG_FILE)).toEqual([]);
    // An hour on, the dead process's temporary file is swept.
    expect(await runLogMaintenance(tiers, Date.now() + STALE_TEMP_MS + 1000)).toMatchObject({
      staleTempFiles: 1,
    });
    expect(names(archive)).toEqual([`${name}.gz`]);
  }, 60_000);

  test('error: an archive or cold dir that cannot be written stops the start, naming the setting', async () => {
    const { root, hot, archive } = setUp();
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    expect(() =>
      createLogFileStream({
        dir: hot,
        instance: 'w1',
        retentionDays: 7,
        archive: { dir: join(file, 'x'), days: 30 },
      }),
    ).toThrow(/^CB_LOG_ARCHIVE_DIR: .*a-file\/x cannot be written: ENOTDIR/);
    expect(() =>
      createLogFileStream({
        dir: hot,
        instance: 'w1',
        retentionDays: 7,
        archive: { dir: archive, days: 30, coldDir: join(file, 'cold') },
      }),
    ).toThrow(/^CB_LOG_COLD_DIR: .*a-file\/cold cannot be written: ENOTDIR/);
    // A missing one is created.
    const stream = createLogFileStream({
      dir: hot,
      instance: 'w1',
      retentionDays: 7,
      archive: { dir: join(root, 'new', 'archive'), days: 30, coldDir: join(root, 'new', 'cold') },
    });
    await new Promise<void>((resolve) => stream.flush(resolve));
    await stream.maintained();
    stream.end();
    expect(existsSync(join(root, 'new', 'archive'))).toBe(true);
    expect(existsSync(join(root, 'new', 'cold'))).toBe(true);
  });

  test('default: cb start archives in the background and logs one INFO line per run with the counts and bytes saved', async () => {
    const { hot, archive, tiers } = setUp();
    writeFileSync(join(hot, `cb-old-${daysAgo(8)}.jsonl`), lines(daysAgo(8), 300));
    const out: string[] = [];
    let now = NOW;
    const logger = createLogger({
      service: 'cb',
      instance: 'w1',
      level: 'info',
      destination: { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream,
      files: { dir: hot, instance: 'w1', retentionDays: 7, archive: tiers.archive, now: () => now },
    });
    const infoLines = () =>
      out
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((l) => l.service === 'log-files');
    await expect.poll(infoLines).toHaveLength(1);
    const [line] = infoLines();
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'log files moved between tiers',
      metrics: { archived: 1, deleted: 0, expired: 0, movedToCold: 0, failed: 0 },
    });
    expect(line.metrics.bytesSaved).toBe(line.metrics.archivedBytes - line.metrics.compressedBytes);
    expect(line.metrics.bytesSaved).toBeGreaterThan(0);
    expect(names(archive)).toEqual([`cb-old-${daysAgo(8)}.jsonl.gz`]);
    // A day later, at the first line of the new day, today's file of 8 days ago leaves the hot window.
    logger.info('before midnight');
    await logger.flush();
    now = NOW + DAY_MS;
    writeFileSync(join(hot, `cb-old-${daysAgo(7)}.jsonl`), lines(daysAgo(7), 10));
    logger.info('after midnight');
    await logger.flush();
    await expect.poll(infoLines).toHaveLength(2);
    expect(infoLines()[1].metrics).toMatchObject({ archived: 1 });
    expect(names(archive)).toEqual([`cb-old-${daysAgo(8)}.jsonl.gz`, `cb-old-${daysAgo(7)}.jsonl.gz`]);
    await logger.end('stopped');
  });
});

/**
 * runLogMaintenance in a process of its own: its report, or a rejection when it was killed. With
 * `waitForGo`, it starts once `go()` is called (after `ready`).
 */
function runInProcess(tiers: LogTiers, now: number, waitForGo = false) {
  const script = `
    import { runLogMaintenance } from ${JSON.stringify(join(ROOT, 'src/platform/logs/log-tiers.ts'))};
    if (${waitForGo}) {
      process.stderr.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      process.stdin.destroy();
    }
    const r = await runLogMaintenance(JSON.parse(process.argv[1]), Number(process.argv[2]));
    process.stdout.write(JSON.stringify({ ...r, failures: r.failures.map((f) => ({ ...f, error: { message: f.error.message } })) }));
  `;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify(tiers), String(now)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let exited = false;
  let isReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    isReady = resolve;
  });
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.startsWith('ready\n')) isReady();
  });
  const report = new Promise<LogMaintenanceReport>((resolve, reject) =>
    child.on('exit', (code, signal) => {
      exited = true;
      if (code === 0) resolve(JSON.parse(stdout) as LogMaintenanceReport);
      else reject(new Error(`exit ${code ?? signal}: ${stderr}`));
      isReady();
    }),
  );
  return {
    report,
    ready,
    go: () => child.stdin.write('go\n'),
    exited: () => exited,
    kill: () => child.kill('SIGKILL'),
  };
}
