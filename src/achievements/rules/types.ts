/**
 * The contract between the rule types and the processing engine.
 *
 * A rule is evaluated incrementally: the engine keeps one JSON `state` per (member, achievement),
 * feeds it the member's matching events one at a time — possibly out of order, never the same event
 * twice (the engine guarantees that) — and reads the progress back. States are plain JSON (they are
 * stored in a jsonb column) and bounded in size. Applying events in any order gives the same final
 * progress. `composite` rules are not fed events: they are evaluated from the member's unlocked set.
 */

/** One stored event as the rules see it. */
export interface RuleEvent {
  type: string;
  source: string;
  /** Milliseconds since the epoch (the event's `occurredAt`). */
  occurredAtMs: number;
  data: Readonly<Record<string, unknown>>;
}

/** A condition on a data field; `field` is a dot path into `data` (`amount`, `item.kind`). */
export type Condition =
  | { field: string; op: 'eq'; value: string | number | boolean }
  | { field: string; op: 'in'; values: (string | number | boolean)[] }
  | { field: string; op: 'gte' | 'lte'; value: number }
  | { field: string; op: 'exists'; value?: boolean };

/** Which events a rule counts: all listed criteria must hold (an absent list means any). */
export interface EventFilter {
  types: string[];
  sources?: string[];
  conditions?: Condition[];
}

export type RuleDefinition =
  | { type: 'count'; filter: EventFilter; target: number }
  | { type: 'sum'; filter: EventFilter; field: string; target: number }
  | { type: 'distinct'; filter: EventFilter; field: string; target: number }
  | { type: 'streak'; filter: EventFilter; period: 'day' | 'week'; timeZone: string; target: number }
  | { type: 'window'; filter: EventFilter; windowSeconds: number; target: number }
  | { type: 'composite'; mode: 'all' | 'any' | 'at_least'; achievements: string[]; n?: number };

export interface Progress {
  current: number;
  target: number;
  done: boolean;
}

/** A validation problem; `path` is a JSON pointer-like dot path (`rule.filter.conditions.0.op`). */
export interface RuleIssue {
  path: string;
  message: string;
}
