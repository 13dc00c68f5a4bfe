/**
 * Errors of `cb monitor up`. Each says what to do: install a package, fix a template, free a port.
 */
import { BaseError } from '../../platform/errors.ts';

/** A required binary is not on PATH; the message names the Debian package. */
export class MonitorBinaryMissingError extends BaseError {
  override name = 'MonitorBinaryMissingError';
  constructor(missing: readonly { binary: string; debianPackage: string }[]) {
    super(
      'OPS_MONITOR_BINARY_MISSING',
      `${missing.map((m) => m.binary).join(', ')} not found on PATH; install with: apt-get install ${missing
        .map((m) => m.debianPackage)
        .join(' ')}`,
      { details: { missing } },
    );
  }
}

/** A shipped config template is missing, or uses placeholders nothing gives a value. */
export class MonitorConfigError extends BaseError {
  override name = 'MonitorConfigError';
  constructor(message: string, details?: Record<string, unknown>) {
    super('OPS_MONITOR_CONFIG_INVALID', message, { details });
  }
}

/** A process did not become ready, or exited while starting; the message quotes its log. */
export class MonitorStartError extends BaseError {
  override name = 'MonitorStartError';
  constructor(message: string, details?: Record<string, unknown>) {
    super('OPS_MONITOR_START_FAILED', message, { details, retryable: true });
  }
}
