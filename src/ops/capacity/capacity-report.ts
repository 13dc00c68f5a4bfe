/**
 * The capacity report (seed 8.1 资源需求分析, 8.2 提前进行容量升级) over the daily samples of a
 * window: how fast the database and its largest tables grow (least squares, with the number of
 * samples behind each figure; under 3, "not enough history" rather than a guess), when that growth
 * fills the disk holding the database and when it reaches HostDiskHigh's 80 %, whether the CPU's
 * peak keeps a 30 % burst buffer (seed 8.1: 为突发流量预留缓冲，一般为峰值的30%) and for how long at its
 * trend, memory's peak and trend against HostMemoryHigh's 85 %, and the network's daily peak, its
 * trend projected 30 and 90 days ahead, against 70 % of the link (seed 8.1 网络资源).
 *
 * Days are counted from now, at a straight line through the window: a table under a retention
 * (audit_log, db_slow_queries, capacity_samples…) levels off once it is full, which a window
 * after that point shows and one before it does not (seed 8.1: 考虑数据保留策略对存储的影响).
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { usedRatio } from '../../platform/host-metrics.ts';
import type { CapacitySample } from './capacity-samples.ts';
import { readCapacitySamples } from './capacity-samples.ts';
import type {
  CapacityReport,
  CpuHeadroom,
  DiskForecast,
  Growth,
  MemoryTrend,
  NetworkTrend,
} from './capacity-shape.ts';
import { leastSquaresGrowth } from './least-squares.ts';

/** The window `cb capacity` and the gauge use unless told otherwise. */
export const DEFAULT_CAPACITY_WINDOW_DAYS = 30;

/** The shortest window: fewer days can never hold the 3 samples a growth needs. */
export const MIN_CAPACITY_WINDOW_DAYS = 3;
/** HostDiskHigh fires above it (deploy/prometheus/rules/host.yml). */
export const DISK_WARNING_RATIO = 0.8;
/** HostMemoryHigh fires above it. */
export const MEMORY_WARNING_RATIO = 0.85;
/** Seed 8.1: the buffer kept for bursts, as a share of the peak. */
export const BURST_BUFFER_RATIO = 0.3;
/**
 * The share of the link a network peak may use: what is left of it when seed 8.1's 30 % is kept for
 * bursts (1 − BURST_BUFFER_RATIO).
 */
export const NETWORK_WARNING_RATIO = 0.7;
/** Days ahead the network's peak is projected. */
export const NETWORK_PROJECTION_DAYS = [30, 90] as const;
/** Days ahead a straight line is extrapolated: ten years. */
export const FORECAST_HORIZON_DAYS = 3650;
/** How many tables the report lists. */
const LARGEST_TABLES = 10;

const DAY_MS = 86_400_000;

/** The first day of a window of `days` UTC days ending today (today included). */
export function windowStart(days: number, now: Date): string {
  return utcDay(new Date(now.getTime() - (days - 1) * DAY_MS));
}

/** Reads the window's samples and builds the report. */
export async function readCapacityReport(
  db: Queryable,
  options: { days?: number; now?: Date } = {},
): Promise<CapacityReport> {
  const days = options.days ?? DEFAULT_CAPACITY_WINDOW_DAYS;
  const now = options.now ?? new Date();
  const samples = await readCapacitySamples(db, { sinceDay: windowStart(days, now) });
  return capacityReport(samples, { days, now });
}

