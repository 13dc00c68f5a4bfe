/**
 * The capacity history (`capacity_samples`, one row per UTC day): what is measured, how a day is
 * written (a second run the same day replaces it) and read back. The job that writes it daily is
 * capacity-job.ts; the forecast over it is capacity-report.ts.
 */
import { totalmem } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import { readTableSizes } from '../../platform/db/table-sizes.ts';
import { cpuCores, type DiskSpace, diskSpace } from '../../platform/host-metrics.ts';
import type { UsageTracker } from './usage-tracker.ts';

/** Days a sample is kept: a year and a month, so a window can reach the same month last year. */
export const CAPACITY_RETENTION_DAYS = 400;

/** What one run measures. */
export interface CapacityMeasurement {
  databaseBytes: number;
  /** Bytes per table (public by name, the job queue's as `schema.table`). */
  tables: Record<string, number>;
  /** The disk holding the database, or null when it cannot be seen from here (`dbDiskNote` says why). */
  dbDisk: ({ path: string } & DiskSpace) | null;
  dbDiskNote: string | null;
  /** The mounts the host sampler watches, those that could be read. */
  disks: ({ mount: string } & DiskSpace)[];
  cpuCores: number;
  /** Seconds of CPU and memory readings behind the figures below (0: none yet, the figures null). */
  usageObservedSeconds: number;
  hostCpuPeak: number | null;
  hostCpuMean: number | null;
  processCpuPeak: number | null;
  memoryPeak: number | null;
  memoryTotalBytes: number;
  /** The host's traffic of the same 24 hours; null when none was watched (see usageObservedSeconds). */
  network: NetworkMeasurement | null;
}

/** A day's traffic, summed over every interface but loopback, in bytes per second. */
export interface NetworkMeasurement {
  /** Highest 1-minute receive rate. */
  rxPeakBytesPerSecond: number;
  rxMeanBytesPerSecond: number;
  /** Highest 1-minute transmit rate. */
  txPeakBytesPerSecond: number;
  txMeanBytesPerSecond: number;
  /** The host's link speed (link-speed.ts); null when no interface reports one. */
  linkBytesPerSecond: number | null;
}

/** One day as recorded. */
export interface CapacitySample extends CapacityMeasurement {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  takenAt: string;
  instance: string;
}

export interface MeasureCapacityOptions {
  /** Schemas whose tables are sized (public and the job queue's, as the db sampler). */
  schemas: readonly string[];
  /** Mount points (or any path on them) whose space is recorded: the host sampler's. */
  mounts: readonly string[];
  /** CB_DATA_DIR: the embedded database's disk. */
  dataDir: string;
  /** This process's CPU, memory and network readings (a worker's); none: the figures are null. */
  usage?: UsageTracker | undefined;
  /**
   * Checked before each statement: once aborted (the job's expiry, a stop), no further one is sent
   * and the signal's reason is thrown.
   */
  signal?: AbortSignal | undefined;
}

/** Measures the database, its disk, the watched mounts and the tracked CPU, memory and network, now. */
export async function measureCapacity(db: Db, options: MeasureCapacityOptions): Promise<CapacityMeasurement> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const tables = Object.fromEntries(
    [...(await readTableSizes(db, options.schemas))].sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  signal?.throwIfAborted();
  const { rows } = await db.query<{ bytes: string }>(
    'select pg_database_size(current_database())::text as bytes',
  );
  signal?.throwIfAborted();
  const { disk, note } = await databaseDisk(db, options.dataDir, signal);
  const disks: CapacityMeasurement['disks'] = [];
  for (const mount of new Set(options.mounts)) {
    if (mount.startsWith('memory://')) continue;
    const space = diskSpace(mount);
    if (space) disks.push({ mount, ...space });
  }
  const usage = options.usage?.summary();
  return {
    databaseBytes: Number(rows[0]?.bytes ?? 0),
    tables,
    dbDisk: disk,
    dbDiskNote: note,
    disks,
    cpuCores: cpuCores(),
    usageObservedSeconds: usage?.observedSeconds ?? 0,
    hostCpuPeak: usage?.hostCpuPeak ?? null,
    hostCpuMean: usage?.hostCpuMean ?? null,
    processCpuPeak: usage?.processCpuPeak ?? null,
    memoryPeak: usage?.memoryPeak ?? null,
    memoryTotalBytes: totalmem(),
    network: usage?.network
      ? {
          rxPeakBytesPerSecond: usage.network.rxPeakBytesPerSecond,
          rxMeanBytesPerSecond: usage.network.rxMeanBytesPerSecond,
          txPeakBytesPerSecond: usage.network.txPeakBytesPerSecond,
          txMeanBytesPerSecond: usage.network.txMeanBytesPerSecond,
          linkBytesPerSecond: usage.network.linkBytesPerSecond,
        }
      : null,
  };
}

