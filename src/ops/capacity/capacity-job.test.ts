/**
 * Seed 8.1 资源需求分析 needs a history: the daily job ops.capacity records one row per UTC day —
 * the database's and its tables' sizes, the database's disk and the watched mounts, the worker's
 * CPU, memory and network peaks — a rerun the same day replaces it, and nothing is lost when two run at once.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { TEST_DRIVER } from '../../../test/services.ts';
import { loadConfig } from '../../platform/config.ts';
import type { Db } from '../../platform/db/create-db.ts';
import { watchedDb } from '../../platform/db/test-support.ts';
import { ConfigError } from '../../platform/errors.ts';
import { createJobs, type Jobs, JobsStoppingError, JobTimeoutError } from '../../platform/jobs/index.ts';
import { createTestCommon, createTestDb, handlerCatcher } from '../../platform/jobs/test-support.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import {
  type CapacityJobDeps,
  registerCapacityJob,
  runCapacityJob,
  sendCapacityJobIfNoSampleToday,
} from './capacity-job.ts';
import {
  type CapacityMeasurement,
  measureCapacity,
  readCapacitySamples,
  recordCapacitySample,
} from './capacity-samples.ts';
import { createUsageTracker, type UsageTracker } from './usage-tracker.ts';

const quiet = createSilentLogger();
const common = createTestCommon({}, true);
let db: Db;
let closeDb: () => Promise<void>;
let dataDir: string;

/**
 * A tracker that watched two minutes of a host at 40 % then 75 % CPU, memory at 60 %, receiving
 * 2 then 6 MB/s and sending 1 then 0.5 MB/s over a 1 Gb/s link.
 */
function watchedTracker(): UsageTracker {
  const root = mkdtempSync(join(tmpdir(), 'cb-capacity-proc-'));
  mkdirSync(join(root, 'net'));
  const sys = mkdtempSync(join(tmpdir(), 'cb-capacity-sys-'));
  mkdirSync(join(sys, 'class', 'net', 'eth0', 'device'), { recursive: true });
  writeFileSync(join(sys, 'class', 'net', 'eth0', 'speed'), '1000\n');
  const write = (busy: number, idle: number, rx: number, tx: number) => {
    writeFileSync(join(root, 'stat'), `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\n`);
    writeFileSync(join(root, 'meminfo'), 'MemTotal: 1000000 kB\nMemAvailable: 400000 kB\n');
    writeFileSync(
      join(root, 'net', 'dev'),
      `Inter-| Receive | Transmit\n face |bytes packets|bytes packets\n    lo: 5000000000 1 0 0 0 0 0 0 5000000000 1 0 0 0 0 0 0\n  eth0: ${rx} 1 0 0 0 0 0 0 ${tx} 1 0 0 0 0 0 0\n`,
    );
  };
  write(0, 0, 0, 0);
  let now = Date.now() - 180_000;
  const tracker = createUsageTracker({ procRoot: root, sysRoot: sys, now: () => now });
  now += 60_000;
  write(400, 600, 120e6, 60e6);
  tracker.sample();
  now += 60_000;
  write(1150, 850, 480e6, 90e6);
  tracker.sample();
  return tracker;
}

const deps = (overrides: Partial<CapacityJobDeps> = {}): CapacityJobDeps => ({
  db,
  metrics: createMetrics(),
  logger: quiet,
  config: { capacitySchedule: '47 5 * * *', dataDir, instance: 'cb-worker-1' },
  schemas: ['public'],
  mounts: ['/', dataDir, '/no/such/mount'],
  ...overrides,
});

const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  ({ db, close: closeDb } = await createTestDb(common));
  dataDir = mkdtempSync(join(tmpdir(), 'cb-capacity-data-'));
  mkdirSync(join(dataDir, 'sub'));
});
afterAll(async () => {
  await closeDb?.();
});
beforeEach(async () => {
  await db.query('delete from capacity_samples');
});

/** A measurement of nothing, for the runs whose sample's content does not matter. */
const TINY_MEASUREMENT: CapacityMeasurement = {
  databaseBytes: 1,
  tables: {},
  dbDisk: null,
  dbDiskNote: 'test',
  disks: [],
  cpuCores: 1,
  usageObservedSeconds: 0,
  hostCpuPeak: null,
  hostCpuMean: null,
  processCpuPeak: null,
  memoryPeak: null,
  memoryTotalBytes: 1,
  network: null,
};

