/**
 * `cb_achievement_unlocks_total` for unlocks that were committed, by their achievement's category:
 * live processing, retroactive evaluation and a progress reconciliation's --fix all unlock, and all
 * count (the P1 UnlockSuccessRateLow reads the ok/failed ratio of every path).
 */
import type { Metrics } from '../../platform/metrics.ts';
import type { Catalogue } from './catalogue.ts';
import type { NewUnlock } from './evaluate.ts';

export function countUnlocks(
  metrics: Metrics,
  catalogue: Catalogue | undefined,
  unlocks: readonly Pick<NewUnlock, 'achievementId'>[],
  result: 'ok' | 'failed',
): void {
  for (const u of unlocks)
    metrics.achievementUnlocks.inc({
      category: catalogue?.entries.get(u.achievementId)?.def.category ?? 'other',
      result,
    });
}
