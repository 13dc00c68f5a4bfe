import { checkPositiveInteger, checkRule, isRecord } from './check.ts';
import { insertionPoint } from './insertion-point.ts';
import type { DefinitionOf, RuleType } from './rule-type.ts';
import type { RuleIssue } from './types.ts';
import { validateFilter } from './validate-filter.ts';

/**
 * `{ type: 'window', filter, windowSeconds, target }`: unlocked by `target` matching events within
 * some `windowSeconds`-long span of time.
 */
export type WindowDefinition = DefinitionOf<'window'>;

/** Longest accepted window: 10 Julian years (10 × 365.25 days), in seconds. */
export const MAX_WINDOW_SECONDS = 315_576_000;

/** Largest accepted target: the state must be able to hold a whole winning window. */
export const MAX_WINDOW_TARGET = 1000;

/** Fewest timestamps kept before the oldest are dropped; the cap is `max(this, 2 × target)`. */
export const MIN_WINDOW_TIMESTAMPS = 200;

/**
 * The matching events' times (ms since the epoch), sorted, duplicates kept (two events may share an
 * instant); and `best`, the most events seen in one window so far.
 *
 * Bound: at most `max(200, 2 × target)` timestamps (≤ 2000, ~30 KB of JSON), and none once done.
 * Before done no timestamp can be dropped safely in general (a late event may complete a window
 * with any of them), so the oldest go only beyond the cap: a window the member completes late
 * enough that its events are older than the cap's worth of newer events is then missed. Once done
 * the times are cleared; `best` stays, so progress never goes down.
 */
export interface WindowState {
  timesMs: readonly number[];
  best: number;
}

const FIELDS = ['type', 'filter', 'windowSeconds', 'target'] as const;

/**
 * N matching events within any sliding window of `windowSeconds`. The window is closed at both
 * ends: events at `t` and at exactly `t + windowSeconds` are in one window; one more millisecond
 * apart and they are not. Events may arrive in any order. `current` is the most events found in one
 * window; it stops growing once done (the state stops recording then).
 */
export const window: RuleType<WindowDefinition, WindowState> = {
  type: 'window',

  validate(def, path) {
    const issues: RuleIssue[] = [];
    if (!checkRule(def, path, 'window', FIELDS, issues)) return issues;
    issues.push(...validateFilter(def.filter, `${path}.filter`));
    checkPositiveInteger(def.windowSeconds, `${path}.windowSeconds`, issues, MAX_WINDOW_SECONDS);
    checkPositiveInteger(def.target, `${path}.target`, issues, MAX_WINDOW_TARGET);
    return issues;
  },

  initialState: () => ({ timesMs: [], best: 0 }),

  apply(def, state, event) {
    const t = event.occurredAtMs;
    if (state.best >= def.target || !Number.isFinite(t)) return state;
    const at = insertionPoint(state.timesMs, t);
    const timesMs = [...state.timesMs.slice(0, at), t, ...state.timesMs.slice(at)];
    const best = Math.max(state.best, mostInOneWindow(timesMs, def.windowSeconds * 1000));
    if (best >= def.target) return { timesMs: [], best };
    const cap = Math.max(MIN_WINDOW_TIMESTAMPS, 2 * def.target);
    return { timesMs: timesMs.length > cap ? timesMs.slice(-cap) : timesMs, best };
  },

  progress: (def, state) => ({ current: state.best, target: def.target, done: state.best >= def.target }),

  eventTypes: (def) => [...def.filter.types],

  isState: (value): value is WindowState =>
    isRecord(value) &&
    typeof value.best === 'number' &&
    Number.isSafeInteger(value.best) &&
    Array.isArray(value.timesMs) &&
    value.timesMs.every((t: unknown) => typeof t === 'number' && Number.isFinite(t)),
};

/** The most sorted times that fit in one closed span of `windowMs` (two pointers, linear). */
function mostInOneWindow(timesMs: readonly number[], windowMs: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < timesMs.length; end++) {
    while (timesMs[end]! - timesMs[start]! > windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
