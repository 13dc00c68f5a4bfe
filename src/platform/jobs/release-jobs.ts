/**
 * Puts jobs whose handlers were still running when the grace period ran out back into their
 * queue, due now, without spending a retry: a shutdown is not the job's fault. Clearing
 * `started_on` is what keeps pg-boss's next fetch from counting the attempt.
 *
 * A process that dies without stopping leaves its jobs active; pg-boss's maintenance (in any
 * instance) fails them once `expireInSeconds` has passed, which retries them (spending a retry).
 */
import type { Db } from '../db/create-db.ts';

/** Returns how many jobs went back (those still active). */
export async function releaseJobs(
  db: Db,
  schema: string,
  queue: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const { rows } = await db.query(
    `update ${schema}.job
     set state = case when retry_count > 0 then 'retry' else 'created' end::${schema}.job_state,
         started_on = null,
         start_after = now()
     where name = $1 and id = any($2::uuid[]) and state = 'active'
     returning id`,
    [queue, ids],
  );
  return rows.length;
}
