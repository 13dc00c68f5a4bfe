/**
 * The day's CPU and memory figures a worker keeps for the capacity sample: peaks of 1-minute means,
 * the time-weighted mean, over the last 24 hours only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
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