/** The report of `samples` (oldest first, all inside the window). */
export function capacityReport(
  samples: readonly CapacitySample[],
  options: { days: number; now: Date },
): CapacityReport {
  const { days, now } = options;
  const first = samples[0];
  const latest = samples.at(-1);
  const database = growthOf(samples, (s) => s.databaseBytes);
  const tables = Object.entries(latest?.tables ?? {})
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, LARGEST_TABLES)
    .map(([table, bytes]) => ({ table, bytes, growth: growthOf(samples, (s) => s.tables[table]) }));
  return {
    generatedAt: now.toISOString(),
    windowDays: days,
    sinceDay: windowStart(days, now),
    samples: samples.length,
    firstDay: first?.day ?? null,
    latestDay: latest?.day ?? null,
    latestTakenAt: latest?.takenAt ?? null,
    latestInstance: latest?.instance ?? null,
    database: { bytes: latest?.databaseBytes ?? null, growth: database },
    tables,
    disk: diskForecast(samples, { days, now }),
    disks: (latest?.disks ?? []).map((d) => ({
      mount: d.mount,
      sizeBytes: d.sizeBytes,
      usedBytes: d.usedBytes,
      availBytes: d.availBytes,
      usedRatio: usedRatio(d),
      usedGrowth: growthOf(samples, (s) => s.disks.find((x) => x.mount === d.mount)?.usedBytes),
    })),
    cpu: cpuHeadroom(samples, now),
    memory: memoryTrend(samples, now),
    network: networkTrend(samples, now),
  };
}

/**
 * When the database's growth over the samples fills the disk holding it (at the latest sample),
 * and when it takes it to 80 %. What the gauge cb_capacity_disk_full_days exports.
 */
export function diskForecast(
  samples: readonly Pick<CapacitySample, 'day' | 'takenAt' | 'databaseBytes' | 'dbDisk' | 'dbDiskNote'>[],
  options: { days: number; now: Date },
): DiskForecast {
  const latest = samples.at(-1);
  const disk = latest?.dbDisk ?? null;
  const base: DiskForecast = {
    path: disk?.path ?? null,
    sizeBytes: disk?.sizeBytes ?? null,
    usedBytes: disk?.usedBytes ?? null,
    availBytes: disk?.availBytes ?? null,
    usedRatio: disk ? usedRatio(disk) : null,
    warningRatio: DISK_WARNING_RATIO,
    daysUntilFull: null,
    fullOn: null,
    daysUntilWarning: null,
    warningOn: null,
    note: null,
  };
  if (!latest) return { ...base, note: noSamples(options.days) };
  if (!disk) return { ...base, note: latest.dbDiskNote ?? 'the disk holding the database is not known' };
  const growth = growthOf(samples, (s) => s.databaseBytes);
  if (growth.perDay === null) return { ...base, note: growth.note };
  if (growth.perDay <= 0)
    return {
      ...base,
      note: `the database is not growing over the window (${Math.round(growth.perDay)} bytes/day)`,
    };
  const full = daysUntil(disk.availBytes, growth.perDay, latest.takenAt, options.now);
  const toWarning = DISK_WARNING_RATIO * (disk.usedBytes + disk.availBytes) - disk.usedBytes;
  const warning = daysUntil(toWarning, growth.perDay, latest.takenAt, options.now);
  return {
    ...base,
    daysUntilFull: full?.days ?? null,
    fullOn: full?.on ?? null,
    daysUntilWarning: warning?.days ?? null,
    warningOn: warning?.on ?? null,
    note: full
      ? null
      : `not full within ${FORECAST_HORIZON_DAYS / 365} years at the database's growth (${Math.round(growth.perDay)} bytes/day)`,
  };
}

