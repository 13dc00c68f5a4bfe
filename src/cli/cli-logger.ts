/**
 * `cliLogger`: the logger of a `cb` command. It writes to stderr, since stdout is the command's
 * output (a table, or JSON for `jq`); level and format come from the settings unless the command
 * says otherwise.
 */
import type { Config, LogLevel } from '../platform/config.ts';
import { createLogger, type Logger } from '../platform/logger.ts';

export function cliLogger(
  config: Pick<Config, 'instance' | 'logLevel' | 'logPretty'>,
  level: LogLevel = config.logLevel,
): Logger {
  return createLogger({
    service: 'cb',
    instance: config.instance,
    level,
    pretty: config.logPretty,
    destination: process.stderr,
  });
}
