/**
 * `cb capacity [--days 30] [--json]`: the capacity report over the daily samples (seed 8 容量规划;
 * see src/ops/capacity for what is recorded and how the figures are fitted). The same JSON as
 * `GET /v1/ops/capacity`.
 */
import type { Command } from 'commander';
import { formatDuration } from '../ops/backup/backups-shape.ts';
import {
  BURST_BUFFER_RATIO,
  DEFAULT_CAPACITY_WINDOW_DAYS,
  DISK_WARNING_RATIO,
  MEMORY_WARNING_RATIO,
  MIN_CAPACITY_WINDOW_DAYS,
  NETWORK_PROJECTION_DAYS,
  NETWORK_WARNING_RATIO,
  readCapacityReport,
} from '../ops/capacity/capacity-report.ts';
import { CAPACITY_RETENTION_DAYS } from '../ops/capacity/capacity-samples.ts';
import type { CapacityReport, Growth } from '../ops/capacity/capacity-shape.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';
import { withDatabase } from './with-database.ts';

export function registerCapacity(program: Command): void {
  program
    .command('capacity')
    .description(
      "Capacity report from the daily samples: growth per day of the database and its largest tables, days until the database's disk is full (and at 80 %), the CPU peak against a 30 % burst buffer, memory's peak and trend, the network's peak and its projection against 70 % of the link.",
    )
    .option(
      '--days <n>',
      `the window: the last N UTC days, today included (${MIN_CAPACITY_WINDOW_DAYS}–${CAPACITY_RETENTION_DAYS})`,
      String(DEFAULT_CAPACITY_WINDOW_DAYS),
    )
    .option('--json', 'print the report as JSON (the same as GET /v1/ops/capacity)')
    .addHelpText(
      'after',
      `
Where the figures come from: once a day (job ops.capacity, CB_CAPACITY_SCHEDULE, 05:47 UTC; kept
${CAPACITY_RETENTION_DAYS} days) a worker records the database's size and every table's (public and the job
queue's), the space of the disk holding the database (the embedded database's CB_DATA_DIR, or
PostgreSQL's data_directory when the server runs on the same host) and of / and CB_DATA_DIR, and
its host's CPU, memory and network traffic over the last 24 hours in 1-minute means.

- growth: least-squares slope over the window's samples, per day, with the number of samples
  behind it; under 3 samples it says "not enough history" instead of a figure.
- disk: days until the database's growth fills the disk (its free space at the latest sample),
  and until the disk is ${Math.round(DISK_WARNING_RATIO * 100)} % used (HostDiskHigh). Over the default 30 days this is
  cb_capacity_disk_full_days, which every cb process exports (alert CapacityDiskFullSoon).
- cpu: the highest 1-minute busy share of the host's CPU in the window plus a ${Math.round(BURST_BUFFER_RATIO * 100)} % buffer for
  bursts (seed 8.1: 为突发流量预留缓冲，一般为峰值的30%), against all the cores: the buffer holds while
  peak × ${1 + BURST_BUFFER_RATIO} ≤ 100 %. With 3 days of peaks, their trend says when it stops holding.
- memory: the highest use in the window and its trend towards ${Math.round(MEMORY_WARNING_RATIO * 100)} % (HostMemoryHigh).
- network: the host's traffic (every interface but lo), a day's peak being its highest 1-minute
  receive rate plus its highest transmit rate; the window's highest peak, rising at the trend of
  the daily peaks, projected ${NETWORK_PROJECTION_DAYS.join(' and ')} days ahead, and the days until it passes ${Math.round(NETWORK_WARNING_RATIO * 100)} % of
  the link (the rest kept for bursts) when the link's speed is known (/sys/class/net/<iface>/speed).

On the embedded database a running cb start holds the data directory: ask it instead,
GET /v1/ops/capacity (scope ops:read).`,
    )
    .action(async (opts: { days: string; json?: boolean }) => {
      const days = Number(opts.days);
      if (!/^\d+$/.test(opts.days) || days < MIN_CAPACITY_WINDOW_DAYS || days > CAPACITY_RETENTION_DAYS)
        throw new CliError(
          `--days must be a whole number from ${MIN_CAPACITY_WINDOW_DAYS} to ${CAPACITY_RETENTION_DAYS}, got "${opts.days}"`,
          2,
        );
      const report = await withDatabase(({ db }) => readCapacityReport(db, { days }));
      if (opts.json) printJson(report);
      else printReport(report);
    });
}