function cpuHeadroom(samples: readonly CapacitySample[], now: Date): CpuHeadroom {
  const withCpu = samples.filter((s) => s.hostCpuPeak !== null);
  const peak = highest(withCpu, (s) => s.hostCpuPeak!);
  const growth = growthOf(withCpu, (s) => s.hostCpuPeak ?? undefined);
  const latest = withCpu.at(-1);
  const base: CpuHeadroom = {
    cores: latest?.cpuCores ?? null,
    samples: withCpu.length,
    peakRatio: peak?.value ?? null,
    peakDay: peak?.day ?? null,
    meanRatio:
      withCpu.length > 0 ? withCpu.reduce((a, s) => a + (s.hostCpuMean ?? 0), 0) / withCpu.length : null,
    processPeakRatio: highest(withCpu, (s) => s.processCpuPeak ?? 0)?.value ?? null,
    burstBufferRatio: BURST_BUFFER_RATIO,
    requiredRatio: null,
    capacityRatio: 1,
    holds: null,
    spareRatio: null,
    growth,
    daysUntilBufferExhausted: null,
    note: null,
  };
  if (!peak || !latest)
    return {
      ...base,
      note: 'no CPU figures in the window: a worker records them once it has watched the CPU for a minute',
    };
  const required = peak.value * (1 + BURST_BUFFER_RATIO);
  // The highest peak the buffer still fits on top of: 1 / 1.3 ≈ 77 % of the cores.
  const room = 1 / (1 + BURST_BUFFER_RATIO) - peak.value;
  const exhausted =
    growth.perDay !== null && growth.perDay > 0
      ? daysUntil(room, growth.perDay, latest.takenAt, now)
      : undefined;
  return {
    ...base,
    requiredRatio: required,
    holds: required <= 1,
    spareRatio: 1 - required,
    daysUntilBufferExhausted: room <= 0 ? 0 : (exhausted?.days ?? null),
  };
}

function memoryTrend(samples: readonly CapacitySample[], now: Date): MemoryTrend {
  const withMemory = samples.filter((s) => s.memoryPeak !== null);
  const peak = highest(withMemory, (s) => s.memoryPeak!);
  const growth = growthOf(withMemory, (s) => s.memoryPeak ?? undefined);
  const latest = withMemory.at(-1);
  const room = peak ? MEMORY_WARNING_RATIO - peak.value : 0;
  const rising = growth.perDay !== null && growth.perDay > 0 && latest;
  return {
    samples: withMemory.length,
    peakRatio: peak?.value ?? null,
    peakDay: peak?.day ?? null,
    totalBytes: latest?.memoryTotalBytes ?? null,
    warningRatio: MEMORY_WARNING_RATIO,
    growth,
    daysUntilWarning: !peak
      ? null
      : room <= 0
        ? 0
        : rising
          ? (daysUntil(room, growth.perDay!, latest.takenAt, now)?.days ?? null)
          : null,
    note: peak
      ? null
      : 'no memory figures in the window: a worker records them once it has watched for a minute',
  };
}

/**
 * The network's daily peaks (rx + tx) and their trend: projected from the window's highest peak
 * (as the CPU's buffer is judged on it), rising at the least-squares growth from the latest sample.
 */