/**
 * The filesystem the database writes to: the embedded database's directory; PostgreSQL's
 * `data_directory` when the server runs on this host (a Unix socket or loopback connection) and
 * this role may read the setting. Tablespaces elsewhere are not followed.
 */
async function databaseDisk(
  db: Db,
  dataDir: string,
  signal: AbortSignal | undefined,
): Promise<{ disk: CapacityMeasurement['dbDisk']; note: string | null }> {
  if (db.driver === 'pglite') {
    if (dataDir.startsWith('memory://'))
      return { disk: null, note: 'the embedded database is in memory (CB_DATA_DIR=memory://): no disk' };
    const path = resolve(dataDir);
    const space = diskSpace(path);
    return space
      ? { disk: { path, ...space }, note: null }
      : { disk: null, note: `the filesystem of CB_DATA_DIR (${path}) could not be read` };
  }
  const { rows } = await db.query<{ addr: string | null }>('select host(inet_server_addr()) as addr');
  const addr = rows[0]?.addr ?? null;
  if (addr !== null && !isLoopback(addr))
    return {
      disk: null,
      note: `PostgreSQL runs on another host (${addr}): its disk cannot be seen from here; watch it there (node_exporter: HostDiskHigh, HostDiskFillingUp)`,
    };
  signal?.throwIfAborted();
  let dir: string;
  try {
    const setting = await db.query<{ dir: string }>("select current_setting('data_directory') as dir");
    dir = setting.rows[0]?.dir ?? '';
  } catch {
    return {
      disk: null,
      note: "PostgreSQL's data_directory cannot be read by cb's role (grant it pg_read_all_settings)",
    };
  }
  const space = isAbsolute(dir) ? diskSpace(dir) : undefined;
  return space
    ? { disk: { path: dir, ...space }, note: null }
    : {
        disk: null,
        note: `PostgreSQL's data_directory (${dir}) is not visible from this process (another container?)`,
      };
}

const isLoopback = (addr: string) => addr.startsWith('127.') || addr === '::1';

/**
 * Writes the day's sample: today (UTC, the database's clock) unless `day` is given. A second run
 * the same day replaces the row — the sizes and disks are the newest — except that a run without
 * CPU or network figures (a worker that had just started) keeps those of an earlier run that day. One
 * statement: two workers running it together leave one complete row. Returns the day written.
 */
