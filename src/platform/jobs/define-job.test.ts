import { Type } from 'typebox';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { ValidationError } from '../errors.ts';
import { cronProblem, defineJob } from './define-job.ts';
import { JobDefinitionError } from './job-errors.ts';

describe('defineJob', () => {
  test('default: settings default, the payload type comes from the TypeBox schema', () => {
    const def = defineJob({ queue: 'mint.badge', payload: Type.Object({ address: Type.String() }) });
    expect(def).toMatchObject({
      queue: 'mint.badge',
      deadLetter: 'mint.badge.dlq',
      retryLimit: 3,
      retryDelaySeconds: 5,
      retryBackoff: true,
      expireInSeconds: 900,
      batchSize: 1,
      concurrency: 1,
      schedule: undefined,
    });
    expectTypeOf(def.parse).returns.toEqualTypeOf<{ address: string }>();
    expect(def.parse({ address: '0xabc' })).toEqual({ address: '0xabc' });
    expect(Object.isFrozen(def)).toBe(true);
  });

  test('behavior: a function validator gives the payload type and its errors become CB_JOB_PAYLOAD_INVALID', () => {
    const def = defineJob({
      queue: 'q1',
      deadLetter: 'shared-dlq',
      payload: (v: unknown) => {
        if (typeof v !== 'number') throw new Error('expected a number');
        return v;
      },
    });
    expectTypeOf(def.parse).returns.toEqualTypeOf<number>();
    expect(def.deadLetter).toBe('shared-dlq');
    expect(def.parse(4)).toBe(4);
    const err = (() => {
      try {
        def.parse('x');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ code: 'CB_JOB_PAYLOAD_INVALID', retryable: false });
  });

  test('behavior: a payload failing the schema lists where', () => {
    const def = defineJob({ queue: 'q2', payload: Type.Object({ n: Type.Integer({ minimum: 1 }) }) });
    expect(() => def.parse({ n: 0 })).toThrow(ValidationError);
    try {
      def.parse({ n: 'x' });
    } catch (e) {
      expect((e as ValidationError).details).toMatchObject({ issues: [{ path: '/n' }] });
    }
  });

  test('behavior: a schedule is checked and its payload validated', () => {
    const def = defineJob({
      queue: 'daily.report',
      payload: Type.Object({ kind: Type.String() }),
      schedule: { cron: '0 9 * * *', tz: 'Asia/Tokyo', payload: { kind: 'full' } },
    });
    expect(def.schedule).toEqual({ cron: '0 9 * * *', tz: 'Asia/Tokyo', payload: { kind: 'full' } });
  });

  test('error: every problem of a bad definition is listed at once', () => {
    let error: unknown;
    try {
      defineJob({
        queue: 'bad queue',
        payload: Type.Object({ kind: Type.String() }),
        retryLimit: -1,
        retryDelaySeconds: 1.5,
        batchSize: 0,
        concurrency: 0,
        expireInSeconds: 86_400,
        schedule: { cron: '0 9 * * *' },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JobDefinitionError);
    expect(error).toMatchObject({ code: 'CB_JOB_DEFINITION_INVALID', retryable: false });
    expect((error as JobDefinitionError).issues).toHaveLength(8);
  });

  test('error: the dead-letter queue cannot be the queue itself', () => {
    expect(() => defineJob({ queue: 'a', deadLetter: 'a', payload: Type.Unknown() })).toThrow(/must differ/);
  });
});

describe('cronProblem', () => {
  test('default: a five-field expression in a real time zone is fine', () => {
    expect(cronProblem('*/5 * * * *', 'Europe/Paris')).toBeUndefined();
  });
  test('error: seconds, garbage and unknown zones are refused', () => {
    expect(cronProblem('* * * * * *', 'UTC')).toMatch(/5 fields/);
    expect(cronProblem('61 * * * *', 'UTC')).toMatch(/invalid/);
    expect(cronProblem('* * * * *', 'Mars/Olympus')).toMatch(/IANA/);
  });
});
