/**
 * The day's CPU, memory and network figures a worker keeps for the capacity sample: peaks of
 * 1-minute means, the time-weighted mean, over the last 24 hours only; the link's speed from sysfs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readLinkSpeed } from './link-speed.ts';
import { createUsageTracker } from './usage-tracker.ts';

/** A /proc with cumulative CPU jiffies (busy, idle) and memory in use. */
function fakeProc() {
  const root = mkdtempSync(join(tmpdir(), 'cb-usage-'));
  let busy = 0;
  let idle = 0;
  const write = (usedShare: number) => {
    writeFileSync(join(root, 'stat'), `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\n`);
    writeFileSync(
      join(root, 'meminfo'),
      `MemTotal: 1000000 kB\nMemAvailable: ${Math.round(1000000 * (1 - usedShare))} kB\n`,
    );
  };
  write(0);
  return {
    root,
    /** The next minute: `share` of 6000 jiffies busy, memory at `memory`. */
    minute(share: number, memory: number) {
      busy += 6000 * share;
      idle += 6000 * (1 - share);
      write(memory);
    },
  };
}

describe('usage tracker', () => {
  test('default: the peak of 1-minute means, the time-weighted mean, memory’s peak', () => {
    const proc = fakeProc();
    let now = Date.parse('2026-11-20T00:00:00Z');
    const tracker = createUsageTracker({ procRoot: proc.root, now: () => now });
    expect(tracker.summary()).toBeUndefined();
    for (const [cpu, memory] of [
      [0.2, 0.5],
      [0.9, 0.55],
      [0.1, 0.7],
      [0.2, 0.6],
    ] as const) {
      now += 60_000;
      proc.minute(cpu, memory);
      tracker.sample();
    }
    const s = tracker.summary()!;
    expect(s.observedSeconds).toBe(240);
    expect(s.hostCpuPeak).toBeCloseTo(0.9, 6);
    expect(s.hostCpuMean).toBeCloseTo(0.35, 6);
    expect(s.memoryPeak).toBeCloseTo(0.7, 6);
    expect(s.processCpuPeak).toBeGreaterThanOrEqual(0);
    expect(s.processCpuPeak).toBeLessThanOrEqual(1);
    // No /proc/net/dev in this procfs: no network figures rather than zeros.
    expect(s.network).toBeNull();
  });

  test('behavior: readings older than the window are forgotten, so a peak a day ago no longer counts', () => {
    const proc = fakeProc();
    let now = Date.parse('2026-11-20T00:00:00Z');
    const tracker = createUsageTracker({ procRoot: proc.root, now: () => now, windowMs: 10 * 60_000 });
    now += 60_000;
    proc.minute(0.95, 0.9);
    tracker.sample();
    for (let i = 0; i < 10; i++) {
      now += 60_000;
      proc.minute(0.3, 0.4);
      tracker.sample();
    }
    expect(tracker.summary()).toMatchObject({ observedSeconds: 600 });
    expect(tracker.summary()!.hostCpuPeak).toBeCloseTo(0.3, 6);
    expect(tracker.summary()!.memoryPeak).toBeCloseTo(0.4, 6);
    // Nothing read for longer than the window: nothing to report.
    now += 11 * 60_000;
    expect(tracker.summary()).toBeUndefined();
  });
});

/** `/proc/net/dev` with loopback and the given interfaces' cumulative bytes. */
const netDev = (ifaces: Record<string, { rx: number; tx: number }>) =>
  `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 9999999 1 0 0 0 0 0 0 9999999 1 0 0 0 0 0 0
${Object.entries(ifaces)
  .map(([name, b]) => `  ${name}: ${b.rx} 10 0 0 0 0 0 0 ${b.tx} 10 0 0 0 0 0 0`)
  .join('\n')}
`;

/** A /sys/class/net: each interface's speed file (undefined: none, as a bridge), and whether a device backs it. */
function fakeSys(ifaces: Record<string, { speed?: string; device: boolean }>): string {
  const root = mkdtempSync(join(tmpdir(), 'cb-usage-sys-'));
  for (const [name, i] of Object.entries(ifaces)) {
    const dir = join(root, 'class', 'net', name);
    mkdirSync(dir, { recursive: true });
    if (i.speed !== undefined) writeFileSync(join(dir, 'speed'), `${i.speed}\n`);
    if (i.device) mkdirSync(join(dir, 'device'));
  }
  return root;
}

