/**
 * Dead-lettered mint requests sent again: back to `pending` with fresh attempts, no transaction, so
 * the minter takes them on its next tick — once their cause is fixed (funds, the minter's role, fees,
 * a pause lifted). One place for the console's "Retry all" (`POST /v1/ops/mints/failed/retry`) and
 * `cb chain retry-failed-mints`: only those that failed at or before `failedBefore` (default now),
 * so what failed after the operator looked stays put.
 */
import type { Queryable } from '../../platform/db/create-db.ts';

/** A failed request made new: pending, no error, fresh attempts, no transaction. */
export const BACK_TO_PENDING = `status = 'pending', error = null, attempts = 0, tx_hash = null, nonce = null,
  token_id = null, block_number = null, updated_at = now()`;

/** Failed up to `failedBefore` (milliseconds, as the console shows them), else up to now. */
const FAILED_BY = `status = 'failed' and date_trunc('milliseconds', updated_at) <= coalesce($1::timestamptz, now())`;

/** Sends the failed requests again; returns how many. */
export async function retryFailedMints(
  db: Queryable,
  options: { failedBefore?: string | undefined } = {},
): Promise<number> {
  const result = await db.query(`update ach_mint_outbox set ${BACK_TO_PENDING} where ${FAILED_BY}`, [
    options.failedBefore ?? null,
  ]);
  return result.rowCount ?? 0;
}

/** What a retry would take, grouped by the reason each failed with (most common first). */
export async function failedMintReasons(
  db: Queryable,
  options: { failedBefore?: string | undefined } = {},
): Promise<{ reason: string; count: number; lastFailedAt: string }[]> {
  const { rows } = await db.query<{ reason: string; count: number; last: Date }>(
    `select coalesce(error, '(no reason recorded)') as reason, count(*)::int as count, max(updated_at) as last
       from ach_mint_outbox where ${FAILED_BY}
      group by 1 order by 2 desc, 3 desc limit 50`,
    [options.failedBefore ?? null],
  );
  return rows.map((r) => ({ reason: r.reason, count: r.count, lastFailedAt: r.last.toISOString() }));
}
