/**
 * Host gauges for installs without node_exporter: CPU and memory utilisation, disk use per mount,
 * load per core and network bytes. Read from Linux `/proc` (falling back to `os` elsewhere) every
 * `intervalMs`; CPU utilisation is the busy share of the interval between two samples.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export interface HostSamplerOptions {
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
  /** Mount points (or any path on them) whose usage is reported; label = the path given. */
  mounts: readonly string[];
  /** Root of procfs; tests point it at a fixture. */
  procRoot?: string | undefined;
}

interface CpuTimes {
  busy: number;
  total: number;
}

export function readCpuTimes(procRoot = '/proc'): CpuTimes {
  try {
    const line = readFileSync(`${procRoot}/stat`, 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    return { busy, total };
  }
}

/** 1 - MemAvailable/MemTotal (falls back to free memory where /proc/meminfo is missing). */
export function readMemoryUtilization(procRoot = '/proc'): number {
  try {
    const text = readFileSync(`${procRoot}/meminfo`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    const total = field('MemTotal');
    const available = field('MemAvailable');
    if (Number.isFinite(total) && Number.isFinite(available) && total > 0) return 1 - available / total;
  } catch {
    // not Linux
  }
  return 1 - freemem() / totalmem();
}

/** Received and transmitted bytes of each interface but loopback, by name. */
export type InterfaceBytes = ReadonlyMap<string, { rx: number; tx: number }>;

/** Each interface's counters from `/proc/net/dev` (undefined where there is none). */
export function readInterfaceBytes(procRoot = '/proc'): InterfaceBytes | undefined {
  try {
    const lines = readFileSync(`${procRoot}/net/dev`, 'utf8').split('\n').slice(2);
    const out = new Map<string, { rx: number; tx: number }>();
    for (const line of lines) {
      const [iface, rest] = line.split(':');
      const name = iface?.trim();
      if (!rest || !name || name === 'lo') continue;
      const v = rest.trim().split(/\s+/).map(Number);
      out.set(name, { rx: v[0] ?? 0, tx: v[8] ?? 0 });
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Received and transmitted bytes summed over every interface but loopback. */
export function readNetworkBytes(procRoot = '/proc'): { rx: number; tx: number } | undefined {
  const each = readInterfaceBytes(procRoot);
  if (!each) return undefined;
  let rx = 0;
  let tx = 0;
  for (const c of each.values()) {
    rx += c.rx;
    tx += c.tx;
  }
  return { rx, tx };
}

/**
 * The bytes moved between two readings, interface by interface: a counter that went down (the
 * interface was re-created) counts from zero, an interface that appeared counts from zero, one
 * that went away counts nothing. Summing first would count a remaining interface's lifetime
 * bytes whenever another one disappears (a container's veth on a Docker host).
 */
export function networkBytesBetween(
  before: InterfaceBytes,
  after: InterfaceBytes,
): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const [name, now] of after) {
    const was = before.get(name);
    rx += was && now.rx >= was.rx ? now.rx - was.rx : now.rx;
    tx += was && now.tx >= was.tx ? now.tx - was.tx : now.tx;
  }
  return { rx, tx };
}

/** A filesystem's space in bytes, as df counts it. */
export interface DiskSpace {
  sizeBytes: number;
  /** size − free. */
  usedBytes: number;
  /** What an unprivileged user may still write (free less the blocks reserved for root). */
  availBytes: number;
}

/** The space of the filesystem holding `path`; undefined when it cannot be read (no such path). */
export function diskSpace(path: string): DiskSpace | undefined {
  try {
    const s = statfsSync(path);
    const sizeBytes = s.blocks * s.bsize;
    if (sizeBytes === 0) return undefined;
    return { sizeBytes, usedBytes: (s.blocks - s.bfree) * s.bsize, availBytes: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

/**
 * Used share as df counts it: used ÷ (used + available to unprivileged users), so a disk is "full"
 * (1) when nothing more can be written by cb, reserved blocks aside.
 */
export function usedRatio(d: Pick<DiskSpace, 'usedBytes' | 'availBytes'>): number {
  const room = d.usedBytes + d.availBytes;
  return room > 0 ? d.usedBytes / room : 1;
}

/** cb_host_disk_utilization_ratio of the filesystem holding `path`. */
export function diskUtilization(path: string): number | undefined {
  const d = diskSpace(path);
  return d && usedRatio(d);
}

/** The host's cores (at least 1). */
export function cpuCores(): number {
  return Math.max(1, cpus().length);
}

export interface HostSampler {
  /** Takes one sample now. */
  sample(): void;
  /** Samples every `intervalMs` (once immediately); returns the stop function. */
  start(): () => void;
}

export function createHostSampler(options: HostSamplerOptions): HostSampler {
  const { metrics, procRoot } = options;
  let previousCpu = readCpuTimes(procRoot);
  let previousNet = readInterfaceBytes(procRoot);
  const cores = cpuCores();

  const sample = () => {
    try {
      const cpu = readCpuTimes(procRoot);
      const dTotal = cpu.total - previousCpu.total;
      if (dTotal > 0) metrics.hostCpuUtilization.set((cpu.busy - previousCpu.busy) / dTotal);
      previousCpu = cpu;
      metrics.hostMemoryUtilization.set(readMemoryUtilization(procRoot));
      metrics.hostLoadPerCore.set((loadavg()[0] ?? 0) / cores);
      for (const mount of options.mounts) {
        const u = diskUtilization(mount);
        if (u !== undefined) metrics.hostDiskUtilization.set({ mount }, u);
      }
      const net = readInterfaceBytes(procRoot);
      if (net && previousNet) {
        const moved = networkBytesBetween(previousNet, net);
        metrics.hostNetworkBytes.inc({ direction: 'receive' }, moved.rx);
        metrics.hostNetworkBytes.inc({ direction: 'transmit' }, moved.tx);
      }
      previousNet = net;
    } catch (err) {
      options.logger.warn('host metrics sample failed', { err });
    }
  };
  metrics.hostNetworkBytes.inc({ direction: 'receive' }, 0);
  metrics.hostNetworkBytes.inc({ direction: 'transmit' }, 0);
  return {
    sample,
    start() {
      sample();
      const timer = setInterval(sample, options.intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
