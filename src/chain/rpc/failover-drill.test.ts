import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { captureLogs } from '../../../test/log-capture.ts';
import { runCliInProcess } from '../../cli/test-support.ts';
import type { Common } from '../../platform/common.ts';
import { loadConfig } from '../../platform/config.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { registerChainDrill } from './cli-chain-drill.ts';
import { FailoverDrillError, runFailoverDrill } from './failover-drill.ts';
import type { RpcPoolOptions } from './index.ts';
import { type HardhatNode, startHardhatNode } from './test-support.ts';

/** Short timers so that a lost endpoint is taken out and rejoins within a test. */
const FAST: RpcPoolOptions = {
  timeoutMs: 300,
  maxTotalMs: 1500,
  failureThreshold: 2,
  cooldownMs: 600,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
};

let a: HardhatNode;
let b: HardhatNode;

beforeAll(async () => {
  [a, b] = await Promise.all([startHardhatNode(), startHardhatNode()]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

function common(): Common {
  const logs = captureLogs('warn', 'test');
  return {
    config: loadConfig({}),
    logger: logs.logger,
    metrics: createMetrics(),
    shutdown: createShutdown({ graceMs: 1000, logger: logs.logger }),
  };
}

describe('RPC failover drill against real hardhat nodes', () => {
  test('default: each of two endpoints lost in turn (connections reset): no read fails, each is taken out and rejoins', async () => {
    const steps: string[] = [];
    const report = await runFailoverDrill({
      common: common(),
      endpoints: [
        { name: 'primary', url: a.url },
        { name: 'standby', url: b.url },
      ],
      readsPerSecond: 40,
      poolOptions: FAST,
      onStep: (l) => steps.push(l),
    });
    expect(report.ok).toBe(true);
    expect(report.scenarios.map((s) => s.lost)).toEqual(['primary', 'standby']);
    for (const s of report.scenarios) {
      expect(s).toMatchObject({ fault: 'reset', failed: 0, problems: [], ok: true });
      expect(s.takenOutAfterMs).not.toBeNull();
      expect(s.rejoinedAfterMs).not.toBeNull();
      expect(s.reads).toBeGreaterThan(10);
      // The other endpoint answered the reads meanwhile.
      const other = s.lost === 'primary' ? 'standby' : 'primary';
      expect(s.servedBy[other]).toBeGreaterThan(0);
      expect(Object.keys(s.servedBy)).toEqual([other]);
    }
    expect(steps).toContain('lose primary (reset): warm-up');
    expect(steps.some((l) => /^lose standby: rejoined after \d+ ms$/.test(l))).toBe(true);
  });

  test('behavior: without hedged reads, a hung endpoint (requests never answered) costs the reads one attempt timeout until it is out, none fails', async () => {
    const report = await runFailoverDrill({
      common: common(),
      endpoints: [
        { name: 'primary', url: a.url },
        { name: 'standby', url: b.url },
      ],
      lose: ['primary'],
      fault: 'timeout',
      readsPerSecond: 40,
      poolOptions: { ...FAST, hedgeAfterMs: 0 },
    });
    const [s] = report.scenarios;
    expect(report.ok).toBe(true);
    expect(s).toMatchObject({ lost: 'primary', fault: 'timeout', failed: 0, ok: true });
    // Reads sent to the hung node waited its attempt timeout before going to the standby.
    expect(s?.latencyMs.max).toBeGreaterThanOrEqual(FAST.timeoutMs as number);
  });

  test('behavior: with hedged reads, a hung endpoint costs the reads the hedge delay, not the timeout; it is still taken out', async () => {
    const report = await runFailoverDrill({
      common: common(),
      endpoints: [
        { name: 'primary', url: a.url },
        { name: 'standby', url: b.url },
      ],
      lose: ['primary'],
      fault: 'timeout',
      readsPerSecond: 40,
      // The timeout well above the hedge delay, so that a busy test machine's late timers cannot
      // blur the two (a run under load average 10 saw one read at 1.03 s with a 1 s timeout).
      poolOptions: { ...FAST, timeoutMs: 3000, maxTotalMs: 6000, hedgeAfterMs: 100 },
    });
    const [s] = report.scenarios;
    expect(report.ok).toBe(true);
    expect(s).toMatchObject({ lost: 'primary', fault: 'timeout', failed: 0, ok: true });
    // Reads that met the hung node were answered by the standby after the 100 ms hedge delay.
    expect(s?.latencyMs.max).toBeGreaterThanOrEqual(100);
    expect(s?.latencyMs.max).toBeLessThan(1500);
    // Its attempts still ran to their timeout in the background: the circuit opened.
    expect(s?.takenOutAfterMs).toBeGreaterThanOrEqual(3000);
  });

  test('behavior: an HTTP 503 from the endpoint is lost like a reset one', async () => {
    const report = await runFailoverDrill({
      common: common(),
      endpoints: [
        { name: 'primary', url: a.url },
        { name: 'standby', url: b.url },
      ],
      lose: ['standby'],
      fault: 'http-503',
      readsPerSecond: 40,
      poolOptions: FAST,
    });
    expect(report.scenarios[0]).toMatchObject({ lost: 'standby', failed: 0, ok: true });
  });

  test('error: a single endpoint has nothing to fail over to — reads fail, and the drill says why', async () => {
    const report = await runFailoverDrill({
      common: common(),
      endpoints: [{ name: 'only', url: a.url }],
      readsPerSecond: 40,
      poolOptions: FAST,
    });
    const [s] = report.scenarios;
    expect(report.ok).toBe(false);
    expect(s?.failed).toBeGreaterThan(0);
    expect(s?.problems[0]).toBe(
      'only is the only endpoint: losing it stops every chain read (add a standby to RPC_URLS).',
    );
    expect(s?.problems[1]).toMatch(/^\d+ of \d+ reads failed while only was lost \(first: /);
    // It still rejoined once back.
    expect(s?.rejoinedAfterMs).not.toBeNull();
  });

  test('error: an unknown endpoint name, a WebSocket endpoint or none at all are refused before anything is sent', async () => {
    const endpoints = [{ name: 'primary', url: a.url }];
    await expect(runFailoverDrill({ common: common(), endpoints, lose: ['nope'] })).rejects.toThrow(
      'no endpoint named nope in RPC_URLS (have: primary)',
    );
    await expect(
      runFailoverDrill({ common: common(), endpoints: [{ name: 'ws', url: 'ws://127.0.0.1:1' }] }),
    ).rejects.toThrow(FailoverDrillError);
    await expect(runFailoverDrill({ common: common(), endpoints: [] })).rejects.toThrow(
      /no RPC endpoint to drill/,
    );
  });

  test('error: an endpoint unreachable from the start fails its scenario at the warm-up, naming it', async () => {
    const report = await runFailoverDrill({
      common: common(),
      endpoints: [
        { name: 'primary', url: a.url },
        { name: 'dead', url: 'http://127.0.0.1:1/' },
      ],
      lose: ['primary'],
      poolOptions: { ...FAST, maxAttempts: 1 },
    });
    expect(report.ok).toBe(false);
    // The warm-up names the endpoint that did not answer; the scenario did not run.
    expect(report.scenarios[0]).toMatchObject({
      reads: 0,
      problems: [
        'The drill could not start: dead does not answer (connection failed or bad answer): the drill needs every endpoint up before it starts',
      ],
    });
  });

  describe('cb chain drill', () => {
    const saved = process.env.RPC_URLS;
    afterAll(() => {
      if (saved === undefined) delete process.env.RPC_URLS;
      else process.env.RPC_URLS = saved;
    });
    const cb = (...args: string[]) =>
      runCliInProcess((program) => registerChainDrill(program.command('chain')), ['chain', 'drill', ...args]);

    test("default: with the deployment's pool settings, losing primary passes and the table says how it went", {
      timeout: 60_000,
    }, async () => {
      process.env.RPC_URLS = `primary=${a.url},standby=${b.url}`;
      const run = await cb('--lose', 'primary', '--rate', '20');
      expect(run.exitCode).toBeUndefined();
      expect(run.out).toMatch(/^RPC failover drill \(reset, [\d.]+ s\): PASSED/);
      expect(run.out).toMatch(/primary\s+ok\s+\d+\s+0\s+/);
      expect(run.out).toMatch(/standby \d+/);
      expect(run.err).toContain('drill: lose primary: fault cleared, waiting for it to rejoin');
      // The endpoints' URLs are never printed.
      expect(run.out + run.err).not.toContain(a.url);
    });

    test('error: one endpoint fails with exit code 3 and says why; bad options are refused', {
      timeout: 60_000,
    }, async () => {
      process.env.RPC_URLS = `only=${a.url}`;
      const run = await cb('--json', '--rate', '20');
      expect(run.exitCode).toBe(3);
      expect(JSON.parse(run.out)).toMatchObject({ ok: false, scenarios: [{ lost: 'only', ok: false }] });
      await expect(cb('--fault', 'flood')).rejects.toMatchObject({
        exitCode: 2,
        message: '--fault must be one of reset, timeout, http-503, got "flood"',
      });
      await expect(cb('--rate', '0')).rejects.toMatchObject({ exitCode: 2 });
      delete process.env.RPC_URLS;
      await expect(cb()).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining('needs RPC_URLS'),
      });
    });
  });
});
