/**
 * The rule types of the achievement engine: validation of rule definitions, and the pure,
 * incremental evaluation of a member's progress. No I/O.
 *
 * ## The incremental, out-of-order contract
 *
 * The engine keeps one JSON state per (member, achievement) — `initialState(def)` to start — and
 * feeds it each of the member's events with `applyEvent(def, state, event)`, then stores the result
 * and reads `progressOf(def, state)`. It guarantees no event is applied twice; it does not guarantee
 * order. In return every rule type here guarantees:
 *
 * - **Order does not matter.** The progress after a set of events is the same in any order
 *   (counts and exact sums commute; distinct values, streak periods and window timestamps are kept
 *   as sorted sets). The one exception is each state's documented size cap, which is far beyond
 *   ordinary lateness: see `StreakState` and `WindowState`.
 * - **Progress never goes down** as events are added (sum ignores non-positive amounts for this
 *   reason), so `done`, once reached, stays: whether a member unlocks cannot depend on arrival order.
 * - **Unchanged means identical.** `applyEvent` returns the very same state object when the event
 *   does not pass the filter or changes nothing (a day already in the streak, a value already seen),
 *   so the engine can skip the write.
 * - **Bounded, plain-JSON states**, each bound documented on its state type.
 * - `current` is not capped at `target`; `done` is `current >= target` (decided exactly for sums).
 *
 * `composite` rules take no events and have no state: `evaluateComposite(def, unlockedIds)`.
 * `eventTypesOf(def)` gives the event types that can affect a rule, for the engine's index. A state
 * read back from storage can be checked with `isStateOf(def, value)`; when a definition changes
 * shape (another period, time zone or field), the engine should start that rule's state afresh.
 */
import { describeValue, isRecord } from './check.ts';
import { composite } from './composite.ts';
import { type CountState, count } from './count.ts';
import { type DistinctState, distinct } from './distinct.ts';
import { matchesFilter } from './matches-filter.ts';
import type { EventRuleDefinition, RuleType } from './rule-type.ts';
import { type StreakState, streak } from './streak.ts';
import { type SumState, sum } from './sum.ts';
import type { Progress, RuleDefinition, RuleEvent, RuleIssue } from './types.ts';
import { type WindowState, window } from './window.ts';

export type { Run } from './add-to-runs.ts';
export { MAX_COMPOSITE_ACHIEVEMENTS } from './composite.ts';
export { compositeCycles } from './composite-cycles.ts';
export type { CountDefinition, CountState } from './count.ts';
export { type DistinctDefinition, type DistinctState, MAX_DISTINCT_TARGET } from './distinct.ts';
export { evaluateComposite } from './evaluate-composite.ts';
export { matchesFilter } from './matches-filter.ts';
export { readField } from './read-field.ts';
export type {
  CompositeDefinition,
  DefinitionOf,
  EventRuleDefinition,
  RuleType,
  RuleValidator,
} from './rule-type.ts';
export { MAX_STREAK_RUNS, type StreakDefinition, type StreakState } from './streak.ts';
export type { SumDefinition, SumState } from './sum.ts';
export type { Condition, EventFilter, Progress, RuleDefinition, RuleEvent, RuleIssue } from './types.ts';
export {
  MAX_WINDOW_SECONDS,
  MAX_WINDOW_TARGET,
  MIN_WINDOW_TIMESTAMPS,
  type WindowDefinition,
  type WindowState,
} from './window.ts';

/** The state of any event-fed rule (see each type for its shape and bound). */
export type RuleState = CountState | SumState | DistinctState | StreakState | WindowState;

/** Every rule type by its `type`: the event-fed ones (`RuleType`) and `composite` (validation only). */
export const ruleTypes = { count, sum, distinct, streak, window, composite } as const;

/** The valid values of a rule's `type`. */
export const RULE_TYPE_NAMES = Object.keys(ruleTypes) as RuleDefinition['type'][];

/**
 * The issues with an untrusted rule definition (empty when valid), each at a precise dot path
 * starting at `path`: an unknown `type` is an issue at `rule.type` listing the valid ones, an unknown
 * field is an issue at its own path (`rule.filter.colour`).
 */
export function validateRule(def: unknown, path = 'rule'): RuleIssue[] {
  if (!isRecord(def)) return [{ path, message: `must be an object, got ${describeValue(def)}` }];
  const type = def.type;
  if (typeof type !== 'string' || !Object.hasOwn(ruleTypes, type)) {
    const got = type === undefined ? 'required' : `got ${describeValue(type)}`;
    return [{ path: `${path}.type`, message: `must be one of: ${RULE_TYPE_NAMES.join(', ')} (${got})` }];
  }
  return ruleTypes[type as RuleDefinition['type']].validate(def, path);
}

/** Whether a (valid) rule is fed events, i.e. is not a `composite`. */
export function isEventRule(def: RuleDefinition): def is EventRuleDefinition {
  return def.type !== 'composite';
}

/** The state of an event-fed rule before any event. */
export function initialState(def: EventRuleDefinition): RuleState {
  return typeOf(def).initialState(def);
}

/**
 * The state after one event: the same `state` object when the event does not pass the rule's
 * filter or changes nothing (skip the write), else a new one. Pure.
 */
export function applyEvent(def: EventRuleDefinition, state: RuleState, event: RuleEvent): RuleState {
  if (!matchesFilter(def.filter, event)) return state;
  return typeOf(def).apply(def, state, event);
}

/** Where a member stands on an event-fed rule. */
export function progressOf(def: EventRuleDefinition, state: RuleState): Progress {
  return typeOf(def).progress(def, state);
}

/** The event types that can affect a rule (none for `composite`), for the engine's type → rules index. */
export function eventTypesOf(def: RuleDefinition): string[] {
  return isEventRule(def) ? typeOf(def).eventTypes(def) : [];
}

/** Whether a value read back from storage is a state of this rule's type (else: `initialState`). */
export function isStateOf(def: EventRuleDefinition, value: unknown): value is RuleState {
  return typeOf(def).isState(value);
}

/**
 * The rule type of a definition. The registry is keyed by the same `type` the definition carries,
 * so the pairing of definition and state holds; TypeScript cannot correlate the two unions itself.
 */
function typeOf(def: EventRuleDefinition): RuleType<EventRuleDefinition, RuleState> {
  return ruleTypes[def.type] as unknown as RuleType<EventRuleDefinition, RuleState>;
}
