/**
 * Why a member stands where they stand on an achievement: the events that counted (replayed
 * through the rule from the start, in arrival order), the ones that matched the type but not the
 * rule, and what is still missing, in words and numbers.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { CatalogueEntry } from '../engine/catalogue.ts';
import {
  applyEvent,
  evaluateComposite,
  eventTypesOf,
  initialState,
  matchesFilter,
  type Progress,
  progressOf,
  type RuleEvent,
} from '../rules/index.ts';

/** Events replayed at most (the newest are kept when a member has more). */
export const EXPLAIN_MAX_EVENTS = 5000;

export interface ExplainedEvent {
  id: string;
  source: string;
  type: string;
  occurredAt: string;
  /** Changed the progress. */
  counted: boolean;
  /** Why not, when not counted. */
  reason?: string;
}

export interface Explanation {
  achievementId: string;
  version: number;
  unlocked: boolean;
  unlockedAt: string | null;
  progress: Progress;
  prerequisites: { achievementId: string; unlocked: boolean }[];
  /** Sentences saying what is still needed; empty once unlocked. */
  missing: string[];
  events: ExplainedEvent[];
  /** More matching events exist than were replayed. */
  truncated: boolean;
}

export async function explainProgress(
  q: Queryable,
  entry: CatalogueEntry,
  user: string,
): Promise<Explanation> {
  const def = entry.def;
  const unlockRows = await q.query<{ achievement_id: string; unlocked_at: Date }>(
    'select achievement_id, unlocked_at from ach_unlocks where user_address = $1',
    [user],
  );
  const unlocked = new Set(unlockRows.rows.map((r) => r.achievement_id));
  const own = unlockRows.rows.find((r) => r.achievement_id === entry.id);
  const prerequisites = def.prerequisites.map((p) => ({ achievementId: p, unlocked: unlocked.has(p) }));
  const missing: string[] = [];
  const events: ExplainedEvent[] = [];
  let progress: Progress;
  let truncated = false;

  if (def.rule.type === 'composite') {
    progress = evaluateComposite(def.rule, unlocked);
    const lacking = def.rule.achievements.filter((a) => !unlocked.has(a));
    if (!progress.done) {
      const need =
        def.rule.mode === 'all'
          ? lacking.length
          : def.rule.mode === 'any'
            ? 1
            : (def.rule.n ?? 1) - progress.current;
      missing.push(`unlock ${need} more of: ${lacking.join(', ')}`);
    }
  } else {
    const rule = def.rule;
    const { rows } = await q.query<{
      external_id: string;
      source: string;
      type: string;
      occurred_at: Date;
      data: Record<string, unknown>;
      status: string;
    }>(
      `select * from (
         select seq, external_id, source, type, occurred_at, data, status from ach_events
          where user_address = $1 and type = any($2::text[]) order by seq desc limit $3
       ) x order by seq`,
      [user, eventTypesOf(rule), EXPLAIN_MAX_EVENTS + 1],
    );
    truncated = rows.length > EXPLAIN_MAX_EVENTS;
    let state = initialState(rule);
    for (const r of truncated ? rows.slice(1) : rows) {
      const event: RuleEvent = {
        type: r.type,
        source: r.source,
        occurredAtMs: r.occurred_at.getTime(),
        data: r.data,
      };
      const base = {
        id: r.external_id,
        source: r.source,
        type: r.type,
        occurredAt: r.occurred_at.toISOString(),
      };
      let reason: string | undefined;
      if (r.status !== 'processed')
        reason = r.status === 'received' ? 'not processed yet' : 'processing failed';
      else if (entry.startsAtMs !== undefined && event.occurredAtMs < entry.startsAtMs)
        reason = 'before the achievement started';
      else if (entry.endsAtMs !== undefined && event.occurredAtMs >= entry.endsAtMs)
        reason = 'after the achievement ended';
      else if (!matchesFilter(rule.filter, event)) reason = 'does not match the rule (source or conditions)';
      if (reason) {
        events.push({ ...base, counted: false, reason });
        continue;
      }
      const next = applyEvent(rule, state, event);
      if (next === state)
        events.push({
          ...base,
          counted: false,
          reason: 'adds nothing (e.g. same day or value already counted)',
        });
      else events.push({ ...base, counted: true });
      state = next;
    }
    progress = progressOf(rule, state);
    if (!progress.done) {
      const left = Math.max(0, progress.target - progress.current);
      const types = rule.filter.types.join(' or ');
      switch (rule.type) {
        case 'count':
          missing.push(`${left} more ${types} event(s)`);
          break;
        case 'sum':
          missing.push(`${left} more of "${rule.field}" across ${types} events`);
          break;
        case 'distinct':
          missing.push(`${left} more distinct value(s) of "${rule.field}" in ${types} events`);
          break;
        case 'streak':
          missing.push(
            `a run of ${rule.target} consecutive ${rule.period}s (${rule.timeZone}) with a ${types} event; longest so far ${progress.current}`,
          );
          break;
        case 'window':
          missing.push(
            `${rule.target} ${types} events within ${rule.windowSeconds} s; best so far ${progress.current}`,
          );
          break;
      }
    }
  }
  for (const p of prerequisites) if (!p.unlocked) missing.push(`unlock the prerequisite ${p.achievementId}`);
  return {
    achievementId: entry.id,
    version: entry.version,
    unlocked: own !== undefined,
    unlockedAt: own ? own.unlocked_at.toISOString() : null,
    progress,
    prerequisites,
    missing: own ? [] : missing,
    events,
    truncated,
  };
}