function printReport(r: CapacityReport): void {
  if (r.samples === 0) {
    printLine(
      `capacity over the last ${r.windowDays} day(s): no sample yet — a worker takes one daily (job ops.capacity, CB_CAPACITY_SCHEDULE) and at its start`,
    );
    return;
  }
  const age = r.latestTakenAt
    ? formatDuration((Date.parse(r.generatedAt) - Date.parse(r.latestTakenAt)) / 1000)
    : '';
  printLine(
    `capacity over the last ${r.windowDays} day(s): ${r.samples} daily sample(s), ${r.firstDay} … ${r.latestDay} (latest ${age} ago, on ${r.latestInstance})`,
  );
  printLine('');
  printLine(`database  ${bytes(r.database.bytes!)}, ${growthText(r.database.growth, bytes)}`);

  const d = r.disk;
  if (d.path === null) printLine(`disk      unknown: ${d.note}`);
  else {
    printLine(
      `disk      ${d.path}: ${bytes(d.availBytes!)} free of ${bytes(d.sizeBytes!)} (${pct(d.usedRatio!)} used)`,
    );
    if (d.daysUntilFull === null) printLine(`          days until full: ${d.note}`);
    else
      printLine(
        `          at the database's growth: full ${when(d.daysUntilFull, d.fullOn!)}, ${pct(d.warningRatio)} (HostDiskHigh) ${when(d.daysUntilWarning!, d.warningOn!)}`,
      );
  }

  const c = r.cpu;
  if (c.peakRatio === null) printLine(`cpu       ${c.note}`);
  else {
    printLine(
      `cpu       peak ${pct(c.peakRatio)} of ${c.cores} core(s) on ${c.peakDay} (days' mean ${pct(c.meanRatio!)}, cb itself at most ${pct(c.processPeakRatio!)}; ${c.samples} day(s) with figures)`,
    );
    printLine(
      `          with the ${pct(c.burstBufferRatio)} burst buffer it needs ${pct(c.requiredRatio!)} of the cores: ${
        c.holds
          ? `the buffer holds, ${pct(c.spareRatio!)} spare`
          : `the buffer does NOT hold, ${pct(-c.spareRatio!)} short: add cores or spread the load`
      }`,
    );
    printLine(
      `          ${peaksTrend(c.growth)}${
        c.holds && c.daysUntilBufferExhausted !== null
          ? `: the buffer stops holding in ${days(c.daysUntilBufferExhausted)}`
          : ''
      }`,
    );
  }

  const m = r.memory;
  if (m.peakRatio === null) printLine(`memory    ${m.note}`);
  else
    printLine(
      `memory    peak ${pct(m.peakRatio)} of ${bytes(m.totalBytes!)} on ${m.peakDay}; ${peaksTrend(m.growth)}${
        m.daysUntilWarning !== null
          ? `: ${pct(m.warningRatio)} (HostMemoryHigh) ${m.daysUntilWarning === 0 ? 'reached already' : `in ${days(m.daysUntilWarning)}`}`
          : ''
      }`,
    );

  printNetwork(r.network);

  if (r.tables.length > 0) {
    printLine('');
    printLine(`largest tables (growth per day over the window)`);
    printTable(
      r.tables.map((t) => ({
        table: t.table,
        size: bytes(t.bytes),
        'per day': t.growth.perDay === null ? 'not enough history' : signedBytes(t.growth.perDay),
        samples: t.growth.samples,
      })),
      ['table', 'size', 'per day', 'samples'],
    );
  }
  if (r.disks.length > 0) {
    printLine('');
    printLine(`watched mounts (used space's growth per day)`);
    printTable(
      r.disks.map((x) => ({
        mount: x.mount,
        size: bytes(x.sizeBytes),
        free: bytes(x.availBytes),
        used: pct(x.usedRatio),
        'per day': x.usedGrowth.perDay === null ? 'not enough history' : signedBytes(x.usedGrowth.perDay),
        samples: x.usedGrowth.samples,
      })),
      ['mount', 'size', 'free', 'used', 'per day', 'samples'],
    );
  }
}

