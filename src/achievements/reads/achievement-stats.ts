import type { Queryable } from '../../platform/db/create-db.ts';

/** A member is active when they sent an event within this window (the "share of active members"). */
export const ACTIVE_WINDOW_DAYS = 30;
/** Near completion: at least this share of the target, not unlocked (seed 2.2 接近完成的用户数). */
export const NEAR_COMPLETION_RATIO = 0.8;

export interface AchievementStats {
  unlockCount: number;
  activeMembers: number;
  /** unlocks among active members / active members; 0 when there are none. */
  activeShare: number;
  nearCompletion: number;
}

export async function achievementStats(q: Queryable, achievementId: string): Promise<AchievementStats> {
  const { rows } = await q.query<{ unlocks: number; active: number; active_unlocked: number; near: number }>(
    `with active as (
       select distinct user_address from ach_events where received_at > now() - make_interval(days => $2)
     )
     select (select count(*)::int from ach_unlocks where achievement_id = $1) as unlocks,
            (select count(*)::int from active) as active,
            (select count(*)::int from ach_unlocks u join active a using (user_address) where u.achievement_id = $1) as active_unlocked,
            (select count(*)::int from ach_progress p
              where p.achievement_id = $1 and p.current >= p.target * $3 and p.current < p.target
                and not exists (select 1 from ach_unlocks u where u.user_address = p.user_address and u.achievement_id = p.achievement_id)) as near`,
    [achievementId, ACTIVE_WINDOW_DAYS, NEAR_COMPLETION_RATIO],
  );
  const r = rows[0]!;
  return {
    unlockCount: r.unlocks,
    activeMembers: r.active,
    activeShare: r.active > 0 ? Math.round((r.active_unlocked / r.active) * 10_000) / 10_000 : 0,
    nearCompletion: r.near,
  };
}

/** Members near completion per achievement, for the `cb_users_near_completion` gauge. */
export async function nearCompletionCounts(q: Queryable): Promise<Map<string, number>> {
  const { rows } = await q.query<{ achievement_id: string; n: number }>(
    `select a.id as achievement_id, count(p.user_address)::int as n
       from ach_achievements a
       left join ach_progress p on p.achievement_id = a.id and p.version = a.current_version
            and p.current >= p.target * $1 and p.current < p.target
            and not exists (select 1 from ach_unlocks u where u.user_address = p.user_address and u.achievement_id = p.achievement_id)
      group by a.id`,
    [NEAR_COMPLETION_RATIO],
  );
  return new Map(rows.map((r) => [r.achievement_id, r.n]));
}
