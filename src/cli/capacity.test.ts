/** `cb capacity`: the capacity report as operators read it, and its JSON. */
import { beforeEach, describe, expect, test } from 'vitest';
import { type CapacityMeasurement, recordCapacitySample } from '../ops/index.ts';
import { registerCapacity } from './capacity.ts';
import { cliSuite, helpOf, runCliInProcess } from './test-support.ts';

const suite = cliSuite('cb-capacity-cli-');
const withDb = suite.withDb;

const cb = (...args: string[]) => runCliInProcess((program) => registerCapacity(program), args);
const MiB = 1_048_576;
const GiB = 1024 * MiB;
const DAY = 86_400_000;

/** Day `i`: traffic peaks of 10 + i MiB/s received and 2 MiB/s sent, over `link` (1 Gb/s) unless told. */
const measurement = (
  i: number,
  cpuPeak: number | null,
  link: number | null = 125_000_000,
): CapacityMeasurement => ({
  databaseBytes: GiB + i * 100 * MiB,
  tables: { ach_events: 512 * MiB + i * 100 * MiB, audit_log: 64 * MiB, 'pgboss.job': 8 * MiB },
  dbDisk: { path: '/srv/cb-data', sizeBytes: 60 * GiB, usedBytes: 30 * GiB, availBytes: 10 * GiB },
  dbDiskNote: null,
  disks: [{ mount: '/', sizeBytes: 60 * GiB, usedBytes: 30 * GiB, availBytes: 10 * GiB }],
  cpuCores: 2,
  usageObservedSeconds: 86_400,
  hostCpuPeak: cpuPeak,
  hostCpuMean: cpuPeak === null ? null : 0.1,
  processCpuPeak: cpuPeak === null ? null : 0.05,
  memoryPeak: cpuPeak === null ? null : 0.5,
  memoryTotalBytes: 4 * GiB,
  network:
    cpuPeak === null
      ? null
      : {
          rxPeakBytesPerSecond: (10 + i) * MiB,
          rxMeanBytesPerSecond: 3 * MiB,
          txPeakBytesPerSecond: 2 * MiB,
          txMeanBytesPerSecond: 512 * 1024,
          linkBytesPerSecond: link,
        },
});

/** `n` daily samples, the last taken now, with the given CPU peaks (oldest first). */
async function seed(n: number, cpuPeaks: (number | null)[], link?: number | null): Promise<void> {
  const now = Date.now();
  await withDb(async (db) => {
    await db.query('delete from capacity_samples');
    for (let i = 0; i < n; i++) {
      const takenAt = new Date(now - (n - 1 - i) * DAY);
      await recordCapacitySample(db, measurement(i, cpuPeaks[i] ?? null, link), {
        instance: 'cb-worker-1',
        day: takenAt.toISOString().slice(0, 10),
        takenAt,
      });
    }
  });
}

beforeEach(async () => {
  await withDb((db) => db.query('delete from capacity_samples'));
});