function printNetwork(n: CapacityReport['network']): void {
  if (n.peakBytesPerSecond === null) {
    printLine(`network   ${n.note}`);
    return;
  }
  printLine(
    `network   peak ${rate(n.peakBytesPerSecond)} (rx + tx) on ${n.peakDay}; on ${n.latestDay} rx peak ${rate(n.rxPeakBytesPerSecond!)}, mean ${rate(n.rxMeanBytesPerSecond!)}, tx peak ${rate(n.txPeakBytesPerSecond!)}, mean ${rate(n.txMeanBytesPerSecond!)} (${n.samples} day(s) with figures)`,
  );
  const [soon, later] = NETWORK_PROJECTION_DAYS;
  printLine(
    `          ${
      n.growth.perDay === null
        ? `trend of the daily peaks: ${n.growth.note}`
        : `peaks ${growthText(n.growth, rate)}`
    }${
      n.projectedPeak30DaysBytesPerSecond !== null
        ? `: in ${soon} days ${rate(n.projectedPeak30DaysBytesPerSecond)}, in ${later} days ${rate(n.projectedPeak90DaysBytesPerSecond!)}`
        : ''
    }`,
  );
  const level = `${pct(n.warningRatio)} of it (${pct(1 - n.warningRatio)} kept for bursts)`;
  if (n.linkBytesPerSecond === null) printLine(`          link: ${n.linkNote}`);
  else
    printLine(
      `          link ${Math.round(n.linkBytesPerSecond / 125_000)} Mb/s (${rate(n.linkBytesPerSecond)}), the peak uses ${pct(n.peakLinkRatio!)}: ${level} ${
        n.daysUntilWarning === 0
          ? 'passed already: a faster link or less traffic'
          : n.daysUntilWarning !== null
            ? `in ${days(n.daysUntilWarning)} (${n.warningOn})`
            : `not forecast: ${n.linkNote}`
      }`,
    );
}

/** `growing 100.0 MiB/day (least squares over 10 samples)`, or `growth: not enough history: …`. */
function growthText(g: Growth, unit: (n: number) => string): string {
  if (g.perDay === null) return `growth: ${g.note}`;
  const fit = `(least squares over ${g.samples} samples)`;
  if (g.perDay === 0) return `flat ${fit}`;
  return `${g.perDay > 0 ? 'growing' : 'shrinking'} ${unit(Math.abs(g.perDay))}/day ${fit}`;
}

/** The trend of the daily peaks (CPU, memory), in percentage points. */
const peaksTrend = (g: Growth) =>
  g.perDay === null ? `trend of the daily peaks: ${g.note}` : `peaks ${growthText(g, points)}`;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1.2 GiB, 100.0 MiB, 512 B. */
function bytes(n: number): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

/** 1.2 MiB/s. */
const rate = (n: number) => `${bytes(n)}/s`;
const signedBytes = (n: number) => (n === 0 ? '0 B' : `${n < 0 ? '-' : '+'}${bytes(Math.abs(n))}`);
const pct = (ratio: number) => `${Math.round(ratio * 100)} %`;
const points = (ratio: number) => `${(ratio * 100).toFixed(1)} points`;
const days = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} days`;
/** `in 4.4 days (2026-12-01)`, or `already (2026-11-27)` when it is reached. */
const when = (n: number, on: string) => (n === 0 ? `already (${on})` : `in ${days(n)} (${on})`);
