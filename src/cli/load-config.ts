import { type Config, loadConfig } from '../platform/config.ts';

/**
 * The configuration of a CLI command: the environment (the one place the process's env is read,
 * besides `cb start`), plus per-command overrides. Commands that print results keep the log level
 * at `warn` unless CB_LOG_LEVEL says otherwise, so their output stays readable.
 */
export function cliConfig(overrides: Partial<Config> = {}, quiet = true): Readonly<Config> {
  const env = { ...process.env };
  if (quiet && env.CB_LOG_LEVEL === undefined) env.CB_LOG_LEVEL = 'warn';
  return loadConfig(env, overrides);
}
