import { describe, expect, test } from 'vitest';
import { distinct, MAX_DISTINCT_TARGET } from './distinct.ts';
import { applyEvent, initialState, progressOf, type RuleState } from './index.ts';
import { seededRandom, shuffled } from './seeded-shuffle.ts';
import type { RuleDefinition, RuleEvent } from './types.ts';

type Def = Extract<RuleDefinition, { type: 'distinct' }>;

const ev = (data: Record<string, unknown>, type = 'vote.cast'): RuleEvent => ({
  type,
  source: 'snapshot',
  occurredAtMs: 0,
  data,
});
const stateAfter = (def: Def, events: RuleEvent[]) =>
  events.reduce<RuleState>((state, e) => applyEvent(def, state, e), initialState(def));
const run = (def: Def, events: RuleEvent[]) => progressOf(def, stateAfter(def, events));
const def = (target: number, field = 'proposal'): Def => ({
  type: 'distinct',
  filter: { types: ['vote.cast'] },
  field,
  target,
});

describe('distinct', () => {
  test('default: N distinct values', () => {
    const events = [ev({ proposal: 'p1' }), ev({ proposal: 'p2' }), ev({ proposal: 'p3' })];
    expect(run(def(3), events)).toEqual({ current: 3, target: 3, done: true });
    expect(run(def(4), events)).toEqual({ current: 3, target: 4, done: false });
  });

  test('behavior: the same value twice counts once (and leaves the state object as it is)', () => {
    const once = stateAfter(def(5), [ev({ proposal: 'p1' })]);
    expect(applyEvent(def(5), once, ev({ proposal: 'p1' }))).toBe(once);
    expect(
      run(def(5), [ev({ proposal: 'p1' }), ev({ proposal: 'p1' }), ev({ proposal: 'p2' })]).current,
    ).toBe(2);
  });

  test('behavior: values compare by JSON identity', () => {
    const events = [1, '1', 1.0, true, 'true', -0, 0, 'p'].map((proposal) => ev({ proposal }));
    // 1 and 1.0 are one value, as are -0 and 0: 1, "1", true, "true", 0, "p".
    expect(run(def(100), events).current).toBe(6);
  });

  test('behavior: missing, null, object and array values are ignored', () => {
    const base = initialState(def(5));
    for (const data of [{}, { proposal: null }, { proposal: { id: 1 } }, { proposal: [1] }]) {
      expect(applyEvent(def(5), base, ev(data))).toBe(base);
    }
  });

  test('behavior: the state stops growing at the target', () => {
    const events = Array.from({ length: 50 }, (_, i) => ev({ proposal: `p${i}` }));
    const state = stateAfter(def(10), events);
    expect(state).toEqual({ values: expect.any(Array) });
    expect((state as { values: string[] }).values).toHaveLength(10);
    expect(run(def(10), events)).toEqual({ current: 10, target: 10, done: true });
  });

  test('behavior: long values are stored as a bounded hash, still distinct', () => {
    const long = (c: string) => ev({ proposal: c.repeat(10_000) });
    const state = stateAfter(def(5), [long('a'), long('b'), long('a')]) as { values: string[] };
    expect(state.values).toHaveLength(2);
    for (const key of state.values) expect(key.length).toBeLessThanOrEqual(80);
  });

  test('behavior: any order gives the same state (below the target)', () => {
    const random = seededRandom(11);
    const events = Array.from({ length: 40 }, () => ev({ proposal: `p${Math.floor(random() * 15)}` }));
    const expected = stateAfter(def(100), events);
    for (let i = 0; i < 50; i++) expect(stateAfter(def(100), shuffled(events, random))).toEqual(expected);
  });

  test('args: a nested field', () => {
    const events = [ev({ nft: { collection: 'a' } }), ev({ nft: { collection: 'b' } }), ev({ nft: {} })];
    expect(run(def(2, 'nft.collection'), events).done).toBe(true);
  });

  test('error: target is bounded', () => {
    const base = { type: 'distinct', filter: { types: ['vote.cast'] }, field: 'proposal' };
    expect(distinct.validate({ ...base, target: MAX_DISTINCT_TARGET }, 'rule')).toEqual([]);
    expect(distinct.validate({ ...base, target: MAX_DISTINCT_TARGET + 1 }, 'rule')).toEqual([
      { path: 'rule.target', message: `must be an integer from 1 to ${MAX_DISTINCT_TARGET}, got 1001` },
    ]);
  });
});
