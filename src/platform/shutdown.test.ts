import { describe, expect, test } from 'vitest';
import { captureLogs } from '../../test/log-capture.ts';
import { createShutdown } from './shutdown.ts';

describe('shutdown', () => {
  test('default: close functions run once, the last registered first', async () => {
    const logs = captureLogs();
    const shutdown = createShutdown({ graceMs: 1000, logger: logs.logger });
    const order: string[] = [];
    shutdown.add('pools', () => void order.push('pools'));
    shutdown.add('http', async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('http');
    });
    expect(shutdown.isShuttingDown).toBe(false);
    const [first, second] = await Promise.all([shutdown.run('SIGTERM'), shutdown.run('SIGINT')]);
    expect(first).toEqual({ timedOut: false, unfinished: [] });
    expect(second).toBe(first);
    expect(order).toEqual(['http', 'pools']);
    expect(await shutdown.started).toBe('SIGTERM');
  });

  test('failure: a failing close function is logged and the rest still run', async () => {
    const logs = captureLogs();
    const shutdown = createShutdown({ graceMs: 1000, logger: logs.logger });
    let closed = false;
    shutdown.add('pools', () => {
      closed = true;
    });
    shutdown.add('jobs', () => {
      throw new Error('boom');
    });
    expect(await shutdown.run('SIGTERM')).toEqual({ timedOut: false, unfinished: [] });
    expect(closed).toBe(true);
    expect(logs.entries().find((e) => e.message === 'closing jobs failed')).toMatchObject({ level: 'ERROR' });
  });

  test('failure: past the grace period it resolves and names the close functions not finished', async () => {
    const logs = captureLogs();
    // The timer allows the grace period plus one second.
    const shutdown = createShutdown({ graceMs: 0, logger: logs.logger });
    let releaseJobs!: () => void;
    const ran: string[] = [];
    shutdown.add('pools', () => void ran.push('pools'));
    shutdown.add('jobs', () => new Promise<void>((r) => (releaseJobs = r)));
    shutdown.add('http', () => void ran.push('http'));
    const result = await shutdown.run('SIGTERM');
    expect(result).toEqual({ timedOut: true, unfinished: ['jobs', 'pools'] });
    expect(ran).toEqual(['http']);
    releaseJobs();
  });
});
