import { describe, expect, test } from 'vitest';
import { count } from './count.ts';
import { applyEvent, initialState, progressOf, type RuleState } from './index.ts';
import type { RuleDefinition, RuleEvent } from './types.ts';

type Def = Extract<RuleDefinition, { type: 'count' }>;

const ev = (type: string, data: Record<string, unknown> = {}, source = 'snapshot'): RuleEvent => ({
  type,
  source,
  occurredAtMs: 0,
  data,
});
const run = (def: Def, events: RuleEvent[]) =>
  progressOf(
    def,
    events.reduce<RuleState>((state, e) => applyEvent(def, state, e), initialState(def)),
  );

describe('count', () => {
  test('default: N matching events', () => {
    const def: Def = { type: 'count', filter: { types: ['vote.cast'] }, target: 3 };
    expect(run(def, [])).toEqual({ current: 0, target: 3, done: false });
    expect(run(def, [ev('vote.cast'), ev('vote.cast')])).toEqual({ current: 2, target: 3, done: false });
    expect(run(def, [ev('vote.cast'), ev('vote.cast'), ev('vote.cast')])).toEqual({
      current: 3,
      target: 3,
      done: true,
    });
  });

  test('behavior: current is not capped at the target', () => {
    const def: Def = { type: 'count', filter: { types: ['vote.cast'] }, target: 2 };
    expect(
      run(
        def,
        Array.from({ length: 5 }, () => ev('vote.cast')),
      ),
    ).toEqual({
      current: 5,
      target: 2,
      done: true,
    });
  });

  test('args: only events passing the filter count (types, sources, conditions)', () => {
    const def: Def = {
      type: 'count',
      filter: {
        types: ['vote.cast', 'vote.delegated'],
        sources: ['snapshot'],
        conditions: [{ field: 'proposal.space', op: 'eq', value: 'cb.eth' }],
      },
      target: 10,
    };
    const events = [
      ev('vote.cast', { proposal: { space: 'cb.eth' } }),
      ev('vote.delegated', { proposal: { space: 'cb.eth' } }),
      ev('vote.cast', { proposal: { space: 'other.eth' } }),
      ev('vote.cast', { proposal: { space: 'cb.eth' } }, 'tally'),
      ev('nft.minted', { proposal: { space: 'cb.eth' } }),
      ev('vote.cast', {}),
    ];
    expect(run(def, events).current).toBe(2);
  });

  test('behavior: a non-matching event returns the very same state', () => {
    const def: Def = { type: 'count', filter: { types: ['vote.cast'] }, target: 1 };
    const state = initialState(def);
    expect(applyEvent(def, state, ev('other'))).toBe(state);
    expect(applyEvent(def, state, ev('vote.cast'))).not.toBe(state);
  });

  test('behavior: states are recognised when read back', () => {
    expect(count.isState({ count: 4 })).toBe(true);
    expect(count.isState({ count: -1 })).toBe(false);
    expect(count.isState({ count: 1.5 })).toBe(false);
    expect(count.isState({ sum: '1' })).toBe(false);
    expect(count.isState(null)).toBe(false);
  });

  test('error: target must be a positive integer', () => {
    const filter = { types: ['vote.cast'] };
    expect(count.validate({ type: 'count', filter }, 'rule')).toEqual([
      { path: 'rule.target', message: 'required: a positive integer' },
    ]);
    for (const target of [0, -1, 1.5, '3', Number.NaN]) {
      expect(count.validate({ type: 'count', filter, target }, 'rule').map((i) => i.path)).toEqual([
        'rule.target',
      ]);
    }
  });
});
