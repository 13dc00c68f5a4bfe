import type { Queryable } from '../../platform/db/create-db.ts';
import type { Progress, RuleState } from '../rules/index.ts';
import type { MemberState, NewUnlock, ProgressRow } from './evaluate.ts';

/** Loads the stored progress and unlocks of `users` (for `achievementIds`, or all when undefined). */
export async function loadMemberStates(
  q: Queryable,
  users: readonly string[],
  achievementIds?: readonly string[],
): Promise<Map<string, MemberState>> {
  const members = new Map<string, MemberState>();
  for (const u of users) members.set(u, { progress: new Map(), unlocked: new Set() });
  if (users.length === 0) return members;
  const progress = await q.query<{
    user_address: string;
    achievement_id: string;
    version: number;
    state: RuleState;
    current: string;
    target: string;
  }>(
    `select user_address, achievement_id, version, state, current::text, target::text
       from ach_progress
      where user_address = any($1::text[]) ${achievementIds ? 'and achievement_id = any($2::text[])' : ''}`,
    achievementIds ? [users, achievementIds] : [users],
  );
  for (const r of progress.rows) {
    const current = Number(r.current);
    const target = Number(r.target);
    const row: ProgressRow = {
      version: r.version,
      state: r.state,
      progress: { current, target, done: current >= target },
      dirty: false,
    };
    members.get(r.user_address)?.progress.set(r.achievement_id, row);
  }
  const unlocks = await q.query<{ user_address: string; achievement_id: string }>(
    'select user_address, achievement_id from ach_unlocks where user_address = any($1::text[])',
    [users],
  );
  for (const r of unlocks.rows) members.get(r.user_address)?.unlocked.add(r.achievement_id);
  return members;
}

/** Writes every dirty progress row; returns how many. */
export async function saveProgress(q: Queryable, members: ReadonlyMap<string, MemberState>): Promise<number> {
  const rows: {
    user_address: string;
    achievement_id: string;
    version: number;
    state: RuleState;
    current: number;
    target: number;
  }[] = [];
  for (const [user, member] of members) {
    for (const [achievementId, row] of member.progress) {
      if (!row.dirty) continue;
      rows.push({
        user_address: user,
        achievement_id: achievementId,
        version: row.version,
        state: row.state,
        current: progressNumber(row.progress.current),
        target: progressNumber(row.progress.target),
      });
    }
  }
  if (rows.length === 0) return 0;
  await q.query(
    `insert into ach_progress (user_address, achievement_id, version, state, current, target, updated_at)
     select user_address, achievement_id, version, state, current, target, now()
       from jsonb_to_recordset($1::jsonb) as x(user_address text, achievement_id text, version int, state jsonb, current numeric, target numeric)
     on conflict (user_address, achievement_id) do update
        set version = excluded.version, state = excluded.state, current = excluded.current,
            target = excluded.target, updated_at = excluded.updated_at`,
    [JSON.stringify(rows)],
  );
  return rows.length;
}

function progressNumber(n: Progress['current']): number {
  return Number.isFinite(n) ? n : 0;
}

/**
 * Records unlocks — each (member, achievement) once, by the primary key — and, in the same
 * transaction, one mint request per new unlock in the outbox. Returns the unlocks actually made.
 */
export async function saveUnlocks(
  q: Queryable,
  unlocks: readonly NewUnlock[],
  traceparent: string | null,
): Promise<NewUnlock[]> {
  if (unlocks.length === 0) return [];
  const inserted = await q.query<{ user_address: string; achievement_id: string }>(
    `insert into ach_unlocks (user_address, achievement_id, version, event_seq)
     select user_address, achievement_id, version, event_seq
       from jsonb_to_recordset($1::jsonb) as x(user_address text, achievement_id text, version int, event_seq bigint)
     on conflict (user_address, achievement_id) do nothing
     returning user_address, achievement_id`,
    [
      JSON.stringify(
        unlocks.map((u) => ({
          user_address: u.user,
          achievement_id: u.achievementId,
          version: u.version,
          event_seq: u.eventSeq ?? null,
        })),
      ),
    ],
  );
  if (inserted.rows.length === 0) return [];
  await q.query(
    `insert into ach_mint_outbox (user_address, achievement_id, traceparent)
     select user_address, achievement_id, $2 from jsonb_to_recordset($1::jsonb) as x(user_address text, achievement_id text)
     on conflict (user_address, achievement_id) do nothing`,
    [JSON.stringify(inserted.rows), traceparent],
  );
  const made = new Set(inserted.rows.map((r) => `${r.user_address}/${r.achievement_id}`));
  return unlocks.filter((u) => made.has(`${u.user}/${u.achievementId}`));
}