describe('cb capacity', () => {
  test('default: growth per day, days until the disk is full and at 80 %, the CPU buffer holding, the largest tables', async () => {
    await seed(10, [0.3, 0.35, 0.4, 0.45, 0.5, 0.5, 0.55, 0.55, 0.6, 0.6]);
    const { out, err, exitCode } = await cb('capacity');
    expect(err).toBe('');
    expect(exitCode).toBeUndefined();
    const lines = out.split('\n');
    expect(lines[0]).toMatch(
      /^capacity over the last 30 day\(s\): 10 daily sample\(s\), \d{4}-\d\d-\d\d … \d{4}-\d\d-\d\d \(latest \d+ s ago, on cb-worker-1\)$/,
    );
    expect(out).toMatch(
      /\ndatabase {2}1\.9 GiB, growing 100\.0 MiB\/day \(least squares over 10 samples\)\n/,
    );
    expect(out).toMatch(/\ndisk {6}\/srv\/cb-data: 10\.0 GiB free of 60\.0 GiB \(75 % used\)\n/);
    // 10 GiB at 100 MiB a day: 102.4 days; 80 % of 40 GiB is 32 GiB, 2 GiB away: 20.5 days.
    expect(out).toMatch(
      /\n {10}at the database's growth: full in 102 days \(\d{4}-\d\d-\d\d\), 80 % \(HostDiskHigh\) in 20 days \(\d{4}-\d\d-\d\d\)\n/,
    );
    expect(out).toMatch(
      /\ncpu {7}peak 60 % of 2 core\(s\) on \d{4}-\d\d-\d\d \(days' mean 10 %, cb itself at most 5 %; 10 day\(s\) with figures\)\n/,
    );
    expect(out).toMatch(
      /\n {10}with the 30 % burst buffer it needs 78 % of the cores: the buffer holds, 22 % spare\n/,
    );
    expect(out).toMatch(
      /\n {10}peaks growing 3\.3 points\/day \(least squares over 10 samples\): the buffer stops holding in 5\.1 days\n/,
    );
    expect(out).toMatch(
      /\nmemory {4}peak 50 % of 4\.0 GiB on \d{4}-\d\d-\d\d; peaks flat \(least squares over 10 samples\)\n/,
    );
    // Peaks 12 … 21 MiB/s: +1 MiB/s a day; 70 % of 125 MB/s is 87.5 MB/s, 62.4 days above 21 MiB/s.
    expect(out).toMatch(
      /\nnetwork {3}peak 21\.0 MiB\/s \(rx \+ tx\) on (\d{4}-\d\d-\d\d); on \1 rx peak 19\.0 MiB\/s, mean 3\.0 MiB\/s, tx peak 2\.0 MiB\/s, mean 512\.0 KiB\/s \(10 day\(s\) with figures\)\n/,
    );
    expect(out).toMatch(
      /\n {10}peaks growing 1\.0 MiB\/s\/day \(least squares over 10 samples\): in 30 days 51\.0 MiB\/s, in 90 days 111\.0 MiB\/s\n/,
    );
    expect(out).toMatch(
      /\n {10}link 1000 Mb\/s \(119\.2 MiB\/s\), the peak uses 18 %: 70 % of it \(30 % kept for bursts\) in 62 days \(\d{4}-\d\d-\d\d\)\n/,
    );
    expect(out).toMatch(
      /\nTABLE +SIZE +PER DAY +SAMPLES\nach_events +1\.4 GiB +\+100\.0 MiB +10\s*\naudit_log +64\.0 MiB +0 B +10\s*\npgboss\.job +8\.0 MiB +0 B +10\s*\n/,
    );
    expect(out).toMatch(
      /\nMOUNT +SIZE +FREE +USED +PER DAY +SAMPLES\n\/ +60\.0 GiB +10\.0 GiB +75 % +0 B +10\s*\n/,
    );

    const json = JSON.parse((await cb('capacity', '--days', '5', '--json')).out);
    expect(json).toMatchObject({
      windowDays: 5,
      samples: 5,
      database: { growth: { samples: 5 } },
      cpu: { peakRatio: 0.6, holds: true, burstBufferRatio: 0.3 },
      disk: { path: '/srv/cb-data', warningRatio: 0.8 },
      network: {
        samples: 5,
        peakBytesPerSecond: 21 * MiB,
        linkBytesPerSecond: 125_000_000,
        warningRatio: 0.7,
      },
    });
    expect(json.network.growth.perDay / MiB).toBeCloseTo(1, 6);
    expect(json.database.growth.perDay / MiB).toBeCloseTo(100, 6);
  });

  test('behavior: under 3 samples it says "not enough history" instead of a figure; a buffer that does not hold says so', async () => {
    await seed(2, [0.5, 0.9]);
    const { out } = await cb('capacity');
    expect(out).toMatch(
      /\ndatabase {2}1\.1 GiB, growth: not enough history: 2 sample\(s\), at least 3 needed\n/,
    );
    expect(out).toMatch(/\n {10}days until full: not enough history: 2 sample\(s\), at least 3 needed\n/);
    expect(out).toMatch(
      /\n {10}with the 30 % burst buffer it needs 117 % of the cores: the buffer does NOT hold, 17 % short: add cores or spread the load\n/,
    );
    expect(out).toMatch(
      /\n {10}trend of the daily peaks: not enough history: 2 sample\(s\), at least 3 needed\n/,
    );
    expect(out).toMatch(
      /\nmemory {4}peak 50 % of 4\.0 GiB on \d{4}-\d\d-\d\d; trend of the daily peaks: not enough history/,
    );
    expect(out).toMatch(/\nach_events +612\.0 MiB +not enough history +2\s*\n/);
    expect(out).toMatch(
      /\n {10}trend of the daily peaks: not enough history: 2 sample\(s\), at least 3 needed\n {10}link 1000 Mb\/s \(119\.2 MiB\/s\), the peak uses 11 %: 70 % of it \(30 % kept for bursts\) not forecast: not enough history: 2 sample\(s\), at least 3 needed\n/,
    );
  });

  test('behavior: a link of unknown speed, a peak past 70 % of the link, and no network figures say so', async () => {
    await seed(4, [0.2, 0.2, 0.2, 0.2], null);
    let { out } = await cb('capacity');
    expect(out).toMatch(
      /\n {10}peaks growing 1\.0 MiB\/s\/day .*: in 30 days 45\.0 MiB\/s, in 90 days 105\.0 MiB\/s\n/,
    );
    expect(out).toMatch(/\n {10}link: the link speed is not known: no interface of the recording host/);

    await seed(4, [0.2, 0.2, 0.2, 0.2], 20 * MiB);
    ({ out } = await cb('capacity'));
    expect(out).toMatch(
      /\n {10}link 168 Mb\/s \(20\.0 MiB\/s\), the peak uses 75 %: 70 % of it \(30 % kept for bursts\) passed already: a faster link or less traffic\n/,
    );

    await seed(4, [null, null, null, null]);
    ({ out } = await cb('capacity'));
    expect(out).toMatch(
      /\nnetwork {3}no network figures in the window: a worker records them once it has watched \/proc\/net\/dev for a minute \(Linux only\)\n/,
    );
  });

  test('behavior: without any sample it says where they come from', async () => {
    const { out, exitCode } = await cb('capacity');
    expect(exitCode).toBeUndefined();
    expect(out).toBe(
      'capacity over the last 30 day(s): no sample yet — a worker takes one daily (job ops.capacity, CB_CAPACITY_SCHEDULE) and at its start\n',
    );
    expect(JSON.parse((await cb('capacity', '--json')).out)).toMatchObject({
      samples: 0,
      database: { bytes: null, growth: { perDay: null } },
    });
  });

  test('error: a --days outside 3–400 or not a whole number is refused with what is expected', async () => {
    for (const bad of ['2', '401', '7d', '-5', '1.5'])
      await expect(cb('capacity', '--days', bad)).rejects.toThrow(
        new RegExp(`--days must be a whole number from 3 to 400, got "${bad.replace('.', '\\.')}"`),
      );
    await expect(cb('capacity', '--weeks', '2')).rejects.toThrow(/unknown option '--weeks'/);
  });

  test('behavior: --help explains where the figures come from, the fit, the 80 % level and the 30 % buffer', () => {
    const help = helpOf(registerCapacity, 'capacity');
    expect(help).toContain('--days <n>');
    expect(help).toMatch(/\(3–400\)\s+\(default:\s+"30"\)/);
    expect(help).toContain('job ops.capacity, CB_CAPACITY_SCHEDULE');
    expect(help).toContain('least-squares slope');
    expect(help).toContain('"not enough history"');
    expect(help).toContain('80 % used (HostDiskHigh)');
    expect(help).toContain('peak × 1.3 ≤ 100 %');
    expect(help).toContain('projected 30 and 90 days ahead');
    expect(help).toContain('70 % of\n  the link');
    expect(help).toContain('GET /v1/ops/capacity');
  });
});
