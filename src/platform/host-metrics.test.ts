import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  createHostSampler,
  diskUtilization,
  networkBytesBetween,
  readCpuTimes,
  readInterfaceBytes,
  readMemoryUtilization,
  readNetworkBytes,
} from './host-metrics.ts';
import { createSilentLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

function fakeProc(stat: string, meminfo: string, netdev: string): string {
  const root = mkdtempSync(join(tmpdir(), 'cb-proc-'));
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'stat'), stat);
  writeFileSync(join(root, 'meminfo'), meminfo);
  writeFileSync(join(root, 'net', 'dev'), netdev);
  return root;
}

const NETDEV = (rx: number, tx: number) =>
  `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0
  eth0: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0
`;

describe('host metrics', () => {
  test('default: parses /proc files', () => {
    const root = fakeProc(
      'cpu  100 0 100 700 100 0 0 0 0 0\n',
      'MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n',
      NETDEV(5000, 7000),
    );
    expect(readCpuTimes(root)).toEqual({ busy: 200, total: 1000 });
    expect(readMemoryUtilization(root)).toBeCloseTo(0.75);
    expect(readNetworkBytes(root)).toEqual({ rx: 5000, tx: 7000 });
  });

  test('behavior: bytes moved are counted per interface: one going away or restarting its counter adds no phantom traffic', () => {
    const at = (ifaces: Record<string, [number, number]>) =>
      new Map(Object.entries(ifaces).map(([k, [rx, tx]]) => [k, { rx, tx }]));
    // eth0 moves 100/50; the veth of a stopped container disappears: nothing of eth0's lifetime
    // bytes is counted (a sum would have dropped and counted eth0's whole counter).
    expect(
      networkBytesBetween(at({ eth0: [1e9, 5e8], veth1: [4e9, 4e9] }), at({ eth0: [1e9 + 100, 5e8 + 50] })),
    ).toEqual({ rx: 100, tx: 50 });
    // A re-created interface counts from zero; a new one counts what it has.
    expect(networkBytesBetween(at({ eth0: [5000, 5000] }), at({ eth0: [30, 20], veth2: [7, 3] }))).toEqual({
      rx: 37,
      tx: 23,
    });
    const root = fakeProc('cpu  1 0 1 1 0 0 0 0 0 0\n', 'MemTotal: 1 kB\nMemAvailable: 1 kB\n', NETDEV(5, 7));
    expect(readInterfaceBytes(root)).toEqual(new Map([['eth0', { rx: 5, tx: 7 }]]));
  });

  test('behavior: the sampler sets every host gauge from the real machine', async () => {
    const metrics = createMetrics();
    const stop = createHostSampler({
      metrics,
      logger: createSilentLogger(),
      intervalMs: 50,
      mounts: ['/'],
    }).start();
    await new Promise((r) => setTimeout(r, 120));
    stop();
    const text = await metrics.registry.metrics();
    for (const name of [
      'cb_host_cpu_utilization_ratio',
      'cb_host_memory_utilization_ratio',
      'cb_host_load_per_core',
    ]) {
      const v = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(v, name).toBeGreaterThanOrEqual(0);
    }
    expect(text).toMatch(/cb_host_disk_utilization_ratio\{mount="\/"\} 0\.\d+/);
    expect(text).toMatch(/cb_host_network_bytes_total\{direction="receive"\} \d+/);
    expect(diskUtilization('/')).toBeGreaterThan(0);
  });

  test('behavior: network bytes count deltas and survive a counter reset', async () => {
    const root = fakeProc(
      'cpu  1 0 1 7 1 0 0 0\n',
      'MemTotal: 10 kB\nMemAvailable: 5 kB\n',
      NETDEV(1000, 2000),
    );
    const metrics = createMetrics();
    const sampler = createHostSampler({
      metrics,
      logger: createSilentLogger(),
      intervalMs: 1000,
      mounts: [],
      procRoot: root,
    });
    writeFileSync(join(root, 'net', 'dev'), NETDEV(1500, 2600));
    sampler.sample();
    writeFileSync(join(root, 'net', 'dev'), NETDEV(100, 100)); // interface re-created: counters restart
    sampler.sample();
    const text = await metrics.registry.getSingleMetricAsString('cb_host_network_bytes_total');
    expect(text).toContain('cb_host_network_bytes_total{direction="receive"} 600');
    expect(text).toContain('cb_host_network_bytes_total{direction="transmit"} 700');
  });
});
