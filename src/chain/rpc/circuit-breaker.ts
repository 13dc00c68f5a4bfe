/**
 * Circuit breaker of one endpoint: `closed` (in use) → after `threshold` transport failures in a
 * row → `open` (skipped) → after `cooldownMs` → `half-open` (one probe call at a time) → `closed` on
 * the probe's success, `open` again (for another cool-down) on its failure.
 */
import type { CircuitState } from './types.ts';

export interface CircuitBreakerOptions {
  threshold: number;
  cooldownMs: number;
  /** Called once per state change. */
  onChange?: ((from: CircuitState, to: CircuitState) => void) | undefined;
  /** Clock (ms); `Date.now` unless a test drives time. */
  now?: (() => number) | undefined;
}

export interface CircuitBreaker {
  /** The state now (an open circuit whose cool-down passed reads as half-open). */
  readonly state: CircuitState;
  /** Transport failures in a row. */
  readonly consecutiveFailures: number;
  /** True when a call may be sent now (closed, or half-open with the probe slot free). */
  canPass(): boolean;
  /** Claims the right to send one call: always in closed, the single probe slot in half-open. */
  tryAcquire(): boolean;
  /** The endpoint answered (a JSON-RPC error is an answer too). */
  onSuccess(): void;
  /** The endpoint failed at the transport level or timed out. */
  onFailure(): void;
  /** A call ended with neither (aborted by its caller): frees the probe slot. */
  onRelease(): void;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;

  const set = (to: CircuitState) => {
    if (to === state) return;
    const from = state;
    state = to;
    if (to === 'open') openedAt = now();
    if (to !== 'half-open') probing = false;
    options.onChange?.(from, to);
  };
  const current = (): CircuitState => {
    if (state === 'open' && now() - openedAt >= options.cooldownMs) set('half-open');
    return state;
  };

  return {
    get state() {
      return current();
    },
    get consecutiveFailures() {
      return failures;
    },
    canPass() {
      const s = current();
      return s === 'closed' || (s === 'half-open' && !probing);
    },
    tryAcquire() {
      const s = current();
      if (s === 'closed') return true;
      if (s === 'half-open' && !probing) {
        probing = true;
        return true;
      }
      return false;
    },
    onSuccess() {
      failures = 0;
      probing = false;
      set('closed');
    },
    onFailure() {
      failures++;
      const s = current();
      // The failed probe re-opens for a full cool-down; late failures of calls sent before the
      // circuit opened change nothing.
      if (s === 'half-open' || (s === 'closed' && failures >= options.threshold)) set('open');
    },
    onRelease() {
      probing = false;
    },
  };
}
