/**
 * The active catalogue as the engine uses it: every achievement's current definition, an index
 * from event type to the achievements it can affect, and for each achievement the ones that
 * depend on it (composites and prerequisites). Loaded from the database; `stamp` changes whenever
 * an achievement is saved, so workers reload only when needed.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { AchievementDefinition } from '../catalogue/definition.ts';
import { type EventRuleDefinition, eventTypesOf, isEventRule } from '../rules/index.ts';

export interface CatalogueEntry {
  id: string;
  version: number;
  def: AchievementDefinition;
  /** The rule when it is fed events (not composite). */
  eventRule: EventRuleDefinition | undefined;
  startsAtMs: number | undefined;
  endsAtMs: number | undefined;
}

export interface Catalogue {
  stamp: string;
  entries: ReadonlyMap<string, CatalogueEntry>;
  byEventType: ReadonlyMap<string, readonly CatalogueEntry[]>;
  /** Achievements to re-check when the key unlocks. */
  dependents: ReadonlyMap<string, readonly CatalogueEntry[]>;
  /** Every event type some rule listens to (bounded set: metric labels). */
  eventTypes: ReadonlySet<string>;
}

export async function catalogueStamp(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ stamp: string }>(
    `select count(*)::text || ':' || coalesce(max(updated_at)::text, '') || ':' || coalesce(sum(current_version), 0)::text as stamp
       from ach_achievements`,
  );
  return rows[0]?.stamp ?? '';
}

export async function loadCatalogue(q: Queryable): Promise<Catalogue> {
  const stamp = await catalogueStamp(q);
  const { rows } = await q.query<{ id: string; version: number; definition: AchievementDefinition }>(
    `select a.id, a.current_version as version, v.definition
       from ach_achievements a
       join ach_achievement_versions v on v.achievement_id = a.id and v.version = a.current_version`,
  );
  return buildCatalogue(stamp, rows);
}

export function buildCatalogue(
  stamp: string,
  rows: readonly { id: string; version: number; definition: AchievementDefinition }[],
): Catalogue {
  const entries = new Map<string, CatalogueEntry>();
  const byEventType = new Map<string, CatalogueEntry[]>();
  const dependents = new Map<string, CatalogueEntry[]>();
  const eventTypes = new Set<string>();
  for (const row of rows) {
    const def = row.definition;
    const entry: CatalogueEntry = {
      id: row.id,
      version: row.version,
      def,
      eventRule: isEventRule(def.rule) ? def.rule : undefined,
      startsAtMs: def.startsAt ? Date.parse(def.startsAt) : undefined,
      endsAtMs: def.endsAt ? Date.parse(def.endsAt) : undefined,
    };
    entries.set(row.id, entry);
    for (const type of eventTypesOf(def.rule)) {
      eventTypes.add(type);
      const list = byEventType.get(type) ?? [];
      list.push(entry);
      byEventType.set(type, list);
    }
  }
  for (const entry of entries.values()) {
    const refs = [
      ...entry.def.prerequisites,
      ...(entry.def.rule.type === 'composite' ? entry.def.rule.achievements : []),
    ];
    for (const ref of new Set(refs)) {
      const list = dependents.get(ref) ?? [];
      list.push(entry);
      dependents.set(ref, list);
    }
  }
  return { stamp, entries, byEventType, dependents, eventTypes };
}
