import { describe, expect, test } from 'vitest';
import { applyEvent, initialState, progressOf, type RuleState } from './index.ts';
import { seededRandom, shuffled } from './seeded-shuffle.ts';
import type { RuleDefinition, RuleEvent } from './types.ts';
import {
  MAX_WINDOW_SECONDS,
  MAX_WINDOW_TARGET,
  MIN_WINDOW_TIMESTAMPS,
  type WindowState,
  window,
} from './window.ts';

type Def = Extract<RuleDefinition, { type: 'window' }>;

const def = (target: number, windowSeconds: number): Def => ({
  type: 'window',
  filter: { types: ['trade'] },
  windowSeconds,
  target,
});
const T0 = Date.parse('2026-05-01T12:00:00Z');
const ev = (offsetMs: number, type = 'trade'): RuleEvent => ({
  type,
  source: 'dex',
  occurredAtMs: T0 + offsetMs,
  data: {},
});
const stateAfter = (d: Def, events: RuleEvent[]) =>
  events.reduce<RuleState>((state, e) => applyEvent(d, state, e), initialState(d)) as WindowState;
const run = (d: Def, events: RuleEvent[]) => progressOf(d, stateAfter(d, events));

/** The reference: the most events within `windowMs` of each other, by brute force. */
function mostInWindow(offsets: number[], windowMs: number): number {
  return Math.max(
    0,
    ...offsets.map((start) => offsets.filter((t) => t >= start && t <= start + windowMs).length),
  );
}

describe('window', () => {
  test('default: N events within the window', () => {
    expect(run(def(3, 60), [ev(0), ev(20_000), ev(40_000)])).toEqual({ current: 3, target: 3, done: true });
    expect(run(def(3, 60), [ev(0), ev(40_000), ev(80_000)])).toEqual({ current: 2, target: 3, done: false });
  });

  test('behavior: the window is closed: events exactly windowSeconds apart are in one window', () => {
    expect(run(def(2, 60), [ev(0), ev(60_000)])).toEqual({ current: 2, target: 2, done: true });
    expect(run(def(2, 60), [ev(0), ev(60_001)])).toEqual({ current: 1, target: 2, done: false });
    expect(run(def(2, 60), [ev(60_000), ev(0)]).done).toBe(true);
    expect(run(def(2, 60), [ev(60_001), ev(0)]).done).toBe(false);
    expect(run(def(3, 60), [ev(0), ev(30_000), ev(60_000), ev(60_001)]).current).toBe(3);
  });

  test('behavior: events at the same instant each count', () => {
    expect(run(def(3, 1), [ev(5), ev(5), ev(5)]).done).toBe(true);
  });

  test('behavior: out of order, a late event completes a window', () => {
    const d = def(3, 60);
    const state = stateAfter(d, [ev(0), ev(100_000), ev(50_000)]);
    expect(progressOf(d, state)).toEqual({ current: 2, target: 3, done: false });
    expect(progressOf(d, applyEvent(d, state, ev(55_000)))).toEqual({ current: 3, target: 3, done: true });
  });

  test('behavior: any arrival order gives the brute-force answer (seeded permutations)', () => {
    const random = seededRandom(42);
    for (let round = 0; round < 20; round++) {
      const windowSeconds = 1 + Math.floor(random() * 120);
      const offsets = Array.from({ length: 25 }, () => Math.floor(random() * 600) * 1000);
      // Put some pairs exactly on the boundary.
      offsets.push(offsets[0]! + windowSeconds * 1000, offsets[1]! + windowSeconds * 1000 + 1);
      const expected = mostInWindow(offsets, windowSeconds * 1000);
      const events = offsets.map((o) => ev(o));
      for (const target of [expected, expected + 1]) {
        const d = def(target, windowSeconds);
        for (let i = 0; i < 25; i++) {
          expect(run(d, shuffled(events, random))).toEqual({
            current: expected,
            target,
            done: target === expected,
          });
        }
      }
    }
  });

  test('behavior: once done the times are dropped and further events change nothing', () => {
    const d = def(2, 10);
    const state = stateAfter(d, [ev(0), ev(5_000)]);
    expect(state).toEqual({ timesMs: [], best: 2 });
    expect(applyEvent(d, state, ev(6_000))).toBe(state);
  });

  test('behavior: before done the state is capped at max(200, 2 × target) newest times', () => {
    const d = def(3, 1);
    const events = Array.from({ length: 500 }, (_, i) => ev(i * 10_000));
    const state = stateAfter(d, shuffled(events, seededRandom(1)));
    expect(state.timesMs).toHaveLength(MIN_WINDOW_TIMESTAMPS);
    expect(state.timesMs[0]).toBe(T0 + 300 * 10_000);
    expect(state.best).toBe(1);
    const big = def(MAX_WINDOW_TARGET, 1);
    const bigState = stateAfter(
      big,
      Array.from({ length: 2500 }, (_, i) => ev(i * 10_000)),
    );
    expect(bigState.timesMs).toHaveLength(2 * MAX_WINDOW_TARGET);
  });

  test('behavior: a non-matching event returns the very same state', () => {
    const state = initialState(def(2, 10));
    expect(applyEvent(def(2, 10), state, ev(0, 'transfer'))).toBe(state);
  });

  test('behavior: states are recognised when read back', () => {
    expect(window.isState({ timesMs: [1, 2], best: 1 })).toBe(true);
    expect(window.isState({ timesMs: ['1'], best: 1 })).toBe(false);
    expect(window.isState({ count: 1 })).toBe(false);
  });

  test('error: windowSeconds and target', () => {
    const ok = { type: 'window', filter: { types: ['trade'] }, windowSeconds: 3600, target: 5 };
    expect(window.validate(ok, 'rule')).toEqual([]);
    expect(window.validate({ ...ok, windowSeconds: MAX_WINDOW_SECONDS }, 'rule')).toEqual([]);
    for (const windowSeconds of [0, 1.5, MAX_WINDOW_SECONDS + 1, '60', undefined]) {
      expect(window.validate({ ...ok, windowSeconds }, 'rule').map((i) => i.path)).toEqual([
        'rule.windowSeconds',
      ]);
    }
    expect(window.validate({ ...ok, target: MAX_WINDOW_TARGET + 1 }, 'rule').map((i) => i.path)).toEqual([
      'rule.target',
    ]);
  });
});
