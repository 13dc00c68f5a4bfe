/**
 * Seed 7.1 定期轮换密钥: how many working API keys are older than CB_APIKEY_MAX_AGE_DAYS, sampled
 * from the database by every process (`cb_api_keys_rotation_due`, alert ApiKeyRotationDue). A key
 * in a rotation's grace period is not counted: its successor exists and it stops working soon.
 */
import type { Queryable } from '../db/create-db.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { sampleEvery } from '../sample-every.ts';

/** Keys without a scheduled revocation created more than `maxAgeDays` ago (0: none counted). */
export async function sampleApiKeyAges(db: Queryable, metrics: Metrics, maxAgeDays: number): Promise<number> {
  if (maxAgeDays <= 0) {
    metrics.apiKeysRotationDue.set(0);
    return 0;
  }
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from cb_api_keys
      where revoked_at is null and created_at < now() - make_interval(days => $1)`,
    [maxAgeDays],
  );
  const n = rows[0]?.n ?? 0;
  metrics.apiKeysRotationDue.set(n);
  return n;
}

/** Samples every `intervalMs` (and once now); returns the stop function. */
export function startApiKeyAgeSampler(options: {
  db: Queryable;
  metrics: Metrics;
  logger: Logger;
  maxAgeDays: number;
  intervalMs: number;
}): () => void {
  return sampleEvery(
    options.intervalMs,
    () => sampleApiKeyAges(options.db, options.metrics, options.maxAgeDays),
    {
      logger: options.logger,
      message: 'API key age sampling failed',
    },
  );
}
