/**
 * How a cached voting power is compared with a fresh computation: the accuracy check
 * (check-power-accuracy.ts) and the cache reconciliation (reconcile-power-cache.ts) both use it.
 */
import type { CacheDifference } from '../platform/cache/index.ts';
import type { PowerBreakdown } from './voting-power.ts';

/** The power as one canonical text (bigints as decimal strings): equal texts, equal powers. */
export const canonicalPower = (p: PowerBreakdown): string => json(p) ?? 'undefined';

const FIELDS = [
  'total',
  'own',
  'delegatedTo',
  'badges',
  'delegations',
  'address',
  'block',
  'weightSet',
] as const;

/**
 * The fields of `cached` that differ from `fresh`, each side as text (scaled amounts as integers);
 * empty when the two are the same. `cached` may be anything a tampered cache entry decodes to.
 */
export function powerDifferences(cached: PowerBreakdown, fresh: PowerBreakdown): CacheDifference[] {
  if (canonicalPower(cached) === canonicalPower(fresh)) return [];
  const fields = (cached ?? {}) as unknown as Record<string, unknown>;
  const out: CacheDifference[] = [];
  for (const field of FIELDS) {
    const a = text(typeof fields === 'object' ? fields[field] : undefined);
    const b = text(fresh[field]);
    if (a !== b) out.push({ field, cached: a, source: b });
  }
  // Same fields, yet not the same: something extra, or not an object at all.
  if (out.length === 0)
    out.push({ field: '(value)', cached: canonicalPower(cached), source: canonicalPower(fresh) });
  return out;
}

function json(v: unknown): string | undefined {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function text(v: unknown): string {
  if (v === undefined) return 'absent';
  if (typeof v === 'string' || typeof v === 'bigint') return v.toString();
  return json(v) ?? 'absent';
}
