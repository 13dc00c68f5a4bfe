/**
 * An achievement definition and its validation. Saving validates everything at once and answers
 * with the path of each bad field (`rule.filter.conditions.0.op`), so an admin fixes all problems
 * in one round.
 */

import { compositeCycles, validateRule } from '../rules/index.ts';
import type { RuleDefinition, RuleIssue } from '../rules/types.ts';

export const TIERS = ['bronze', 'silver', 'gold'] as const;
export type Tier = (typeof TIERS)[number];

export interface AchievementDefinition {
  /** Slug: 1-64 of a-z 0-9 _ - . */
  id: string;
  name: string;
  description: string;
  /** Bounded set in practice; a metric label. 1-40 of a-z 0-9 _ -. */
  category: string;
  /** Tiers of one series (bronze/silver/gold of "commits"): both or neither. */
  series?: string | undefined;
  tier?: Tier | undefined;
  /** Voting weight of the badge in governance; ≥ 0, default 1. */
  weight: number;
  /** Hidden achievements are shown to a member only once unlocked. */
  hidden: boolean;
  /** Events that occurred outside [startsAt, endsAt) do not count. ISO 8601. */
  startsAt?: string | undefined;
  endsAt?: string | undefined;
  /** Achievements that must be unlocked first. */
  prerequisites: string[];
  rule: RuleDefinition;
}

const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const CATEGORY = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const FIELDS = new Set([
  'id',
  'name',
  'description',
  'category',
  'series',
  'tier',
  'weight',
  'hidden',
  'startsAt',
  'endsAt',
  'prerequisites',
  'rule',
]);

/**
 * Checks one definition on its own (shape and values); `known` tells which achievement ids exist
 * (for prerequisites and composite references). Returns the normalised definition or the issues.
 */
export function validateDefinition(
  input: unknown,
  known: (id: string) => boolean,
  pathPrefix = '',
): { ok: true; definition: AchievementDefinition } | { ok: false; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const at = (p: string) => (pathPrefix ? `${pathPrefix}.${p}` : p);
  const add = (p: string, message: string) => issues.push({ path: at(p), message });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, issues: [{ path: pathPrefix || '(root)', message: 'must be an object' }] };
  }
  const d = input as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!FIELDS.has(k)) add(k, 'unknown field');

  if (typeof d.id !== 'string' || !ID.test(d.id))
    add('id', 'required: 1-64 of a-z 0-9 _ . - starting with a letter or digit');
  if (typeof d.name !== 'string' || d.name.trim().length === 0 || d.name.length > 100)
    add('name', 'required: 1-100 characters');
  if (d.description !== undefined && (typeof d.description !== 'string' || d.description.length > 2000))
    add('description', 'at most 2000 characters');
  if (typeof d.category !== 'string' || !CATEGORY.test(d.category))
    add('category', 'required: 1-40 of a-z 0-9 _ -');
  if (d.series !== undefined && (typeof d.series !== 'string' || !ID.test(d.series)))
    add('series', '1-64 of a-z 0-9 _ . -');
  if (d.tier !== undefined && !TIERS.includes(d.tier as Tier)) add('tier', `one of ${TIERS.join(', ')}`);
  if ((d.series === undefined) !== (d.tier === undefined))
    add(d.series === undefined ? 'series' : 'tier', 'series and tier go together');
  if (
    d.weight !== undefined &&
    (typeof d.weight !== 'number' || !Number.isFinite(d.weight) || d.weight < 0 || d.weight > 1e9)
  )
    add('weight', 'a number from 0 to 1e9');
  if (d.hidden !== undefined && typeof d.hidden !== 'boolean') add('hidden', 'true or false');
  for (const k of ['startsAt', 'endsAt'] as const) {
    if (d[k] !== undefined && (typeof d[k] !== 'string' || Number.isNaN(Date.parse(d[k] as string))))
      add(k, 'an ISO 8601 date-time');
  }
  if (
    typeof d.startsAt === 'string' &&
    typeof d.endsAt === 'string' &&
    Date.parse(d.startsAt) >= Date.parse(d.endsAt)
  )
    add('endsAt', 'must be after startsAt');
  if (d.prerequisites !== undefined) {
    if (!Array.isArray(d.prerequisites)) add('prerequisites', 'a list of achievement ids');
    else
      d.prerequisites.forEach((p, i) => {
        if (typeof p !== 'string' || !known(p))
          add(`prerequisites.${i}`, `unknown achievement ${JSON.stringify(p)}`);
        else if (p === d.id) add(`prerequisites.${i}`, 'an achievement cannot require itself');
      });
  }
  if (d.rule === undefined) add('rule', 'required');
  else {
    issues.push(...validateRule(d.rule, at('rule')));
    const rule = d.rule as { type?: unknown; achievements?: unknown };
    if (rule.type === 'composite' && Array.isArray(rule.achievements)) {
      rule.achievements.forEach((a, i) => {
        if (typeof a === 'string' && !known(a))
          add(`rule.achievements.${i}`, `unknown achievement ${JSON.stringify(a)}`);
        if (a === d.id) add(`rule.achievements.${i}`, 'a composite cannot include itself');
      });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    definition: {
      id: d.id as string,
      name: (d.name as string).trim(),
      description: (d.description as string | undefined) ?? '',
      category: d.category as string,
      series: d.series as string | undefined,
      tier: d.tier as Tier | undefined,
      weight: (d.weight as number | undefined) ?? 1,
      hidden: (d.hidden as boolean | undefined) ?? false,
      startsAt: d.startsAt === undefined ? undefined : new Date(d.startsAt as string).toISOString(),
      endsAt: d.endsAt === undefined ? undefined : new Date(d.endsAt as string).toISOString(),
      prerequisites: (d.prerequisites as string[] | undefined) ?? [],
      rule: d.rule as RuleDefinition,
    },
  };
}

/**
 * Checks a whole catalogue (the stored one with changes applied): composite and prerequisite
 * references that form a cycle, and two achievements of one series with the same tier.
 */
export function validateCatalogue(defs: ReadonlyMap<string, AchievementDefinition>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const graph = new Map<string, RuleDefinition>();
  for (const [id, d] of defs) {
    // Prerequisites are dependencies too: model them as an ALL composite for cycle detection.
    const refs = [...d.prerequisites, ...(d.rule.type === 'composite' ? d.rule.achievements : [])];
    graph.set(id, { type: 'composite', mode: 'all', achievements: refs.length > 0 ? refs : [] });
  }
  for (const cycle of compositeCycles(graph)) {
    issues.push({
      path: `${cycle[0]}.rule`,
      message: `achievements depend on each other in a cycle: ${cycle.join(' → ')}`,
    });
  }
  const tiers = new Map<string, string>();
  for (const [id, d] of defs) {
    if (!d.series || !d.tier) continue;
    const key = `${d.series}/${d.tier}`;
    const other = tiers.get(key);
    if (other && other !== id)
      issues.push({
        path: `${id}.tier`,
        message: `series ${d.series} already has a ${d.tier} tier (${other})`,
      });
    tiers.set(key, id);
  }
  return issues;
}
