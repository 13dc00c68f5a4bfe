/** A logger whose JSON lines are kept in memory for assertions. */
import { Writable } from 'node:stream';
import type { LogLevel } from '../src/platform/config.ts';
import { createLogger, type Logger } from '../src/platform/logger.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Raw lines written so far. */
  lines: string[];
  /** Parsed entries written so far. */
  entries(): Record<string, unknown>[];
}

export function captureLogs(level: LogLevel = 'debug', service = 'test'): CapturedLogs {
  const lines: string[] = [];
  let pending = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ service, instance: 'test-1', level, destination });
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
