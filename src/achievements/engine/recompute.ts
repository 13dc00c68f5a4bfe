/**
 * Progress recomputed from the event log alone, for one partition, while the caller holds that
 * partition's lock (so the set of processed events cannot change underneath). Used by retroactive
 * evaluation (a new or changed achievement) and by `cb reconcile progress`.
 *
 * Returns fresh progress for the achievements the member had not unlocked (once unlocked, the engine
 * stops feeding an achievement, so its stored progress is frozen at the unlock by design), and the
 * unlocks the events complete — not yet written: that is the caller's decision.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { Catalogue, CatalogueEntry } from './catalogue.ts';
import { type EvaluatedEvent, evaluateEvents, type MemberState, type NewUnlock } from './evaluate.ts';

export interface RecomputeScope {
  /** Only these members (else every member with events in the partition). */
  users?: readonly string[] | undefined;
  /** Only these achievements (else every event-fed one). */
  achievementIds?: ReadonlySet<string> | undefined;
  /** Rows per read. @defaultValue 10000 */
  chunkSize?: number | undefined;
}

/** Locks a partition for the rest of the transaction (waits for the processor's batch to end). */
export async function lockPartition(tx: Queryable, partition: number): Promise<void> {
  await tx.query('select id from ach_partitions where id = $1 for update', [partition]);
}

export async function recomputePartition(
  tx: Queryable,
  catalogue: Catalogue,
  partition: number,
  scope: RecomputeScope = {},
): Promise<{ members: Map<string, MemberState>; unlocks: NewUnlock[] }> {
  const entries = [...catalogue.entries.values()].filter(
    (e) => e.eventRule && (!scope.achievementIds || scope.achievementIds.has(e.id)),
  );
  const scoped: Catalogue = {
    ...catalogue,
    byEventType: indexByType(catalogue, entries),
    dependents: new Map(),
  };
  const types = [...scoped.byEventType.keys()];
  const members = new Map<string, MemberState>();
  const unlocks: NewUnlock[] = [];

  // Unlocks are permanent facts: keep them, so unlocked achievements are skipped as live.
  const unlockRows = await tx.query<{ user_address: string; achievement_id: string }>(
    `select u.user_address, u.achievement_id from ach_unlocks u
      where exists (select 1 from ach_events e where e.partition = $1 and e.user_address = u.user_address)
        ${scope.users ? 'and u.user_address = any($2::text[])' : ''}`,
    scope.users ? [partition, scope.users] : [partition],
  );
  for (const r of unlockRows.rows) memberOf(members, r.user_address).unlocked.add(r.achievement_id);
  for (const u of scope.users ?? []) memberOf(members, u);
  if (types.length === 0) return { members, unlocks };

  const chunk = scope.chunkSize ?? 10_000;
  let after = '0';
  for (;;) {
    const params: unknown[] = [partition, types, after, chunk];
    if (scope.users) params.push(scope.users);
    const { rows } = await tx.query<{
      seq: string;
      type: string;
      source: string;
      user_address: string;
      occurred_at: Date;
      data: Record<string, unknown>;
    }>(
      `select seq::text as seq, type, source, user_address, occurred_at, data from ach_events
        where partition = $1 and status = 'processed' and type = any($2::text[]) and seq > $3::bigint
          ${scope.users ? 'and user_address = any($5::text[])' : ''}
        order by ach_events.seq limit $4`,
      params,
    );
    if (rows.length === 0) break;
    const events: EvaluatedEvent[] = rows.map((r) => ({
      seq: r.seq,
      user: r.user_address,
      type: r.type,
      source: r.source,
      occurredAtMs: r.occurred_at.getTime(),
      data: r.data,
    }));
    for (const e of events) memberOf(members, e.user);
    // Exactly as live processing: an achievement completed here stops being fed, like it would.
    unlocks.push(...evaluateEvents(scoped, members, events));
    after = rows[rows.length - 1]!.seq;
    if (rows.length < chunk) break;
  }
  return { members, unlocks };
}

function memberOf(members: Map<string, MemberState>, user: string): MemberState {
  let m = members.get(user);
  if (!m) {
    m = { progress: new Map(), unlocked: new Set() };
    members.set(user, m);
  }
  return m;
}

function indexByType(
  catalogue: Catalogue,
  entries: readonly CatalogueEntry[],
): Map<string, CatalogueEntry[]> {
  const ids = new Set(entries.map((e) => e.id));
  const out = new Map<string, CatalogueEntry[]>();
  for (const [type, list] of catalogue.byEventType) {
    const kept = list.filter((e) => ids.has(e.id));
    if (kept.length > 0) out.set(type, kept);
  }
  return out;
}
