/**
 * Saving achievements: validates the definitions against the whole catalogue (references,
 * cycles, series tiers), then writes — in one transaction — a new version for each definition that
 * changed. Saving an identical definition is a no-op, so importing the same catalogue twice
 * changes nothing. Returns which achievements changed their rule (those need a retroactive run).
 */
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import { ConflictError, RuleViolationError } from '../../platform/errors.ts';
import type { RuleIssue } from '../rules/index.ts';
import { type AchievementDefinition, validateCatalogue, validateDefinition } from './definition.ts';

export interface SavedAchievement {
  id: string;
  version: number;
  /** `created` (new id), `updated` (new version) or `unchanged`. */
  outcome: 'created' | 'updated' | 'unchanged';
  /** The rule (or window, prerequisites) changed: who qualifies may have changed. */
  needsRetroactive: boolean;
}

export class DefinitionInvalidError extends RuleViolationError {
  override name = 'DefinitionInvalidError';
  constructor(issues: RuleIssue[]) {
    super(
      'ACH_DEFINITION_INVALID',
      `achievement definition invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      {
        details: { issues },
      },
    );
  }
}

export async function loadDefinitions(
  q: Queryable,
): Promise<Map<string, { version: number; def: AchievementDefinition }>> {
  const { rows } = await q.query<{ id: string; version: number; definition: AchievementDefinition }>(
    `select a.id, a.current_version as version, v.definition
       from ach_achievements a join ach_achievement_versions v on v.achievement_id = a.id and v.version = a.current_version`,
  );
  return new Map(rows.map((r) => [r.id, { version: r.version, def: r.definition }]));
}

/** Canonical JSON (sorted keys, undefined dropped) for comparing definitions. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

const evaluationOf = (d: AchievementDefinition) =>
  canonical({ rule: d.rule, startsAt: d.startsAt, endsAt: d.endsAt, prerequisites: d.prerequisites });

/**
 * Validates and saves `inputs` (untrusted). `mode: 'create'` refuses an existing id (409),
 * `'update'` refuses a missing one (404 is the caller's), `'upsert'` takes either.
 */
export async function saveAchievements(
  db: Db,
  inputs: readonly unknown[],
  options: { actor: string; mode: 'create' | 'update' | 'upsert'; pathPrefix?: (index: number) => string },
): Promise<SavedAchievement[]> {
  return db.transaction(async (tx) => {
    // One catalogue writer at a time: versions and cross-references stay consistent.
    await tx.query('lock table ach_achievements in share row exclusive mode');
    const stored = await loadDefinitions(tx);
    const incomingIds = new Set(
      inputs.map((i) => (i as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string'),
    );
    const known = (id: string) => stored.has(id) || incomingIds.has(id);
    const issues: RuleIssue[] = [];
    const defs: AchievementDefinition[] = [];
    inputs.forEach((input, index) => {
      const prefix = options.pathPrefix?.(index) ?? '';
      const check = validateDefinition(input, known, prefix);
      if (!check.ok) issues.push(...check.issues);
      else defs.push(check.definition);
    });
    const seen = new Set<string>();
    defs.forEach((d, i) => {
      if (seen.has(d.id))
        issues.push({
          path: `${options.pathPrefix?.(i) ?? ''}id`.replace(/^\./, ''),
          message: `achievement ${d.id} appears twice`,
        });
      seen.add(d.id);
    });
    if (issues.length > 0) throw new DefinitionInvalidError(issues);
    if (options.mode === 'create') {
      const existing = defs.find((d) => stored.has(d.id));
      if (existing)
        throw new ConflictError(
          'ACH_ACHIEVEMENT_EXISTS',
          `achievement ${existing.id} already exists; use PUT to change it`,
        );
    }
    const merged = new Map([...stored].map(([id, s]) => [id, s.def]));
    for (const d of defs) merged.set(d.id, d);
    const catalogueIssues = validateCatalogue(merged);
    if (catalogueIssues.length > 0) throw new DefinitionInvalidError(catalogueIssues);

    const saved: SavedAchievement[] = [];
    for (const d of defs) {
      const previous = stored.get(d.id);
      if (previous && canonical(previous.def) === canonical(d)) {
        saved.push({ id: d.id, version: previous.version, outcome: 'unchanged', needsRetroactive: false });
        continue;
      }
      const version = (previous?.version ?? 0) + 1;
      if (previous) {
        await tx.query('update ach_achievements set current_version = $2, updated_at = now() where id = $1', [
          d.id,
          version,
        ]);
      } else {
        await tx.query('insert into ach_achievements (id, current_version) values ($1, $2)', [d.id, version]);
      }
      await tx.query(
        'insert into ach_achievement_versions (achievement_id, version, definition, created_by) values ($1, $2, $3::jsonb, $4)',
        [d.id, version, canonical(d), options.actor],
      );
      saved.push({
        id: d.id,
        version,
        outcome: previous ? 'updated' : 'created',
        needsRetroactive: !previous || evaluationOf(previous.def) !== evaluationOf(d),
      });
    }
    return saved;
  });
}
