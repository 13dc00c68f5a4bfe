/**
 * Unlocks whatever is complete but not yet unlocked for the members of one partition: progress
 * that is done (e.g. after a retroactive run), composites whose parts are unlocked, achievements
 * whose prerequisites arrived later. Call it with the partition locked.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { partitionOf } from '../partition.ts';
import type { Catalogue } from './catalogue.ts';
import { cascadeUnlocks, type NewUnlock } from './evaluate.ts';
import { loadMemberStates, saveUnlocks } from './member-states.ts';

export async function settlePartition(
  tx: Queryable,
  catalogue: Catalogue,
  partition: number,
  traceparent: string | null,
): Promise<NewUnlock[]> {
  const hasComposites = [...catalogue.entries.values()].some((e) => e.def.rule.type === 'composite');
  const { rows } = await tx.query<{ user_address: string }>(
    `select distinct p.user_address from ach_progress p
      where p.current >= p.target
        and not exists (select 1 from ach_unlocks u where u.user_address = p.user_address and u.achievement_id = p.achievement_id)
     ${hasComposites ? 'union select distinct user_address from ach_unlocks' : ''}`,
  );
  const users = rows.map((r) => r.user_address).filter((u) => partitionOf(u) === partition);
  if (users.length === 0) return [];
  const members = await loadMemberStates(tx, users);
  const unlocks: NewUnlock[] = [];
  const all = [...catalogue.entries.values()];
  for (const [user, member] of members) cascadeUnlocks(catalogue, user, member, all, undefined, unlocks);
  return saveUnlocks(tx, unlocks, traceparent);
}