describe('the daily capacity sample', () => {
  test('default: the job records today: database and table sizes, disks, the worker’s CPU and memory peaks', async () => {
    const { day, pruned } = await runCapacityJob(deps({ usage: watchedTracker(), logger: common.logger }));
    expect(day).toBe(today());
    expect(pruned).toBe(0);
    const [s, ...more] = await readCapacitySamples(db, { sinceDay: '2000-01-01' });
    expect(more).toEqual([]);
    expect(s).toMatchObject({ day: today(), instance: 'cb-worker-1', usageObservedSeconds: 120 });
    expect(s!.databaseBytes).toBeGreaterThan(1_000_000);
    // Every table of the schema, sized as cb_db_table_size_bytes sizes them.
    expect(Object.keys(s!.tables)).toEqual(
      expect.arrayContaining(['capacity_samples', 'audit_log', 'ach_events']),
    );
    const sized = await db.query<{ bytes: string }>(
      "select pg_total_relation_size('audit_log')::text as bytes",
    );
    expect(s!.tables.audit_log).toBe(Number(sized.rows[0]!.bytes));
    // The watched mounts that exist; the missing one is left out.
    expect(s!.disks.map((d) => d.mount)).toEqual(['/', dataDir]);
    for (const d of s!.disks) {
      expect(d.sizeBytes).toBeGreaterThan(0);
      expect(d.usedBytes + d.availBytes).toBeLessThanOrEqual(d.sizeBytes);
    }
    // CPU: the peak 1-minute mean (75 %) and the mean (57.5 %); memory 60 %.
    expect(s!.hostCpuPeak).toBeCloseTo(0.75, 6);
    expect(s!.hostCpuMean).toBeCloseTo(0.575, 6);
    expect(s!.memoryPeak).toBeCloseTo(0.6, 6);
    expect(s!.cpuCores).toBeGreaterThan(0);
    expect(s!.memoryTotalBytes).toBeGreaterThan(0);
    // Network: peaks of the 1-minute rates, bytes ÷ seconds, and the link (1000 Mb/s).
    expect(s!.network).toEqual({
      rxPeakBytesPerSecond: 6e6,
      rxMeanBytesPerSecond: 4e6,
      txPeakBytesPerSecond: 1e6,
      txMeanBytesPerSecond: 0.75e6,
      linkBytesPerSecond: 125e6,
    });
    // The database's disk: the embedded database's CB_DATA_DIR; the local PostgreSQL's data_directory.
    if (TEST_DRIVER === 'pg') {
      const dir = await db.query<{ dir: string }>("select current_setting('data_directory') as dir");
      expect(s!.dbDisk?.path).toBe(dir.rows[0]!.dir);
    } else expect(s!.dbDisk?.path).toBe(dataDir);
    expect(s!.dbDiskNote).toBeNull();
    expect(s!.dbDisk!.availBytes).toBeGreaterThan(0);
    expect(s!.dbDisk!.usedBytes + s!.dbDisk!.availBytes).toBeLessThanOrEqual(s!.dbDisk!.sizeBytes);
    expect(
      common
        .lines()
        .filter((l) => l.message === 'capacity sampled')
        .at(-1),
    ).toMatchObject({
      level: 'INFO',
      context: { day: today(), mounts: ['/', dataDir] },
      metrics: {
        databaseBytes: s!.databaseBytes,
        usageObservedSeconds: 120,
        networkPeakBytesPerSecond: 7e6,
        networkLinkBytesPerSecond: 125e6,
        pruned: 0,
      },
    });
  });

  test('behavior: a rerun the same day replaces the day’s row; one without CPU or network figures keeps the earlier ones', async () => {
    await runCapacityJob(deps({ usage: watchedTracker() }));
    const [before] = await readCapacitySamples(db, { sinceDay: today() });
    await db.query('create table capacity_probe (id int primary key, pad text)');
    try {
      await db.query("insert into capacity_probe select g, repeat('x', 500) from generate_series(1, 2000) g");
      // A worker that has just started: no CPU figures yet.
      await runCapacityJob(deps({ usage: undefined, config: { ...deps().config, instance: 'cb-worker-2' } }));
      const rows = await readCapacitySamples(db, { sinceDay: '2000-01-01' });
      expect(rows).toHaveLength(1);
      const [after] = rows;
      expect(after!.instance).toBe('cb-worker-2');
      expect(Date.parse(after!.takenAt)).toBeGreaterThanOrEqual(Date.parse(before!.takenAt));
      expect(after!.tables.capacity_probe).toBeGreaterThan(1_000_000);
      expect(after!.databaseBytes).toBeGreaterThan(before!.databaseBytes);
      expect(after).toMatchObject({
        usageObservedSeconds: 120,
        cpuCores: before!.cpuCores,
        hostCpuPeak: before!.hostCpuPeak,
        memoryPeak: before!.memoryPeak,
        network: before!.network,
      });
      expect(before!.network).not.toBeNull();
      // With figures, the rerun's replace the earlier ones.
      const busier = watchedTracker();
      await runCapacityJob(deps({ usage: busier }));
      expect((await readCapacitySamples(db, { sinceDay: today() }))[0]).toMatchObject({
        instance: 'cb-worker-1',
        hostCpuPeak: busier.summary()!.hostCpuPeak,
        network: { rxPeakBytesPerSecond: 6e6, linkBytesPerSecond: 125e6 },
      });
      // Figures with no known link replace the earlier link too: the link goes with its figures.
      const m = await measureCapacity(db, { schemas: ['public'], mounts: [], dataDir, usage: busier });
      await recordCapacitySample(
        db,
        { ...m, network: { ...m.network!, rxPeakBytesPerSecond: 9e6, linkBytesPerSecond: null } },
        { instance: 'cb-worker-3' },
      );
      expect((await readCapacitySamples(db, { sinceDay: today() }))[0]!.network).toMatchObject({
        rxPeakBytesPerSecond: 9e6,
        txPeakBytesPerSecond: 1e6,
        linkBytesPerSecond: null,
      });
    } finally {
      await db.query('drop table capacity_probe');
    }
  });

  test('behavior: two workers running it at once leave one complete row and both succeed', async () => {
    const results = await Promise.all([
      runCapacityJob(deps({ usage: watchedTracker() })),
      runCapacityJob(
        deps({ usage: watchedTracker(), config: { ...deps().config, instance: 'cb-worker-2' } }),
      ),
      runCapacityJob(deps({ config: { ...deps().config, instance: 'cb-worker-3' } })),
    ]);
    expect(results.map((r) => r.day)).toEqual([today(), today(), today()]);
    const rows = await readCapacitySamples(db, { sinceDay: '2000-01-01' });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hostCpuPeak).toBeCloseTo(0.75, 6);
    expect(Object.keys(rows[0]!.tables).length).toBeGreaterThan(10);
  });

  test('behavior: an embedded database in memory has no disk to forecast: the row says why', async () => {
    await runCapacityJob(
      deps({ config: { ...deps().config, dataDir: 'memory://' }, mounts: ['/', 'memory://'] }),
    );
    const [s] = await readCapacitySamples(db, { sinceDay: today() });
    expect(s!.disks.map((d) => d.mount)).toEqual(['/']);
    if (TEST_DRIVER === 'pg')
      expect(s!.dbDisk).not.toBeNull(); // PostgreSQL's disk does not depend on it
    else expect(s).toMatchObject({ dbDisk: null, dbDiskNote: expect.stringMatching(/in memory/) });
  });

  test('behavior: samples older than 400 days are deleted by the run; the 400th day is kept', async () => {
    const m = TINY_MEASUREMENT;
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    for (const n of [401, 400, 30]) await recordCapacitySample(db, m, { instance: 'old', day: daysAgo(n) });
    const { pruned } = await runCapacityJob(deps());
    expect(pruned).toBe(1);
    expect((await readCapacitySamples(db, { sinceDay: '2000-01-01' })).map((s) => s.day)).toEqual([
      daysAgo(400),
      daysAgo(30),
      today(),
    ]);
  });

  test('behavior: a run whose job expired stops at its signal: no further statement, no sample written, nothing pruned', async () => {
    const reason = new JobTimeoutError('ops.capacity', 900);
    const m = TINY_MEASUREMENT;
    const old = new Date(Date.now() - 401 * 86_400_000).toISOString().slice(0, 10);
    await recordCapacitySample(db, m, { instance: 'old', day: old });
    await recordCapacitySample(db, m, { instance: 'earlier-today' });
    const samples = async () =>
      (await readCapacitySamples(db, { sinceDay: '2000-01-01' })).map((s) => [s.day, s.instance]);
    const before = await samples();
    expect(before).toEqual([
      [old, 'old'],
      [today(), 'earlier-today'],
    ]);

    // Expired while the table sizes were read: nothing further is asked.
    let controller = new AbortController();
    const first = watchedDb(db, (text) => {
      if (text.includes('pg_total_relation_size')) controller.abort(reason);
    });
    await expect(runCapacityJob(deps({ db: first.db }), { signal: controller.signal })).rejects.toBe(reason);
    expect(first.sent).toHaveLength(1);
    expect(first.sent[0]).toContain('pg_total_relation_size');

    // Expired once measured (the usage figures are the last thing read): the day's row is not
    // written, the old one not pruned.
    controller = new AbortController();
    const expiring: UsageTracker = {
      ...watchedTracker(),
      summary: () => {
        controller.abort(reason);
        return undefined;
      },
    };
    const last = watchedDb(db);
    await expect(
      runCapacityJob(deps({ db: last.db, usage: expiring }), { signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(last.sent.some((t) => /insert into capacity_samples|delete from capacity_samples/.test(t))).toBe(
      false,
    );
    expect(await samples()).toEqual(before);
  });

  test('behavior: the job hands its signal to the run: an expired job sends nothing', async () => {
    const { jobs, handler } = handlerCatcher();
    const { db: watched, sent } = watchedDb(db);
    registerCapacityJob(jobs, deps({ db: watched }));
    const reason = new JobsStoppingError(); // a stop's grace period ran out
    await expect(handler()({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(sent).toEqual([]);
    expect(await readCapacitySamples(db, { sinceDay: '2000-01-01' })).toEqual([]);
  });

  test('behavior: CB_CAPACITY_SCHEDULE defaults to daily at 05:47 UTC, `off` turns it off, a bad cron is refused', () => {
    expect(loadConfig({}).capacitySchedule).toBe('47 5 * * *');
    expect(loadConfig({ CB_CAPACITY_SCHEDULE: 'off' }).capacitySchedule).toBeUndefined();
    expect(loadConfig({ CB_CAPACITY_SCHEDULE: '0 */6 * * *' }).capacitySchedule).toBe('0 */6 * * *');
    expect(() => loadConfig({ CB_CAPACITY_SCHEDULE: 'daily' })).toThrow(ConfigError);
  });
});

describe('a worker starting on a day without a sample', { timeout: 60_000 }, () => {
  let jobs: Jobs;
  afterAll(async () => {
    await jobs?.stop();
  });

  test('default: sends the job, which records today; with today recorded, or the schedule off, it sends nothing', async () => {
    jobs = createJobs({
      common,
      db,
      options: { registerShutdown: false, sampleIntervalMs: 60_000, pollIntervalMs: 500 },
    });
    const off = registerCapacityJob(
      jobs,
      deps({ config: { ...deps().config, capacitySchedule: undefined } }),
    );
    expect(off).toBeUndefined();
    expect(await sendCapacityJobIfNoSampleToday({ db, jobs, def: off })).toBe(false);
    const def = registerCapacityJob(jobs, deps({ schemas: ['public', common.config.jobsSchema] }));
    expect(def?.schedule?.cron).toBe('47 5 * * *');
    await jobs.start({ workers: true });
    // Today recorded already (by another worker): nothing to send.
    await runCapacityJob(deps());
    expect(await sendCapacityJobIfNoSampleToday({ db, jobs, def })).toBe(false);
    await db.query('delete from capacity_samples');
    expect(await sendCapacityJobIfNoSampleToday({ db, jobs, def })).toBe(true);
    let rows = await readCapacitySamples(db, { sinceDay: today() });
    for (let i = 0; i < 150 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await readCapacitySamples(db, { sinceDay: today() });
    }
    expect(rows).toEqual([expect.objectContaining({ day: today(), instance: 'cb-worker-1' })]);
    // The job queue's tables are sized too, as `schema.table`.
    expect(Object.keys(rows[0]!.tables)).toContain(`${common.config.jobsSchema}.job`);
    expect(await sendCapacityJobIfNoSampleToday({ db, jobs, def })).toBe(false);
  });
});
