import { type Config, loadConfig } from '../platform/config.ts';

/**
 * The configuration of a CLI command: the environment (the one place the process's env is read,
 * besides `cb start`), plus per-command overrides. Commands that print results log to stderr (their
 * stdout is the result, e.g. JSON to pipe) at `warn` unless CB_LOG_LEVEL says otherwise.
 */
export function cliConfig(overrides: Partial<Config> = {}, quiet = true): Readonly<Config> {
  const env = { ...process.env };
  if (quiet && env.CB_LOG_LEVEL === undefined) env.CB_LOG_LEVEL = 'warn';
  return loadConfig(env, overrides);
}