export async function recordCapacitySample(
  db: Queryable,
  m: CapacityMeasurement,
  options: { instance: string; day?: string | undefined; takenAt?: Date | undefined },
): Promise<string> {
  const { rows } = await db.query<{ day: string }>(
    `insert into capacity_samples
       (day, taken_at, instance, database_bytes, tables, db_disk_path, db_disk_size_bytes,
        db_disk_used_bytes, db_disk_avail_bytes, db_disk_note, disks, cpu_cores, usage_observed_seconds,
        host_cpu_peak_ratio, host_cpu_mean_ratio, process_cpu_peak_ratio, memory_peak_ratio, memory_total_bytes,
        network_rx_peak_bytes_per_second, network_rx_mean_bytes_per_second, network_tx_peak_bytes_per_second,
        network_tx_mean_bytes_per_second, network_link_bytes_per_second)
     values (coalesce($1::date, (now() at time zone 'utc')::date), coalesce($2::timestamptz, now()), $3, $4,
             $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17, $18,
             $19, $20, $21, $22, $23)
     on conflict (day) do update set
       taken_at = excluded.taken_at,
       instance = excluded.instance,
       database_bytes = excluded.database_bytes,
       tables = excluded.tables,
       db_disk_path = excluded.db_disk_path,
       db_disk_size_bytes = excluded.db_disk_size_bytes,
       db_disk_used_bytes = excluded.db_disk_used_bytes,
       db_disk_avail_bytes = excluded.db_disk_avail_bytes,
       db_disk_note = excluded.db_disk_note,
       disks = excluded.disks,
       memory_total_bytes = excluded.memory_total_bytes,
       cpu_cores = case when excluded.host_cpu_peak_ratio is null and capacity_samples.host_cpu_peak_ratio is not null
                        then capacity_samples.cpu_cores else excluded.cpu_cores end,
       usage_observed_seconds = case when excluded.host_cpu_peak_ratio is null
                                     then capacity_samples.usage_observed_seconds else excluded.usage_observed_seconds end,
       host_cpu_peak_ratio = coalesce(excluded.host_cpu_peak_ratio, capacity_samples.host_cpu_peak_ratio),
       host_cpu_mean_ratio = coalesce(excluded.host_cpu_mean_ratio, capacity_samples.host_cpu_mean_ratio),
       process_cpu_peak_ratio = coalesce(excluded.process_cpu_peak_ratio, capacity_samples.process_cpu_peak_ratio),
       memory_peak_ratio = coalesce(excluded.memory_peak_ratio, capacity_samples.memory_peak_ratio),
       network_rx_peak_bytes_per_second = coalesce(excluded.network_rx_peak_bytes_per_second,
                                                   capacity_samples.network_rx_peak_bytes_per_second),
       network_rx_mean_bytes_per_second = coalesce(excluded.network_rx_mean_bytes_per_second,
                                                   capacity_samples.network_rx_mean_bytes_per_second),
       network_tx_peak_bytes_per_second = coalesce(excluded.network_tx_peak_bytes_per_second,
                                                   capacity_samples.network_tx_peak_bytes_per_second),
       network_tx_mean_bytes_per_second = coalesce(excluded.network_tx_mean_bytes_per_second,
                                                   capacity_samples.network_tx_mean_bytes_per_second),
       -- The link goes with the figures it was read beside: a run with figures but no known link says so.
       network_link_bytes_per_second = case when excluded.network_rx_peak_bytes_per_second is null
                                            then capacity_samples.network_link_bytes_per_second
                                            else excluded.network_link_bytes_per_second end
     returning day::text as day`,
    [
      options.day ?? null,
      options.takenAt ?? null,
      options.instance,
      m.databaseBytes,
      JSON.stringify(m.tables),
      m.dbDisk?.path ?? null,
      m.dbDisk?.sizeBytes ?? null,
      m.dbDisk?.usedBytes ?? null,
      m.dbDisk?.availBytes ?? null,
      m.dbDisk ? null : (m.dbDiskNote ?? 'unknown'),
      JSON.stringify(m.disks),
      m.cpuCores,
      m.usageObservedSeconds,
      m.hostCpuPeak,
      m.hostCpuMean,
      m.processCpuPeak,
      m.memoryPeak,
      m.memoryTotalBytes,
      m.network?.rxPeakBytesPerSecond ?? null,
      m.network?.rxMeanBytesPerSecond ?? null,
      m.network?.txPeakBytesPerSecond ?? null,
      m.network?.txMeanBytesPerSecond ?? null,
      m.network && m.network.linkBytesPerSecond !== null ? Math.round(m.network.linkBytesPerSecond) : null,
    ],
  );
  return rows[0]!.day;
}

/** Deletes the samples older than CAPACITY_RETENTION_DAYS (the database's clock); returns how many. */
export async function pruneCapacitySamples(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `delete from capacity_samples where day < (now() at time zone 'utc')::date - $1::int`,
    [CAPACITY_RETENTION_DAYS],
  );
  return rowCount;
}