function networkTrend(samples: readonly CapacitySample[], now: Date): NetworkTrend {
  const withNetwork = samples.filter((s) => s.network !== null);
  const dayPeak = (s: CapacitySample) =>
    s.network ? s.network.rxPeakBytesPerSecond + s.network.txPeakBytesPerSecond : undefined;
  const peak = highest(withNetwork, (s) => dayPeak(s)!);
  const growth = growthOf(withNetwork, dayPeak);
  const latest = withNetwork.at(-1);
  const figures = latest?.network ?? null;
  const base: NetworkTrend = {
    samples: withNetwork.length,
    latestDay: latest?.day ?? null,
    rxPeakBytesPerSecond: figures?.rxPeakBytesPerSecond ?? null,
    rxMeanBytesPerSecond: figures?.rxMeanBytesPerSecond ?? null,
    txPeakBytesPerSecond: figures?.txPeakBytesPerSecond ?? null,
    txMeanBytesPerSecond: figures?.txMeanBytesPerSecond ?? null,
    peakBytesPerSecond: peak?.value ?? null,
    peakDay: peak?.day ?? null,
    growth,
    projectedPeak30DaysBytesPerSecond: null,
    projectedPeak90DaysBytesPerSecond: null,
    projectionNote: null,
    linkBytesPerSecond: figures?.linkBytesPerSecond ?? null,
    warningRatio: NETWORK_WARNING_RATIO,
    peakLinkRatio: null,
    daysUntilWarning: null,
    warningOn: null,
    linkNote: null,
    note: null,
  };
  if (!peak || !latest || !figures)
    return {
      ...base,
      projectionNote: growth.note,
      linkNote: 'no network figures in the window',
      note: 'no network figures in the window: a worker records them once it has watched /proc/net/dev for a minute (Linux only)',
    };
  const perDay = growth.perDay;
  const growing = perDay !== null && perDay > 0;
  const projectionNote =
    perDay === null
      ? growth.note
      : growing
        ? null
        : `the daily peak is not growing over the window (${Math.round(perDay)} bytes/s per day)`;
  /** The highest peak `days` from now, had it risen at `perDay` since the latest sample. */
  const projected = (days: number) =>
    growing ? peak.value + perDay * ((now.getTime() - Date.parse(latest.takenAt)) / DAY_MS + days) : null;
  const [soon, later] = NETWORK_PROJECTION_DAYS;
  const projections = {
    projectedPeak30DaysBytesPerSecond: projected(soon),
    projectedPeak90DaysBytesPerSecond: projected(later),
    projectionNote,
  };
  const link = figures.linkBytesPerSecond;
  if (link === null)
    return {
      ...base,
      ...projections,
      linkNote:
        'the link speed is not known: no interface of the recording host backed by a device reports one (/sys/class/net/<iface>/speed; virtual interfaces give -1 or nothing, a virtio NIC usually -1)',
    };
  const room = NETWORK_WARNING_RATIO * link - peak.value;
  const warning = room > 0 && growing ? daysUntil(room, perDay, latest.takenAt, now) : undefined;
  return {
    ...base,
    ...projections,
    peakLinkRatio: peak.value / link,
    daysUntilWarning: room <= 0 ? 0 : (warning?.days ?? null),
    warningOn: warning?.on ?? null,
    linkNote:
      room <= 0 || warning
        ? null
        : growing
          ? `not above ${Math.round(NETWORK_WARNING_RATIO * 100)} % of the link within ${FORECAST_HORIZON_DAYS / 365} years at the peak's growth (${Math.round(perDay)} bytes/s per day)`
          : projectionNote,
  };
}

/** The growth of `value` over the samples that have it (x: when each was taken, in days). */
function growthOf<S extends { takenAt: string }>(
  samples: readonly S[],
  value: (s: S) => number | null | undefined,
): Growth {
  const points: { x: number; y: number }[] = [];
  for (const s of samples) {
    const y = value(s);
    if (y !== undefined && y !== null) points.push({ x: Date.parse(s.takenAt) / DAY_MS, y });
  }
  return leastSquaresGrowth(points);
}

/**
 * Days from now until `left` is used up at `perDay` (> 0), counted from the sample it was measured
 * at; 0 once it is (or was already), and the UTC day it happens on. Undefined beyond the horizon: a
 * straight line says nothing about decades ahead (and a slope that is only rounding noise on a flat
 * series would put the day past the calendar's end).
 */
function daysUntil(
  left: number,
  perDay: number,
  takenAt: string,
  now: Date,
): { days: number; on: string } | undefined {
  const after = Math.max(0, left) / perDay;
  if (!(after <= FORECAST_HORIZON_DAYS)) return undefined;
  const at = Date.parse(takenAt) + after * DAY_MS;
  return { days: Math.max(0, (at - now.getTime()) / DAY_MS), on: utcDay(new Date(at)) };
}

function highest<S extends { day: string }>(
  samples: readonly S[],
  value: (s: S) => number,
): { value: number; day: string } | undefined {
  let best: { value: number; day: string } | undefined;
  for (const s of samples) if (!best || value(s) > best.value) best = { value: value(s), day: s.day };
  return best;
}

const noSamples = (days: number) =>
  `not enough history: no capacity sample in the last ${days} day(s) (the daily job ops.capacity, CB_CAPACITY_SCHEDULE)`;

const utcDay = (d: Date) => d.toISOString().slice(0, 10);
