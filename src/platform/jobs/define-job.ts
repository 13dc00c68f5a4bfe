/**
 * `defineJob`: one typed, validated description of a queue — what its payload looks like, how its
 * failures are retried, where they end up, whether cron starts it, and how it is consumed. Checked
 * once when the module loads, so a bad definition fails the boot instead of the first job.
 */
import cronParser from 'cron-parser';
import type { Static, TSchema } from 'typebox';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { ValidationError } from '../errors.ts';
import { JobDefinitionError } from './job-errors.ts';

/** A payload check: a TypeBox schema, or a function that returns the typed payload or throws. */
export type PayloadValidator = TSchema | ((value: unknown) => unknown);

/** The payload type a validator accepts. */
export type PayloadOf<V> = V extends (value: unknown) => infer P ? P : V extends TSchema ? Static<V> : never;

/** A cron schedule of a queue; pg-boss fires it at most once a minute. */
export interface JobScheduleSpec<P> {
  /** Five-field cron expression (minute hour day-of-month month day-of-week); no seconds field. */
  cron: string;
  /** IANA time zone the expression is read in. @defaultValue `'UTC'` */
  tz?: string;
  /** Payload of each scheduled run (validated like any other). @defaultValue `{}` */
  payload?: P;
}

export interface JobSpec<V extends PayloadValidator> {
  /** Queue name: 1-100 of `A-Z a-z 0-9 _ . -`; bounded, as it is a metric label. */
  queue: string;
  /** Payload validation, run on send and again before the handler (a job failing it is dead-lettered). */
  payload: V;
  /** Retries after the first attempt before the job is dead-lettered. @defaultValue `3` */
  retryLimit?: number;
  /** Seconds before a retry (with backoff: the base of the doubling delay). @defaultValue `5` */
  retryDelaySeconds?: number;
  /** Exponential backoff: the n-th retry waits about `retryDelaySeconds × 2^n × (0.5…1)`. @defaultValue `true` */
  retryBackoff?: boolean;
  /** Dead-letter queue receiving jobs out of retries or failed for good. @defaultValue `<queue>.dlq` */
  deadLetter?: string;
  /** A handler running longer is aborted and its job retried (at most 23 h). @defaultValue `900` */
  expireInSeconds?: number;
  /** Optional cron schedule; the schedule's name is the queue name. */
  schedule?: JobScheduleSpec<NoInfer<PayloadOf<V>>>;
  /**
   * Jobs fetched per poll by one worker: `register` runs them in parallel, `registerBatch` hands
   * them over together. @defaultValue `1`
   */
  batchSize?: number;
  /** Parallel workers (poll loops) of this queue in each process. @defaultValue `1` */
  concurrency?: number;
}

/** A checked job definition; pass it to `jobs.register`, `jobs.registerBatch` and `jobs.send`. */
export interface JobDefinition<P> {
  readonly queue: string;
  readonly deadLetter: string;
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
  readonly expireInSeconds: number;
  readonly schedule: { readonly cron: string; readonly tz: string; readonly payload: P } | undefined;
  readonly batchSize: number;
  readonly concurrency: number;
  /** The typed payload, or a `ValidationError` (`CB_JOB_PAYLOAD_INVALID`, not retryable). */
  parse(value: unknown): P;
}

const QUEUE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const MAX_EXPIRE_SECONDS = 23 * 3600;

/** Builds a checked definition; throws `JobDefinitionError` (`CB_JOB_DEFINITION_INVALID`) listing every problem. */
export function defineJob<const V extends PayloadValidator>(spec: JobSpec<V>): JobDefinition<PayloadOf<V>> {
  type P = PayloadOf<V>;
  const issues: string[] = [];
  const queue = spec.queue;
  const deadLetter = spec.deadLetter ?? `${queue}.dlq`;
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue) || queue.startsWith('__pgboss'))
    issues.push(`queue "${String(queue)}" must be 1-100 of A-Z a-z 0-9 _ . - (and not start with __pgboss)`);
  if (!QUEUE_NAME.test(deadLetter) || deadLetter.startsWith('__pgboss'))
    issues.push(`deadLetter "${deadLetter}" must be 1-100 of A-Z a-z 0-9 _ . -`);
  if (deadLetter === queue) issues.push('deadLetter must differ from the queue');

  const intIn = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      issues.push(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  };
  const retryLimit = spec.retryLimit ?? 3;
  const retryDelaySeconds = spec.retryDelaySeconds ?? 5;
  const expireInSeconds = spec.expireInSeconds ?? 900;
  const batchSize = spec.batchSize ?? 1;
  const concurrency = spec.concurrency ?? 1;
  intIn('retryLimit', retryLimit, 0, 1000);
  intIn('retryDelaySeconds', retryDelaySeconds, 0, 86_400);
  intIn('expireInSeconds', expireInSeconds, 1, MAX_EXPIRE_SECONDS);
  intIn('batchSize', batchSize, 1, 10_000);
  intIn('concurrency', concurrency, 1, 1000);

  const parse = payloadParser<P>(spec.payload, queue, issues);

  let schedule: JobDefinition<P>['schedule'];
  if (spec.schedule) {
    const tz = spec.schedule.tz ?? 'UTC';
    const problem = cronProblem(spec.schedule.cron, tz);
    if (problem) issues.push(problem);
    try {
      schedule = { cron: spec.schedule.cron.trim(), tz, payload: parse(spec.schedule.payload ?? {}) };
    } catch (err) {
      issues.push(`schedule.payload is invalid: ${(err as Error).message}`);
    }
  }

  if (issues.length > 0) throw new JobDefinitionError(`job definition "${String(queue)}"`, issues);
  return Object.freeze({
    queue,
    deadLetter,
    retryLimit,
    retryDelaySeconds,
    retryBackoff: spec.retryBackoff ?? true,
    expireInSeconds,
    schedule,
    batchSize,
    concurrency,
    parse,
  });
}

/** Why a cron expression cannot be scheduled, or undefined when it can. */
export function cronProblem(cron: string, tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return `schedule.tz "${tz}" is not an IANA time zone`;
  }
  if (typeof cron !== 'string' || cron.trim().split(/\s+/).length !== 5)
    return `schedule.cron "${String(cron)}" must have 5 fields (pg-boss fires at most once a minute)`;
  try {
    cronParser.parseExpression(cron, { tz }).prev();
  } catch (err) {
    return `schedule.cron "${cron}" is invalid: ${(err as Error).message}`;
  }
  return undefined;
}

function payloadParser<P>(
  validator: PayloadValidator,
  queue: string,
  issues: string[],
): (value: unknown) => P {
  if (typeof validator === 'function') {
    return (value) => {
      try {
        return validator(value) as P;
      } catch (err) {
        if (err instanceof ValidationError) throw err;
        throw new ValidationError(
          `payload of ${queue} is invalid: ${(err as Error).message ?? String(err)}`,
          [{ path: '', message: (err as Error).message ?? String(err) }],
          'CB_JOB_PAYLOAD_INVALID',
        );
      }
    };
  }
  if (!Type.IsSchema(validator)) {
    issues.push('payload must be a TypeBox schema or a function');
    return (value) => value as P;
  }
  return (value) => {
    if (Value.Check(validator, value)) return value as P;
    const errors = [...Value.Errors(validator, value)].slice(0, 10);
    throw new ValidationError(
      `payload of ${queue} is invalid: ${errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join(', ')}`,
      errors.map((e) => ({ path: e.instancePath, message: e.message })),
      'CB_JOB_PAYLOAD_INVALID',
    );
  };
}