describe('usage tracker: network', () => {
  test('default: the peak 1-minute receive and transmit rates and their means; loopback is left out; a counter reset counts from zero', () => {
    const proc = fakeProc();
    mkdirSync(join(proc.root, 'net'));
    const writeNet = (eth0: { rx: number; tx: number }, eth1: { rx: number; tx: number }) =>
      writeFileSync(join(proc.root, 'net', 'dev'), netDev({ eth0, eth1 }));
    writeNet({ rx: 5e9, tx: 1e9 }, { rx: 0, tx: 0 });
    const sys = fakeSys({ eth0: { speed: '1000', device: true }, eth1: { speed: '-1', device: true } });
    let now = Date.parse('2026-11-20T00:00:00Z');
    const tracker = createUsageTracker({ procRoot: proc.root, sysRoot: sys, now: () => now });
    const minute = (eth0: { rx: number; tx: number }, eth1 = { rx: 0, tx: 0 }) => {
      now += 60_000;
      proc.minute(0.2, 0.5);
      writeNet(eth0, eth1);
      tracker.sample();
    };
    // rx per minute: 60 MB (1 MB/s), 300 MB (5 MB/s), then eth0 is re-created and its counter
    // starts again: 120 MB since (2 MB/s), then 60 MB (1 MB/s). tx: 0.5, 1, 0.5, 3 MB/s.
    minute({ rx: 5e9 + 60e6, tx: 1e9 + 30e6 });
    minute({ rx: 5e9 + 360e6, tx: 1e9 + 90e6 });
    minute({ rx: 120e6, tx: 30e6 });
    minute({ rx: 180e6, tx: 30e6 }, { rx: 0, tx: 180e6 });
    const n = tracker.summary()!.network!;
    expect(n.observedSeconds).toBe(240);
    expect(n.rxPeakBytesPerSecond).toBeCloseTo(5e6, 6);
    expect(n.rxMeanBytesPerSecond).toBeCloseTo((1e6 + 5e6 + 2e6 + 1e6) / 4, 6);
    expect(n.txPeakBytesPerSecond).toBeCloseTo(3e6, 6);
    expect(n.txMeanBytesPerSecond).toBeCloseTo((0.5e6 + 1e6 + 0.5e6 + 3e6) / 4, 6);
    // 1000 Mb/s from eth0; eth1 reports -1 (no carrier): unknown, not counted.
    expect(n.linkBytesPerSecond).toBe(125_000_000);
  });

  test('behavior: the link speed counts only interfaces backed by a device that report one; none: null', () => {
    const proc = mkdtempSync(join(tmpdir(), 'cb-usage-net-'));
    mkdirSync(join(proc, 'net'));
    const zero = { rx: 0, tx: 0 };
    writeFileSync(
      join(proc, 'net', 'dev'),
      netDev({ eth0: zero, eth1: zero, docker0: zero, veth1a2b: zero, tun0: zero, ifb0: zero }),
    );
    const sys = fakeSys({
      lo: { speed: '10000', device: false },
      eth0: { speed: '1000', device: true },
      eth1: { speed: '10000', device: true },
      docker0: { device: false }, // a bridge: EINVAL, here no file
      veth1a2b: { speed: '10000', device: false }, // a veth makes one up
      tun0: { speed: '10', device: false },
      ifb0: { device: false },
    });
    expect(readLinkSpeed({ procRoot: proc, sysRoot: sys })).toEqual({
      bytesPerSecond: 11_000 * 125_000,
      interfaces: ['eth0', 'eth1'],
    });
    // A virtio NIC reporting -1, and virtual interfaces only: unknown.
    const virtio = fakeSys({ eth0: { speed: '-1', device: true }, eth1: { device: true } });
    expect(readLinkSpeed({ procRoot: proc, sysRoot: virtio })).toEqual({
      bytesPerSecond: null,
      interfaces: [],
    });
    // No /proc/net/dev (not Linux): no interfaces, nothing known.
    expect(readLinkSpeed({ procRoot: join(proc, 'missing'), sysRoot: sys }).bytesPerSecond).toBeNull();
  });

  test('behavior: traffic older than the window is forgotten with the CPU readings', () => {
    const proc = fakeProc();
    mkdirSync(join(proc.root, 'net'));
    let rx = 0;
    const write = () => writeFileSync(join(proc.root, 'net', 'dev'), netDev({ eth0: { rx, tx: 0 } }));
    write();
    let now = Date.parse('2026-11-20T00:00:00Z');
    const tracker = createUsageTracker({
      procRoot: proc.root,
      sysRoot: fakeSys({}),
      now: () => now,
      windowMs: 10 * 60_000,
    });
    const minute = (bytes: number) => {
      now += 60_000;
      rx += bytes;
      proc.minute(0.2, 0.5);
      write();
      tracker.sample();
    };
    minute(600e6);
    for (let i = 0; i < 10; i++) minute(60e6);
    const n = tracker.summary()!.network!;
    expect(n.observedSeconds).toBe(600);
    expect(n.rxPeakBytesPerSecond).toBeCloseTo(1e6, 6);
    expect(n.linkBytesPerSecond).toBeNull();
  });
});
