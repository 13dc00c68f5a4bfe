import { describe, expect, test } from 'vitest';
import { applyEvent, initialState, progressOf, type RuleState } from './index.ts';
import { localDayIndex } from './local-day-index.ts';
import { seededRandom, shuffled } from './seeded-shuffle.ts';
import { MAX_STREAK_RUNS, type StreakState, streak } from './streak.ts';
import type { RuleDefinition, RuleEvent } from './types.ts';

type Def = Extract<RuleDefinition, { type: 'streak' }>;

const def = (timeZone: string, target = 3, period: 'day' | 'week' = 'day'): Def => ({
  type: 'streak',
  filter: { types: ['quest.done'] },
  period,
  timeZone,
  target,
});
const ev = (iso: string | number, type = 'quest.done'): RuleEvent => ({
  type,
  source: 'app',
  occurredAtMs: typeof iso === 'number' ? iso : Date.parse(iso),
  data: {},
});
const stateAfter = (d: Def, events: RuleEvent[]) =>
  events.reduce<RuleState>((state, e) => applyEvent(d, state, e), initialState(d)) as StreakState;
const longest = (d: Def, events: RuleEvent[]) => progressOf(d, stateAfter(d, events)).current;
const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

describe('streak', () => {
  test('default: N consecutive days with an event', () => {
    const events = [ev('2026-01-01T10:00:00Z'), ev('2026-01-02T10:00:00Z'), ev('2026-01-03T10:00:00Z')];
    expect(progressOf(def('UTC'), stateAfter(def('UTC'), events))).toEqual({
      current: 3,
      target: 3,
      done: true,
    });
    expect(progressOf(def('UTC', 4), stateAfter(def('UTC', 4), events))).toEqual({
      current: 3,
      target: 4,
      done: false,
    });
    expect(stateAfter(def('UTC'), events)).toEqual({
      runs: [[day('2026-01-01'), day('2026-01-03')]],
      longest: 3,
    });
  });

  test('behavior: a gap breaks the streak; current is the longest run', () => {
    const days = ['01', '02', '04', '05', '06', '08'].map((d) => ev(`2026-01-${d}T12:00:00Z`));
    expect(longest(def('UTC'), days)).toBe(3);
    expect(stateAfter(def('UTC'), days).runs).toEqual([
      [day('2026-01-01'), day('2026-01-02')],
      [day('2026-01-04'), day('2026-01-06')],
      [day('2026-01-08'), day('2026-01-08')],
    ]);
    expect(longest(def('UTC'), [ev('2026-01-01T12:00:00Z'), ev('2026-01-03T12:00:00Z')])).toBe(1);
  });

  test('behavior: a late event bridges two runs', () => {
    const state = stateAfter(def('UTC'), [ev('2026-01-01T12:00:00Z'), ev('2026-01-03T12:00:00Z')]);
    const bridged = applyEvent(def('UTC'), state, ev('2026-01-02T23:59:59Z')) as StreakState;
    expect(bridged).toEqual({ runs: [[day('2026-01-01'), day('2026-01-03')]], longest: 3 });
  });

  test('behavior: a second event on a day already held returns the very same state', () => {
    const state = stateAfter(def('UTC'), [ev('2026-01-01T12:00:00Z')]);
    expect(applyEvent(def('UTC'), state, ev('2026-01-01T00:00:00Z'))).toBe(state);
    expect(applyEvent(def('UTC'), state, ev('2026-01-01T12:00:00Z', 'other'))).toBe(state);
  });

  test('args: the same instants give different streaks in UTC, Asia/Tokyo and America/Los_Angeles', () => {
    // UTC days 1, 3, 3; Tokyo (UTC+9) days 1, 3, 4; Los Angeles (UTC-8) days 1, 2, 3.
    const events = [ev('2026-01-01T10:00:00Z'), ev('2026-01-03T02:00:00Z'), ev('2026-01-03T16:00:00Z')];
    expect(longest(def('UTC'), events)).toBe(1);
    expect(longest(def('Asia/Tokyo'), events)).toBe(2);
    expect(longest(def('America/Los_Angeles'), events)).toBe(3);
  });

  test('behavior: 23:30 UTC is the next local day in Asia/Tokyo', () => {
    const events = [ev('2026-01-01T23:30:00Z'), ev('2026-01-02T12:00:00Z')];
    expect(longest(def('UTC'), events)).toBe(2);
    expect(longest(def('Asia/Tokyo'), events)).toBe(1);
  });

  test('behavior: across the New York spring-forward day (2026-03-08, 23 hours)', () => {
    const ny = def('America/New_York');
    const events = [
      ev('2026-03-07T23:55:00-05:00'),
      ev('2026-03-08T00:05:00-05:00'),
      ev('2026-03-08T23:55:00-04:00'),
      ev('2026-03-09T00:05:00-04:00'),
    ];
    expect(stateAfter(ny, events)).toEqual({ runs: [[day('2026-03-07'), day('2026-03-09')]], longest: 3 });
    // 00:05 and 23:55 on the 8th are one day; the 7th and the 9th are its neighbours.
    expect(longest(ny, [ev('2026-03-08T00:05:00-05:00'), ev('2026-03-08T23:55:00-04:00')])).toBe(1);
    expect(longest(ny, [ev('2026-03-07T23:55:00-05:00'), ev('2026-03-09T00:05:00-04:00')])).toBe(1);
  });

  test('behavior: across the New York fall-back day (2026-11-01, 25 hours)', () => {
    const ny = def('America/New_York');
    // 24 h 40 min apart, yet the same local day: a streak of 1 (two UTC days).
    const sameDay = [ev('2026-11-01T00:10:00-04:00'), ev('2026-11-01T23:50:00-05:00')];
    expect(longest(ny, sameDay)).toBe(1);
    expect(longest(def('UTC'), sameDay)).toBe(2);
    expect(longest(ny, [...sameDay, ev('2026-10-31T23:50:00-04:00'), ev('2026-11-02T00:10:00-05:00')])).toBe(
      3,
    );
  });

  test('behavior: across the Berlin spring-forward day (2026-03-29)', () => {
    const berlin = def('Europe/Berlin');
    const events = [
      ev('2026-03-28T23:30:00+01:00'),
      ev('2026-03-29T00:30:00+01:00'),
      ev('2026-03-29T23:30:00+02:00'),
    ];
    // In UTC the first two are the same day (22:30Z and 23:30Z on the 28th); in Berlin, two days.
    expect(longest(berlin, events)).toBe(2);
    expect(stateAfter(berlin, events).runs).toEqual([[day('2026-03-28'), day('2026-03-29')]]);
    expect(longest(def('UTC'), events.slice(0, 2))).toBe(1);
    // 00:30 CET and 23:30 CEST on the 29th are one Berlin day (a 23-hour day), two UTC days.
    expect(longest(berlin, events.slice(1))).toBe(1);
    expect(longest(def('UTC'), events.slice(1))).toBe(2);
  });

  test('behavior: any arrival order gives the same state (seeded permutations, across DST)', () => {
    const random = seededRandom(2026);
    const start = Date.parse('2026-02-20T00:00:00Z');
    const events = Array.from({ length: 60 }, () => ev(start + Math.floor(random() * 50 * 86_400_000)));
    for (const timeZone of ['America/New_York', 'Asia/Tokyo', 'Europe/Berlin']) {
      for (const period of ['day', 'week'] as const) {
        const d = def(timeZone, 10, period);
        const expected = stateAfter(d, events);
        // An independent reference: the longest run of the sorted distinct periods.
        const toPeriod = (dayIndex: number) =>
          period === 'week' ? Math.floor((dayIndex + 3) / 7) : dayIndex;
        const periods = [
          ...new Set(events.map((e) => toPeriod(localDayIndex(e.occurredAtMs, timeZone)!))),
        ].sort((a, b) => a - b);
        let best = 0;
        let run = 0;
        periods.forEach((p, i) => {
          run = i > 0 && p === periods[i - 1]! + 1 ? run + 1 : 1;
          best = Math.max(best, run);
        });
        expect(best).toBeGreaterThan(1);
        expect(expected.longest).toBe(best);
        for (let i = 0; i < 100; i++) expect(stateAfter(d, shuffled(events, random))).toEqual(expected);
      }
    }
  });

  test('args: weeks, across the ISO year boundary (2020-W53, 2021-W01)', () => {
    const weeks = def('UTC', 3, 'week');
    const w52 = ev('2020-12-21T12:00:00Z');
    const w53 = [ev('2020-12-28T12:00:00Z'), ev('2020-12-31T12:00:00Z'), ev('2021-01-03T12:00:00Z')];
    const w01 = ev('2021-01-04T12:00:00Z');
    expect(longest(weeks, w53)).toBe(1);
    expect(longest(weeks, [w52, w53[2]!, w01])).toBe(3);
    expect(progressOf(weeks, stateAfter(weeks, [w01, w53[1]!, w52]))).toEqual({
      current: 3,
      target: 3,
      done: true,
    });
    expect(longest(weeks, [w52, w01])).toBe(1);
  });

  test('args: weeks start on Monday in the rule time zone', () => {
    // Sunday 23:30 in Los Angeles is Monday 07:30 UTC: a new week in UTC, not in Los Angeles.
    const events = [ev('2021-01-03T23:30:00-08:00'), ev('2021-01-03T10:00:00-08:00')];
    expect(longest(def('UTC', 2, 'week'), events)).toBe(2);
    expect(longest(def('America/Los_Angeles', 2, 'week'), events)).toBe(1);
  });

  test('behavior: past the cap the oldest runs go, the longest streak stays', () => {
    const d = def('UTC', 1000);
    const base = Date.parse('2020-01-01T12:00:00Z');
    const events = [0, 1, 2].map((i) => ev(base + i * 86_400_000));
    for (let i = 0; i < MAX_STREAK_RUNS + 50; i++) events.push(ev(base + (10 + 2 * i) * 86_400_000));
    const state = stateAfter(d, events);
    expect(state.runs).toHaveLength(MAX_STREAK_RUNS);
    expect(state.runs[0]![0]).toBe(day('2020-01-01') + 10 + 2 * 50);
    expect(state.longest).toBe(3);
    expect(JSON.stringify(state).length).toBeLessThan(10_000);
  });

  test('behavior: states are recognised when read back', () => {
    expect(streak.isState({ runs: [[1, 3]], longest: 3 })).toBe(true);
    expect(streak.isState({ runs: [[1]], longest: 1 })).toBe(false);
    expect(streak.isState({ runs: [], longest: '0' })).toBe(false);
  });

  test('error: period, time zone and target', () => {
    const ok = {
      type: 'streak',
      filter: { types: ['quest.done'] },
      period: 'day',
      timeZone: 'UTC',
      target: 7,
    };
    expect(streak.validate(ok, 'rule')).toEqual([]);
    for (const timeZone of ['Europe/Berlin', 'US/Eastern', 'Etc/UTC', 'Asia/Kolkata']) {
      expect(streak.validate({ ...ok, timeZone }, 'rule')).toEqual([]);
    }
    const issues = streak.validate({ ...ok, period: 'month', timeZone: 'Mars/Olympus', target: 0 }, 'rule');
    expect(issues.map((i) => i.path)).toEqual(['rule.period', 'rule.timeZone', 'rule.target']);
    expect(issues[1]!.message).toContain('unknown time zone "Mars/Olympus"');
    expect(streak.validate({ ...ok, timeZone: 'asia/tokyo' }, 'rule')).toEqual([
      { path: 'rule.timeZone', message: 'must be spelled "Asia/Tokyo", got "asia/tokyo"' },
    ]);
    for (const timeZone of ['+05:00', '', 5, undefined]) {
      expect(streak.validate({ ...ok, timeZone }, 'rule').map((i) => i.path)).toEqual(['rule.timeZone']);
    }
  });
});
