/**
 * The errors of the jobs subsystem. Each code names one cause; `retryable` says whether trying the
 * same thing again later can help (for a handler's error: whether the job is retried or sent
 * straight to its dead-letter queue).
 */
import { BaseError, type ErrorDetails } from '../errors.ts';

/** A job definition or a `createJobs` option is malformed: a programming error, found at boot. */
export class JobDefinitionError extends BaseError {
  override name = 'JobDefinitionError';
  readonly issues: readonly string[];
  constructor(subject: string, issues: string[], code = 'CB_JOB_DEFINITION_INVALID') {
    super(code, `${subject}: ${issues.join('; ')}`, { details: { issues } });
    this.issues = issues;
  }
}

/** A handler ran longer than its queue's `expireInSeconds`; the job is retried (its signal is aborted). */
export class JobTimeoutError extends BaseError {
  override name = 'JobTimeoutError';
  constructor(queue: string, seconds: number) {
    super('CB_JOB_TIMEOUT', `job of ${queue} ran longer than ${seconds} s`, {
      retryable: true,
      details: { queue, seconds },
    });
  }
}

/**
 * The jobs subsystem stopped while a handler was still running after the grace period: the
 * handler's signal is aborted with this reason and its job goes back to the queue untouched.
 */
export class JobsStoppingError extends BaseError {
  override name = 'JobsStoppingError';
  constructor() {
    super('CB_JOBS_STOPPING', 'the jobs subsystem is stopping', { retryable: true });
  }
}

/** A lifecycle misuse: registering after `start()`, registering a queue twice, starting twice. */
export class JobsLifecycleError extends BaseError {
  override name = 'JobsLifecycleError';
  constructor(
    code: 'CB_JOBS_ALREADY_STARTED' | 'CB_JOB_ALREADY_REGISTERED',
    message: string,
    details?: ErrorDetails,
  ) {
    super(code, message, { details });
  }
}
