/**
 * Seed 7.1 访问控制, sampled from the database by every process:
 * - 定期轮换密钥: working API keys older than CB_APIKEY_MAX_AGE_DAYS (`cb_api_keys_rotation_due`,
 *   alert ApiKeyRotationDue);
 * - 定期审查和调整权限: working keys not used for CB_APIKEY_UNUSED_DAYS, or never used and older than
 *   that (`cb_api_keys_unused`, alert ApiKeyUnused; `cb apikey review` names them).
 * A key in a rotation's grace period is counted in neither: its successor exists and it stops
 * working soon.
 */
import type { Queryable } from '../db/create-db.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { sampleEvery } from '../sample-every.ts';

/** The two policies, in days; 0 turns a count off (its gauge reads 0). */
export interface ApiKeyAgeLimits {
  /** CB_APIKEY_MAX_AGE_DAYS. */
  maxAgeDays: number;
  /** CB_APIKEY_UNUSED_DAYS. */
  unusedDays: number;
}

/** What one sample counted (and set on the gauges). */
export interface ApiKeyAgeCounts {
  rotationDue: number;
  unused: number;
}

/** Counts the keys without a scheduled revocation that break either limit; sets both gauges. */
export async function sampleApiKeyAges(
  db: Queryable,
  metrics: Metrics,
  limits: ApiKeyAgeLimits,
): Promise<ApiKeyAgeCounts> {
  // One query for both; a limit of 0 counts nothing. A key's last use is never before its creation.
  const { rows } = await db.query<ApiKeyAgeCounts>(
    `with limits as (
       select now() - make_interval(days => $1) as born_before,
              now() - make_interval(days => $2) as idle_since
     )
     select count(*) filter (where $1 > 0 and created_at < born_before)::int as "rotationDue",
            count(*) filter (where $2 > 0 and coalesce(last_used_at, created_at) < idle_since)::int as unused
       from cb_api_keys, limits
      where revoked_at is null`,
    [limits.maxAgeDays, limits.unusedDays],
  );
  const counts = { rotationDue: rows[0]?.rotationDue ?? 0, unused: rows[0]?.unused ?? 0 };
  metrics.apiKeysRotationDue.set(counts.rotationDue);
  metrics.apiKeysUnused.set(counts.unused);
  return counts;
}

/** Samples every `intervalMs` (and once now); returns the stop function. */
export function startApiKeyAgeSampler(
  options: ApiKeyAgeLimits & {
    db: Queryable;
    metrics: Metrics;
    logger: Logger;
    intervalMs: number;
  },
): () => void {
  const limits = { maxAgeDays: options.maxAgeDays, unusedDays: options.unusedDays };
  return sampleEvery(options.intervalMs, () => sampleApiKeyAges(options.db, options.metrics, limits), {
    logger: options.logger,
    message: 'API key age sampling failed',
  });
}
