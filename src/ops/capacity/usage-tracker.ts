/**
 * The day's CPU, memory and network figures for capacity planning, kept in memory by a worker:
 * every minute the host's busy CPU share and this process's CPU share over that minute (from
 * `/proc/stat` and `process.cpuUsage()`), the host's memory use, and the host's receive and
 * transmit rates over that minute (bytes/s, from `/proc/net/dev`, every interface but loopback as
 * the host sampler counts them), for the last 24 hours (at most 1440 readings each). The daily job
 * records their peaks and means (capacity_samples).
 *
 * Why 1-minute means: a once-a-day reading would see whatever the hour of the job looks like (a
 * quiet night), not the day's peak the burst buffer of seed 8.1 is sized on; 5-second samples
 * would make every garbage collection or cron tick a "peak". A minute is what a queue absorbs;
 * HostCpuHigh judges 5-minute means held for 10 minutes, so a peak here reads higher, not lower.
 * Three small file reads a minute: nothing next to the host sampler's reads every 5 seconds. The
 * link's speed (sysfs) is read only when the day's figures are asked for.
 */
import {
  cpuCores,
  networkBytesBetween,
  readCpuTimes,
  readInterfaceBytes,
  readMemoryUtilization,
} from '../../platform/host-metrics.ts';
import { readLinkSpeed } from './link-speed.ts';

/** The figures over the tracked window. */
export interface UsageSummary {
  /** Seconds the readings cover (≤ 24 h: less after a start). */
  observedSeconds: number;
  /** Highest 1-minute busy share of the host's CPU (0–1, all cores). */
  hostCpuPeak: number;
  /** Mean busy share of the host's CPU over the covered time. */
  hostCpuMean: number;
  /** Highest 1-minute CPU share of this process (0–1 of all cores). */
  processCpuPeak: number;
  /** Highest memory use of the host (1 − MemAvailable/MemTotal). */
  memoryPeak: number;
  /** The host's network traffic; null where `/proc/net/dev` cannot be read (not Linux). */
  network: NetworkUsage | null;
}

/** The host's traffic over the tracked window, summed over every interface but loopback. */
export interface NetworkUsage {
  /** Seconds the rates cover. */
  observedSeconds: number;
  /** Highest 1-minute receive rate, bytes per second. */
  rxPeakBytesPerSecond: number;
  /** Bytes received ÷ the seconds covered. */
  rxMeanBytesPerSecond: number;
  txPeakBytesPerSecond: number;
  txMeanBytesPerSecond: number;
  /** The link's speed (link-speed.ts), bytes per second; null when no interface reports one. */
  linkBytesPerSecond: number | null;
}

export interface UsageTracker {
  /** Takes one reading now (the timer does it every `intervalMs`). */
  sample(): void;
  /** Reads every `intervalMs` on a timer that does not hold the process open; returns the stop function. */
  start(): () => void;
  /** The figures of the last `windowMs`, or undefined before the first whole interval. */
  summary(): UsageSummary | undefined;
}

export interface UsageTrackerOptions {
  /** @defaultValue 60 000 (one minute) */
  intervalMs?: number;
  /** @defaultValue 86 400 000 (a day) */
  windowMs?: number;
  /** Root of procfs; tests point it at a fixture. @defaultValue `/proc` */
  procRoot?: string | undefined;
  /** Root of sysfs (the interfaces' link speeds); tests point it at a fixture. @defaultValue `/sys` */
  sysRoot?: string | undefined;
  /** Milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
}

interface Reading {
  at: number;
  seconds: number;
  hostCpu: number;
  processCpu: number;
  memory: number;
}

/** One minute's traffic, bytes per second. */
interface Traffic {
  at: number;
  seconds: number;
  rx: number;
  tx: number;
}

export function createUsageTracker(options: UsageTrackerOptions = {}): UsageTracker {
  const intervalMs = options.intervalMs ?? 60_000;
  const windowMs = options.windowMs ?? 86_400_000;
  const now = options.now ?? Date.now;
  const cores = cpuCores();
  let previous = {
    at: now(),
    cpu: readCpuTimes(options.procRoot),
    process: processMicros(),
    net: readInterfaceBytes(options.procRoot),
  };
  const readings: Reading[] = [];
  const traffic: Traffic[] = [];
  /** Drops the readings older than the window: at most a day's are kept. */
  const forget = (at: number) => {
    while (readings.length > 0 && readings[0]!.at <= at - windowMs) readings.shift();
    while (traffic.length > 0 && traffic[0]!.at <= at - windowMs) traffic.shift();
  };

  const sample = () => {
    const at = now();
    const cpu = readCpuTimes(options.procRoot);
    const process = processMicros();
    const net = readInterfaceBytes(options.procRoot);
    const elapsedMs = at - previous.at;
    const total = cpu.total - previous.cpu.total;
    // Nothing to divide by (two readings in the same tick, or counters reset): skip this one.
    if (elapsedMs > 0 && total > 0) {
      readings.push({
        at,
        seconds: elapsedMs / 1000,
        hostCpu: clamp((cpu.busy - previous.cpu.busy) / total),
        processCpu: clamp((process - previous.process) / (elapsedMs * 1000 * cores)),
        memory: clamp(readMemoryUtilization(options.procRoot)),
      });
    }
    if (elapsedMs > 0 && net && previous.net) {
      const seconds = elapsedMs / 1000;
      const moved = networkBytesBetween(previous.net, net);
      traffic.push({
        at,
        seconds,
        rx: moved.rx / seconds,
        tx: moved.tx / seconds,
      });
    }
    previous = { at, cpu, process, net };
    forget(at);
  };

  return {
    sample,
    start() {
      const timer = setInterval(sample, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    summary() {
      forget(now());
      if (readings.length === 0) return undefined;
      const seconds = readings.reduce((a, r) => a + r.seconds, 0);
      return {
        observedSeconds: Math.round(seconds),
        hostCpuPeak: Math.max(...readings.map((r) => r.hostCpu)),
        hostCpuMean: readings.reduce((a, r) => a + r.hostCpu * r.seconds, 0) / seconds,
        processCpuPeak: Math.max(...readings.map((r) => r.processCpu)),
        memoryPeak: Math.max(...readings.map((r) => r.memory)),
        network: networkUsage(traffic, options),
      };
    },
  };
}

function networkUsage(traffic: readonly Traffic[], roots: UsageTrackerOptions): NetworkUsage | null {
  if (traffic.length === 0) return null;
  const seconds = traffic.reduce((a, t) => a + t.seconds, 0);
  const link = readLinkSpeed(roots);
  return {
    observedSeconds: Math.round(seconds),
    rxPeakBytesPerSecond: Math.max(...traffic.map((t) => t.rx)),
    rxMeanBytesPerSecond: traffic.reduce((a, t) => a + t.rx * t.seconds, 0) / seconds,
    txPeakBytesPerSecond: Math.max(...traffic.map((t) => t.tx)),
    txMeanBytesPerSecond: traffic.reduce((a, t) => a + t.tx * t.seconds, 0) / seconds,
    linkBytesPerSecond: link.bytesPerSecond,
  };
}

/** Bytes since the previous reading; a counter reset (interface re-created) counts from zero, as the host sampler does. */

function processMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));
