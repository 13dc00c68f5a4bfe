/**
 * Retroactive evaluation: when an achievement is created or its rule changes, its progress is
 * recomputed from the stored event history, partition by partition (each under its lock, so live
 * processing of that partition pauses for the moment and nothing is applied twice), and members who
 * already qualify unlock it. Progress is logged per partition and counted in
 * `cb_retroactive_runs_total`.
 */
import type { Db } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { outgoingTraceparent } from '../../platform/trace.ts';
import { PARTITIONS } from '../partition.ts';
import { loadCatalogue } from './catalogue.ts';
import { countUnlocks } from './count-unlocks.ts';
import type { NewUnlock } from './evaluate.ts';
import { saveProgress } from './member-states.ts';
import { lockPartition, recomputePartition } from './recompute.ts';
import { settlePartition } from './settle.ts';

export interface RetroactiveResult {
  achievementId: string;
  members: number;
  unlocks: number;
  durationMs: number;
}

export async function runRetroactive(
  deps: { db: Db; metrics: Metrics; logger: Logger },
  achievementId: string,
): Promise<RetroactiveResult> {
  const t0 = performance.now();
  let members = 0;
  const made: NewUnlock[] = [];
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const settled = await deps.db.transaction(async (tx) => {
        await lockPartition(tx, partition);
        const catalogue = await loadCatalogue(tx);
        const entry = catalogue.entries.get(achievementId);
        if (!entry) return undefined;
        if (entry.eventRule) {
          const fresh = await recomputePartition(tx, catalogue, partition, {
            achievementIds: new Set([achievementId]),
          });
          // Progress of an older version means nothing now (members without matching events keep none).
          await tx.query('delete from ach_progress where achievement_id = $1 and version <> $2', [
            achievementId,
            entry.version,
          ]);
          members += await saveProgress(tx, fresh.members);
        }
        const unlocks = await settlePartition(tx, catalogue, partition, outgoingTraceparent() ?? null);
        made.push(...unlocks);
        return { catalogue, unlocks };
      });
      // Counted once committed.
      if (settled) countUnlocks(deps.metrics, settled.catalogue, settled.unlocks, 'ok');
      deps.logger.info('retroactive evaluation progress', {
        context: { achievementId },
        metrics: { partition: partition + 1, partitions: PARTITIONS, members, unlocks: made.length },
      });
    }
  } catch (err) {
    deps.metrics.retroactiveRuns.inc({ result: 'failed' });
    throw err;
  }
  deps.metrics.retroactiveRuns.inc({ result: 'ok' });
  for (const u of made) {
    deps.logger.info('Achievement unlocked successfully', {
      userId: u.user,
      context: { achievementId: u.achievementId, retroactive: true },
    });
  }
  const durationMs = Math.round(performance.now() - t0);
  deps.logger.info('retroactive evaluation done', {
    context: { achievementId },
    metrics: { members, unlocks: made.length, durationMs },
  });
  return { achievementId, members, unlocks: made.length, durationMs };
}
