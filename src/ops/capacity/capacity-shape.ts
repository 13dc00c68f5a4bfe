/**
 * What `cb capacity --json` prints and `GET /v1/ops/capacity` answers (no imports: a console page
 * can share it). Bytes are bytes, ratios 0–1, growths per day, days from now; a figure that cannot
 * be given is null with a `note` saying why.
 */

/** A growth fitted by least squares over the window's daily samples. */
export interface Growth {
  /** Samples the line was fitted on. */
  samples: number;
  /** Slope in the figure's unit per day; null with fewer than 3 samples. */
  perDay: number | null;
  /** Why `perDay` is null ("not enough history: …"), else null. */
  note: string | null;
}

/** The disk holding the database, and when the database's growth fills it. */
export interface DiskForecast {
  /** The filesystem's path at the latest sample; null when it could not be seen (see note). */
  path: string | null;
  sizeBytes: number | null;
  usedBytes: number | null;
  availBytes: number | null;
  /** used ÷ (used + avail), as df and cb_host_disk_utilization_ratio count it. */
  usedRatio: number | null;
  /** The level HostDiskHigh fires at (0.8). */
  warningRatio: number;
  /** Days from now until the disk is full at the database's growth; 0: full already. */
  daysUntilFull: number | null;
  /** The UTC day it is full on. */
  fullOn: string | null;
  /** Days from now until it reaches `warningRatio` at that growth; 0: past it already. */
  daysUntilWarning: number | null;
  warningOn: string | null;
  /** Why the days are null (no history, not growing, disk not visible), else null. */
  note: string | null;
}

/** CPU against seed 8.1's burst buffer: the peak observed, plus 30 %, must fit in the cores. */
export interface CpuHeadroom {
  /** Cores of the host that took the latest sample with CPU figures. */
  cores: number | null;
  /** Days in the window with CPU figures. */
  samples: number;
  /** The highest 1-minute busy share of the host's CPU on any day of the window (0–1 of all cores). */
  peakRatio: number | null;
  peakDay: string | null;
  /** Mean of the days' mean busy shares. */
  meanRatio: number | null;
  /** The highest 1-minute share cb's own process used (0–1 of all cores). */
  processPeakRatio: number | null;
  /** 0.3: the buffer kept for bursts, as a share of the peak (seed 8.1: 一般为峰值的30%). */
  burstBufferRatio: number;
  /** peak × (1 + buffer): the share of the cores the peak with its buffer needs. */
  requiredRatio: number | null;
  /** 1: all the cores. */
  capacityRatio: number;
  /** Whether the peak with its buffer fits: requiredRatio ≤ capacityRatio. */
  holds: boolean | null;
  /** capacity − required: negative when the buffer does not hold. */
  spareRatio: number | null;
  /** Growth of the daily peaks (ratio per day). */
  growth: Growth;
  /** Days from now until the peak, rising at that growth, leaves no room for the buffer; 0: it does not hold now. */
  daysUntilBufferExhausted: number | null;
  note: string | null;
}

/** Memory use's peak and trend against HostMemoryHigh's 85 %. */
export interface MemoryTrend {
  samples: number;
  /** The highest memory use of the host on any day of the window (0–1). */
  peakRatio: number | null;
  peakDay: string | null;
  totalBytes: number | null;
  /** The level HostMemoryHigh fires at (0.85). */
  warningRatio: number;
  /** Growth of the daily peaks (ratio per day). */
  growth: Growth;
  /** Days from now until the peak, rising at that growth, reaches `warningRatio`; 0: past it. */
  daysUntilWarning: number | null;
  note: string | null;
}

/**
 * Network bandwidth of the recording host (seed 8.1 网络资源: 监控带宽使用趋势，预测未来带宽需求), in bytes
 * per second, summed over every interface but loopback (as cb_host_network_bytes_total). A day's
 * peak is its receive peak plus its transmit peak (each the highest 1-minute rate; they may fall in
 * different minutes, so the sum is an upper bound).
 */
export interface NetworkTrend {
  /** Days in the window with network figures. */
  samples: number;
  /** The latest day with figures, and its peaks and means. */
  latestDay: string | null;
  rxPeakBytesPerSecond: number | null;
  rxMeanBytesPerSecond: number | null;
  txPeakBytesPerSecond: number | null;
  txMeanBytesPerSecond: number | null;
  /** The highest daily peak (rx + tx) in the window, and its day. */
  peakBytesPerSecond: number | null;
  peakDay: string | null;
  /** Growth of the daily peaks, rx + tx (bytes per second per day). */
  growth: Growth;
  /**
   * The window's highest peak, rising at that growth from the latest sample, 30 and 90 days from
   * now; null when the peaks are not growing or there is not enough history (`projectionNote`).
   */
  projectedPeak30DaysBytesPerSecond: number | null;
  projectedPeak90DaysBytesPerSecond: number | null;
  projectionNote: string | null;
  /** The link's speed at the latest sample with figures; null when unknown (`linkNote`). */
  linkBytesPerSecond: number | null;
  /** 0.7: the share of the link a peak may use, leaving seed 8.1's 30 % for bursts. */
  warningRatio: number;
  /** The highest peak ÷ the link. */
  peakLinkRatio: number | null;
  /** Days from now until the peak, rising at its growth, exceeds `warningRatio` of the link; 0: it does already. */
  daysUntilWarning: number | null;
  warningOn: string | null;
  /** Why `daysUntilWarning` is null (link speed unknown, peaks not growing or too few, beyond ten years), else null. */
  linkNote: string | null;
  /** Why there are no figures at all, else null. */
  note: string | null;
}

export interface CapacityReport {
  generatedAt: string;
  /** The window: the last `windowDays` UTC days, today included, from `sinceDay`. */
  windowDays: number;
  sinceDay: string;
  /** Daily samples in the window. */
  samples: number;
  firstDay: string | null;
  latestDay: string | null;
  latestTakenAt: string | null;
  /** The instance that took the latest sample (its host's disks and CPU). */
  latestInstance: string | null;
  database: { bytes: number | null; growth: Growth };
  /** The largest tables at the latest sample (at most 10), each with its own growth. */
  tables: { table: string; bytes: number; growth: Growth }[];
  disk: DiskForecast;
  /** The mounts the host sampler watches, at the latest sample, each with its used space's growth. */
  disks: {
    mount: string;
    sizeBytes: number;
    usedBytes: number;
    availBytes: number;
    usedRatio: number;
    usedGrowth: Growth;
  }[];
  cpu: CpuHeadroom;
  memory: MemoryTrend;
  network: NetworkTrend;
}
