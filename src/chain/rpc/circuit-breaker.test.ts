import { describe, expect, test } from 'vitest';
import { createCircuitBreaker } from './circuit-breaker.ts';
import type { CircuitState } from './types.ts';

function breaker(threshold = 3, cooldownMs = 1000) {
  let now = 0;
  const changes: string[] = [];
  const b = createCircuitBreaker({
    threshold,
    cooldownMs,
    now: () => now,
    onChange: (from: CircuitState, to: CircuitState) => changes.push(`${from}>${to}`),
  });
  return { b, changes, advance: (ms: number) => (now += ms) };
}

describe('createCircuitBreaker', () => {
  test('default: opens after `threshold` failures in a row, not before', () => {
    const { b, changes } = breaker(3);
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onSuccess(); // the run is broken
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.canPass()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    expect(changes).toEqual(['closed>open']);
  });

  test('behavior: half-open after the cool-down lets exactly one probe through; success closes', () => {
    const { b, changes, advance } = breaker(1, 1000);
    b.onFailure();
    advance(999);
    expect(b.state).toBe('open');
    advance(1);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.canPass()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
    expect(changes).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
  });

  test('behavior: a failed probe re-opens for a full cool-down', () => {
    const { b, changes, advance } = breaker(1, 1000);
    b.onFailure();
    advance(1000);
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    advance(999);
    expect(b.state).toBe('open');
    advance(1);
    expect(b.state).toBe('half-open');
    expect(changes).toEqual(['closed>open', 'open>half-open', 'half-open>open', 'open>half-open']);
  });

  test('behavior: a probe aborted by its caller frees the slot without judging the endpoint', () => {
    const { b, advance } = breaker(1, 10);
    b.onFailure();
    advance(10);
    expect(b.tryAcquire()).toBe(true);
    b.onRelease();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
  });

  test('behavior: failures of calls sent before the circuit opened do not extend the cool-down', () => {
    const { b, advance } = breaker(1, 100);
    b.onFailure();
    advance(60);
    b.onFailure();
    advance(40);
    expect(b.state).toBe('half-open');
  });
});
