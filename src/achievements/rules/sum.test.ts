import { describe, expect, test } from 'vitest';
import { applyEvent, initialState, progressOf, type RuleState } from './index.ts';
import { seededRandom, shuffled } from './seeded-shuffle.ts';
import { sum } from './sum.ts';
import type { RuleDefinition, RuleEvent } from './types.ts';

type Def = Extract<RuleDefinition, { type: 'sum' }>;

const ev = (data: Record<string, unknown>, type = 'tx.sent'): RuleEvent => ({
  type,
  source: 'chain',
  occurredAtMs: 0,
  data,
});
const stateAfter = (def: Def, events: RuleEvent[]) =>
  events.reduce<RuleState>((state, e) => applyEvent(def, state, e), initialState(def));
const run = (def: Def, events: RuleEvent[]) => progressOf(def, stateAfter(def, events));
const def = (target: number, field = 'amount'): Def => ({
  type: 'sum',
  filter: { types: ['tx.sent'] },
  field,
  target,
});

describe('sum', () => {
  test('default: the field adds up to the target', () => {
    expect(run(def(10), [ev({ amount: 4 }), ev({ amount: 5 })])).toEqual({
      current: 9,
      target: 10,
      done: false,
    });
    expect(run(def(10), [ev({ amount: 4 }), ev({ amount: 6 })])).toEqual({
      current: 10,
      target: 10,
      done: true,
    });
    expect(run(def(10), [ev({ amount: 40 })])).toEqual({ current: 40, target: 10, done: true });
  });

  test('behavior: 0.1 + 0.2 reaches a 0.3 target (no float drift)', () => {
    expect(0.1 + 0.2 >= 0.3).toBe(true); // floats overshoot here…
    expect(0.1 + 0.2 === 0.3).toBe(false);
    const p = run(def(0.3), [ev({ amount: 0.1 }), ev({ amount: 0.2 })]);
    expect(p).toEqual({ current: 0.3, target: 0.3, done: true });
    expect(stateAfter(def(0.3), [ev({ amount: 0.1 }), ev({ amount: 0.2 })])).toEqual({ sum: '0.3' });
  });

  test('behavior: ten 0.1s reach 1 and 0.7 + 0.1 reaches 0.8 (floats fall short there)', () => {
    let float = 0;
    for (let i = 0; i < 10; i++) float += 0.1;
    expect(float < 1).toBe(true);
    expect(0.7 + 0.1 < 0.8).toBe(true);
    expect(
      run(
        def(1),
        Array.from({ length: 10 }, () => ev({ amount: 0.1 })),
      ).done,
    ).toBe(true);
    expect(run(def(0.8), [ev({ amount: 0.7 }), ev({ amount: 0.1 })]).done).toBe(true);
    expect(run(def(0.8), [ev({ amount: 0.7 }), ev({ amount: 0.09 })]).done).toBe(false);
  });

  test('behavior: any order gives the same exact total', () => {
    const random = seededRandom(7);
    const events = Array.from({ length: 30 }, () => ev({ amount: Math.round(random() * 1000) / 100 }));
    const expected = stateAfter(def(1000), events);
    for (let i = 0; i < 50; i++) expect(stateAfter(def(1000), shuffled(events, random))).toEqual(expected);
  });

  test('behavior: missing, non-number (numeric strings too), zero and negative amounts are ignored', () => {
    const base = initialState(def(10));
    for (const data of [
      {},
      { amount: '5' },
      { amount: null },
      { amount: true },
      { amount: 0 },
      { amount: -3 },
    ]) {
      expect(applyEvent(def(10), base, ev(data))).toBe(base);
    }
    expect(run(def(10), [ev({ amount: 8 }), ev({ amount: -5 }), ev({ amount: 2 })]).done).toBe(true);
  });

  test('args: a nested field and a filter condition', () => {
    const d: Def = {
      type: 'sum',
      filter: { types: ['tx.sent'], conditions: [{ field: 'token', op: 'in', values: ['USDC', 'DAI'] }] },
      field: 'value.usd',
      target: 100,
    };
    const events = [
      ev({ token: 'USDC', value: { usd: 60 } }),
      ev({ token: 'WETH', value: { usd: 60 } }),
      ev({ token: 'DAI', value: { usd: 40.5 } }),
      ev({ token: 'DAI', value: { usd: 1 } }, 'tx.received'),
    ];
    expect(run(d, events)).toEqual({ current: 100.5, target: 100, done: true });
  });

  test('error: field and target', () => {
    const filter = { types: ['tx.sent'] };
    expect(sum.validate({ type: 'sum', filter, field: 'amount', target: 0.3 }, 'rule')).toEqual([]);
    expect(sum.validate({ type: 'sum', filter }, 'rule').map((i) => i.path)).toEqual([
      'rule.field',
      'rule.target',
    ]);
    expect(
      sum.validate({ type: 'sum', filter, field: 'a..b', target: -1 }, 'rule').map((i) => i.path),
    ).toEqual(['rule.field', 'rule.target']);
    expect(sum.validate({ type: 'sum', filter, field: 'a b', target: 1 }, 'rule').map((i) => i.path)).toEqual(
      ['rule.field'],
    );
  });
});
