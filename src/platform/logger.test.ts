import { describe, expect, test } from 'vitest';
import { captureLogs } from '../../test/log-capture.ts';
import { formatPretty } from './logger.ts';
import { runWithTrace } from './trace.ts';

const SEED_FIELDS = ['timestamp', 'level', 'service', 'instance', 'traceId', 'message', 'context', 'metrics'];

describe('logger', () => {
  test('default: exactly the seed fields, ISO timestamp with ms, upper-case level', () => {
    const logs = captureLogs('debug', 'achievement-trigger');
    runWithTrace({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: true, userId: '0xabc' }, () =>
      logs.logger.info('Achievement unlocked successfully', {
        context: { achievementId: 'ach456' },
        metrics: { processingTime: 123, retryCount: 0 },
      }),
    );
    const [entry] = logs.entries();
    expect(Object.keys(entry!).sort()).toEqual([...SEED_FIELDS, 'userId'].sort());
    expect(entry).toMatchObject({
      level: 'INFO',
      service: 'achievement-trigger',
      instance: 'test-1',
      traceId: 'a'.repeat(32),
      userId: '0xabc',
      message: 'Achievement unlocked successfully',
      context: { achievementId: 'ach456' },
      metrics: { processingTime: 123, retryCount: 0 },
    });
    expect(entry!.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('behavior: outside a trace the boot trace is used, no userId, empty context and metrics', () => {
    const logs = captureLogs();
    logs.logger.warn('a');
    logs.logger.child('jobs').error('b');
    const [a, b] = logs.entries();
    expect(Object.keys(a!).sort()).toEqual([...SEED_FIELDS].sort());
    expect(a).toMatchObject({ level: 'WARN', context: {}, metrics: {} });
    expect(b).toMatchObject({ level: 'ERROR', service: 'jobs', traceId: a!.traceId });
  });

  test('behavior: levels below the threshold are dropped; FATAL and DEBUG are spelled as the seed', () => {
    const info = captureLogs('info');
    info.logger.debug('hidden');
    info.logger.fatal('shown');
    expect(info.entries().map((e) => e.level)).toEqual(['FATAL']);
    const debug = captureLogs('debug');
    debug.logger.debug('d');
    expect(debug.entries()[0]!.level).toBe('DEBUG');
  });

  test('behavior: end writes the last line; nothing any child logs afterwards is written', async () => {
    const logs = captureLogs('info');
    const jobs = logs.logger.child('jobs');
    jobs.info('before');
    await logs.logger.end('stopped', { context: { signal: 'SIGTERM' } });
    jobs.error('a close function still running past the grace period');
    logs.logger.info('late');
    await logs.logger.end('stopped twice');
    expect(logs.entries().map((e) => e.message)).toEqual(['before', 'stopped']);
    expect(logs.entries().at(-1)).toMatchObject({ level: 'INFO', context: { signal: 'SIGTERM' } });
    expect(jobs.isLevelEnabled('error')).toBe(false);
  });

  test('behavior: an observer hears of every line written in the tree, by level and service, and of every service', () => {
    const logs = captureLogs('info');
    const early = logs.logger.child('jobs');
    const lines: string[] = [];
    const services: string[] = [];
    const stop = logs.logger.observe({
      line: (level, service) => lines.push(`${level} ${service}`),
      service: (service) => services.push(service),
    });
    expect(services).toEqual(['test', 'jobs']);
    early.error('e');
    logs.logger.child('api').warn('w');
    logs.logger.debug('below the level: not written, not counted');
    logs.logger.fatal('f');
    expect(services).toEqual(['test', 'jobs', 'api']);
    expect(lines).toEqual(['ERROR jobs', 'WARN api', 'FATAL test']);
    stop();
    early.error('after stop');
    expect(lines).toHaveLength(3);
  });

  test('behavior: secrets never reach a line', () => {
    const logs = captureLogs();
    logs.logger.info('connecting to postgres://cb:hunter2@db:5432/cb with cbk_abcdef123456_secretsecret', {
      context: {
        rpc: 'https://node.example/v1?apikey=topsecret&x=1',
        privateKey: '0x'.padEnd(66, '1'),
        nested: { password: 'p4ss', authorization: 'Bearer xyz' },
        txHash: '0x'.padEnd(66, '2'),
        tokenId: '17',
      },
      err: new Error('redis://:redispass@cache:6379 refused'),
    });
    const line = logs.lines[0]!;
    for (const secret of ['hunter2', 'secretsecret', 'topsecret', '1111111111', 'p4ss', 'xyz', 'redispass']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('0x'.padEnd(66, '2'));
    expect(line).toContain('"tokenId":"17"'); // the seed's own example field is public
    expect(logs.entries()[0]!.context).toMatchObject({ error: { name: 'Error' } });
  });

  test('behavior: pretty format is one readable line', () => {
    const line = formatPretty(
      JSON.stringify({
        timestamp: '2025-06-04T12:34:56.789Z',
        level: 'INFO',
        service: 'api',
        message: 'hello',
        context: { a: 1 },
        metrics: {},
      }),
    );
    expect(line).toContain('12:34:56.789');
    expect(line).toContain('hello');
    expect(line).toContain('a=1');
  });
});
