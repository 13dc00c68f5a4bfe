import { addToRuns, type Run } from './add-to-runs.ts';
import { checkOneOf, checkPositiveInteger, checkRule, isRecord } from './check.ts';
import { checkTimeZone } from './check-time-zone.ts';
import { isoWeekIndex } from './iso-week.ts';
import { localDayIndex } from './local-day-index.ts';
import type { DefinitionOf, RuleType } from './rule-type.ts';
import type { RuleIssue } from './types.ts';
import { validateFilter } from './validate-filter.ts';

/**
 * `{ type: 'streak', filter, period: 'day' | 'week', timeZone, target }`: unlocked by `target`
 * consecutive local calendar days (or ISO weeks) in `timeZone` with at least one matching event.
 */
export type StreakDefinition = DefinitionOf<'streak'>;

/** Most runs kept; beyond it the oldest runs are dropped (see `StreakState`). */
export const MAX_STREAK_RUNS = 500;

/**
 * The active periods as sorted, disjoint, non-adjacent runs `[first, last]` of period indexes (local
 * days since 1970-01-01, or ISO week indexes), and the longest run ever held.
 *
 * Bound: at most 500 runs (~8 KB of JSON). A run shorter than the target can never be dropped safely
 * (a late event may join it to a neighbour), so nothing is pruned below the cap; past it the oldest
 * runs go. Since 500 separate runs span at least 1000 periods (nearly three years of days), only an
 * event arriving that late could be affected: it would then start a new run instead of bridging old
 * ones. `longest` is kept apart so that dropping runs never lowers progress.
 */
export interface StreakState {
  runs: readonly Run[];
  longest: number;
}

const FIELDS = ['type', 'filter', 'period', 'timeZone', 'target'] as const;
const PERIODS = ['day', 'week'] as const;

/**
 * N consecutive days or ISO weeks with a matching event, in the rule's time zone. Events may arrive
 * in any order: a late event fills its period and merges the runs around it. `current` is the
 * longest streak, not capped at `target`.
 */
export const streak: RuleType<StreakDefinition, StreakState> = {
  type: 'streak',

  validate(def, path) {
    const issues: RuleIssue[] = [];
    if (!checkRule(def, path, 'streak', FIELDS, issues)) return issues;
    issues.push(...validateFilter(def.filter, `${path}.filter`));
    checkOneOf(def.period, `${path}.period`, PERIODS, issues);
    checkTimeZone(def.timeZone, `${path}.timeZone`, issues);
    checkPositiveInteger(def.target, `${path}.target`, issues);
    return issues;
  },

  initialState: () => ({ runs: [], longest: 0 }),

  apply(def, state, event) {
    const day = localDayIndex(event.occurredAtMs, def.timeZone);
    if (day === undefined) return state;
    const period = def.period === 'week' ? isoWeekIndex(day) : day;
    const runs = addToRuns(state.runs, period);
    if (runs === state.runs) return state;
    let longest = state.longest;
    for (const [first, last] of runs) longest = Math.max(longest, last - first + 1);
    return { runs: runs.length > MAX_STREAK_RUNS ? runs.slice(-MAX_STREAK_RUNS) : runs, longest };
  },

  progress: (def, state) => ({
    current: state.longest,
    target: def.target,
    done: state.longest >= def.target,
  }),

  eventTypes: (def) => [...def.filter.types],

  isState: (value): value is StreakState =>
    isRecord(value) &&
    typeof value.longest === 'number' &&
    Number.isSafeInteger(value.longest) &&
    Array.isArray(value.runs) &&
    value.runs.every(
      (run: unknown) =>
        Array.isArray(run) &&
        run.length === 2 &&
        Number.isSafeInteger(run[0]) &&
        Number.isSafeInteger(run[1]),
    ),
};
