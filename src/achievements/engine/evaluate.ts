/**
 * The pure heart of the engine: applies a member's events to the progress states of the
 * achievements they can affect, then unlocks what is done — including composites and achievements
 * whose prerequisites just became unlocked — until nothing more changes. No I/O: the processor, the
 * retroactive run and reconciliation all call this with what they loaded.
 */
import {
  applyEvent,
  evaluateComposite,
  initialState,
  isStateOf,
  type Progress,
  progressOf,
  type RuleEvent,
  type RuleState,
} from '../rules/index.ts';
import type { Catalogue, CatalogueEntry } from './catalogue.ts';

export interface ProgressRow {
  version: number;
  state: RuleState;
  progress: Progress;
  /** Changed by this evaluation (to be written). */
  dirty: boolean;
}

export interface MemberState {
  /** achievementId → progress of event-fed achievements. */
  progress: Map<string, ProgressRow>;
  unlocked: Set<string>;
}

export interface EvaluatedEvent extends RuleEvent {
  seq: string;
  user: string;
}

export interface NewUnlock {
  user: string;
  achievementId: string;
  version: number;
  /** The event that completed it (undefined for a composite or prerequisite cascade). */
  eventSeq: string | undefined;
}

/** The member's progress row for an achievement, fresh when missing or of another version. */
export function progressRowFor(member: MemberState, entry: CatalogueEntry): ProgressRow | undefined {
  if (!entry.eventRule) return undefined;
  const existing = member.progress.get(entry.id);
  if (existing && existing.version === entry.version && isStateOf(entry.eventRule, existing.state))
    return existing;
  const state = initialState(entry.eventRule);
  const row: ProgressRow = {
    version: entry.version,
    state,
    progress: progressOf(entry.eventRule, state),
    dirty: true,
  };
  member.progress.set(entry.id, row);
  return row;
}

function inWindow(entry: CatalogueEntry, occurredAtMs: number): boolean {
  return (
    (entry.startsAtMs === undefined || occurredAtMs >= entry.startsAtMs) &&
    (entry.endsAtMs === undefined || occurredAtMs < entry.endsAtMs)
  );
}

/** Whether an achievement is complete for the member now (rule done and prerequisites unlocked). */
export function isComplete(member: MemberState, entry: CatalogueEntry): boolean {
  if (!entry.def.prerequisites.every((p) => member.unlocked.has(p))) return false;
  if (entry.def.rule.type === 'composite') return evaluateComposite(entry.def.rule, member.unlocked).done;
  const row = member.progress.get(entry.id);
  return row !== undefined && row.version === entry.version && row.progress.done;
}

/**
 * Unlocks `candidates` that are complete, then everything that depends on a new unlock, until a
 * fixpoint. Appends to `out`; mutates `member.unlocked`.
 */
export function cascadeUnlocks(
  catalogue: Catalogue,
  user: string,
  member: MemberState,
  candidates: Iterable<CatalogueEntry>,
  eventSeq: string | undefined,
  out: NewUnlock[],
): void {
  // The event completed the candidates; what unlocks through them was completed by the cascade.
  const queue: [CatalogueEntry, string | undefined][] = [...candidates].map((c) => [c, eventSeq]);
  while (queue.length > 0) {
    const [entry, seq] = queue.shift()!;
    if (member.unlocked.has(entry.id) || !isComplete(member, entry)) continue;
    member.unlocked.add(entry.id);
    out.push({ user, achievementId: entry.id, version: entry.version, eventSeq: seq });
    for (const dependent of catalogue.dependents.get(entry.id) ?? []) queue.push([dependent, undefined]);
  }
}

/**
 * Applies `events` (one member's or many, in the order given) to `members`. Achievements already
 * unlocked are left alone. Returns the unlocks made.
 */
export function evaluateEvents(
  catalogue: Catalogue,
  members: Map<string, MemberState>,
  events: readonly EvaluatedEvent[],
): NewUnlock[] {
  const unlocks: NewUnlock[] = [];
  for (const event of events) {
    const entries = catalogue.byEventType.get(event.type);
    if (!entries) continue;
    let member = members.get(event.user);
    if (!member) {
      member = { progress: new Map(), unlocked: new Set() };
      members.set(event.user, member);
    }
    const completed: CatalogueEntry[] = [];
    for (const entry of entries) {
      if (member.unlocked.has(entry.id) || !inWindow(entry, event.occurredAtMs)) continue;
      const row = progressRowFor(member, entry)!;
      const next = applyEvent(entry.eventRule!, row.state, event);
      if (next === row.state) continue;
      row.state = next;
      row.progress = progressOf(entry.eventRule!, next);
      row.dirty = true;
      if (row.progress.done) completed.push(entry);
    }
    if (completed.length > 0) cascadeUnlocks(catalogue, event.user, member, completed, event.seq, unlocks);
  }
  return unlocks;
}
