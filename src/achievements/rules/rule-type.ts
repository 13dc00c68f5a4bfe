import type { Progress, RuleDefinition, RuleEvent, RuleIssue } from './types.ts';

/** The definition of one rule type, picked out of the `RuleDefinition` union by its `type`. */
export type DefinitionOf<T extends RuleDefinition['type']> = Extract<RuleDefinition, { type: T }>;

/** Rules the engine feeds events to (every type but `composite`). */
export type EventRuleDefinition = Exclude<RuleDefinition, { type: 'composite' }>;

/** A composite rule: unlocked from other achievements, never fed events. */
export type CompositeDefinition = DefinitionOf<'composite'>;

/** What every rule type offers: validation of an untrusted definition. */
export interface RuleValidator<T extends RuleDefinition['type'] = RuleDefinition['type']> {
  type: T;
  /**
   * The issues with an untrusted `def` (empty when valid), each at a precise dot path below `path`
   * (`rule.filter.conditions.0.op`). Unknown fields are issues.
   */
  validate(def: unknown, path: string): RuleIssue[];
}

/**
 * A rule type the engine feeds events to. `S` is the rule's JSON state, kept per (member,
 * achievement) in a jsonb column; every function is pure and every state is bounded in size.
 *
 * Contract (see `index.ts`): events arrive in any order and never twice; the final progress depends
 * only on the set of events applied; progress never goes down as events are added.
 */
export interface RuleType<D extends EventRuleDefinition, S> extends RuleValidator<D['type']> {
  /** The state before any event. */
  initialState(def: D): S;
  /**
   * The state after one event that passed the rule's filter. Pure: returns a new state, or the very
   * same `state` object when the event changes nothing (so the engine can skip the write).
   */
  apply(def: D, state: S, event: RuleEvent): S;
  /** Where the member stands; `current` is not capped at `target`, `done` is `current >= target`. */
  progress(def: D, state: S): Progress;
  /** The event types that can affect this rule, for the engine's type → rules index. */
  eventTypes(def: D): string[];
  /** Whether a value read back from storage has this rule's state shape (else: start afresh). */
  isState(value: unknown): value is S;
}