/** Whether today (UTC, the database's clock) has a sample. */
export async function sampledToday(db: Queryable): Promise<boolean> {
  const { rows } = await db.query(
    `select 1 from capacity_samples where day = (now() at time zone 'utc')::date`,
  );
  return rows.length > 0;
}

/**
 * The samples from `sinceDay` (YYYY-MM-DD, inclusive) on, oldest first; with `tables: false` their
 * per-table sizes and mounts are left out (the gauge's sampler reads only the database and its disk).
 */
export async function readCapacitySamples(
  db: Queryable,
  options: { sinceDay: string; tables?: boolean },
): Promise<CapacitySample[]> {
  const { rows } = await db.query<{
    day: string;
    taken_at: Date;
    instance: string;
    database_bytes: string;
    tables: Record<string, number> | null;
    db_disk_path: string | null;
    db_disk_size_bytes: string | null;
    db_disk_used_bytes: string | null;
    db_disk_avail_bytes: string | null;
    db_disk_note: string | null;
    disks: CapacityMeasurement['disks'] | null;
    cpu_cores: number;
    usage_observed_seconds: number;
    host_cpu_peak_ratio: number | null;
    host_cpu_mean_ratio: number | null;
    process_cpu_peak_ratio: number | null;
    memory_peak_ratio: number | null;
    memory_total_bytes: string;
    network_rx_peak_bytes_per_second: number | null;
    network_rx_mean_bytes_per_second: number | null;
    network_tx_peak_bytes_per_second: number | null;
    network_tx_mean_bytes_per_second: number | null;
    network_link_bytes_per_second: string | null;
  }>(
    `select day::text as day, taken_at, instance, database_bytes::text as database_bytes,
            ${options.tables === false ? 'null::jsonb as tables, null::jsonb as disks' : 'tables, disks'},
            db_disk_path, db_disk_size_bytes::text as db_disk_size_bytes,
            db_disk_used_bytes::text as db_disk_used_bytes, db_disk_avail_bytes::text as db_disk_avail_bytes,
            db_disk_note, cpu_cores, usage_observed_seconds, host_cpu_peak_ratio, host_cpu_mean_ratio,
            process_cpu_peak_ratio, memory_peak_ratio, memory_total_bytes::text as memory_total_bytes,
            network_rx_peak_bytes_per_second, network_rx_mean_bytes_per_second,
            network_tx_peak_bytes_per_second, network_tx_mean_bytes_per_second,
            network_link_bytes_per_second::text as network_link_bytes_per_second
       from capacity_samples where day >= $1::date order by day`,
    [options.sinceDay],
  );
  const num = (v: string | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    day: r.day,
    takenAt: new Date(r.taken_at).toISOString(),
    instance: r.instance,
    databaseBytes: Number(r.database_bytes),
    tables: r.tables ?? {},
    dbDisk:
      r.db_disk_path === null
        ? null
        : {
            path: r.db_disk_path,
            sizeBytes: num(r.db_disk_size_bytes)!,
            usedBytes: num(r.db_disk_used_bytes)!,
            availBytes: num(r.db_disk_avail_bytes)!,
          },
    dbDiskNote: r.db_disk_note,
    disks: r.disks ?? [],
    cpuCores: r.cpu_cores,
    usageObservedSeconds: r.usage_observed_seconds,
    hostCpuPeak: r.host_cpu_peak_ratio,
    hostCpuMean: r.host_cpu_mean_ratio,
    processCpuPeak: r.process_cpu_peak_ratio,
    memoryPeak: r.memory_peak_ratio,
    memoryTotalBytes: Number(r.memory_total_bytes),
    network:
      r.network_rx_peak_bytes_per_second === null || r.network_tx_peak_bytes_per_second === null
        ? null
        : {
            rxPeakBytesPerSecond: r.network_rx_peak_bytes_per_second,
            rxMeanBytesPerSecond: r.network_rx_mean_bytes_per_second ?? 0,
            txPeakBytesPerSecond: r.network_tx_peak_bytes_per_second,
            txMeanBytesPerSecond: r.network_tx_mean_bytes_per_second ?? 0,
            linkBytesPerSecond: num(r.network_link_bytes_per_second),
          },
  }));
}
