/**
 * Consistency of progress (seed 5.2): recompute members' progress from the event log — the source
 * of truth — and compare it with the stored rows; with `fix`, write the recomputed rows and unlock
 * what turns out complete. Runs partition by partition under the partition's lock, so the
 * comparison never races the processor. `cb reconcile progress` and the scheduled check use it.
 */
import type { Db } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { outgoingTraceparent } from '../../platform/trace.ts';
import { partitionOf } from '../partition.ts';
import { loadCatalogue } from './catalogue.ts';
import { countUnlocks } from './count-unlocks.ts';
import { loadMemberStates } from './member-states.ts';
import { lockPartition, recomputePartition } from './recompute.ts';
import { settlePartition } from './settle.ts';

export interface ProgressMismatch {
  user: string;
  achievementId: string;
  stored: { current: number; version: number } | null;
  expected: { current: number; version: number } | null;
}

export interface ReconcileProgressReport {
  membersChecked: number;
  mismatches: ProgressMismatch[];
  /** Unlocks written by `fix` (complete but not unlocked). */
  unlocksAdded: number;
  fixed: boolean;
}

export interface ReconcileProgressOptions {
  /** One member (address, lower-case). */
  user?: string | undefined;
  /** A random sample of this many members with progress (all when neither is given). */
  sample?: number | undefined;
  fix?: boolean | undefined;
}

const stateKey = (v: unknown) => JSON.stringify(v);

export async function reconcileProgress(
  deps: { db: Db; metrics: Metrics; logger: Logger },
  options: ReconcileProgressOptions,
): Promise<ReconcileProgressReport> {
  const { db } = deps;
  let users: string[];
  if (options.user) users = [options.user];
  else {
    const { rows } = await db.query<{ user_address: string }>(
      options.sample
        ? 'select user_address from (select distinct user_address from ach_progress) x order by random() limit $1'
        : 'select distinct user_address from ach_progress',
      options.sample ? [options.sample] : [],
    );
    users = rows.map((r) => r.user_address);
  }
  const byPartition = new Map<number, string[]>();
  for (const u of users) {
    const p = partitionOf(u);
    byPartition.set(p, [...(byPartition.get(p) ?? []), u]);
  }

  const mismatches: ProgressMismatch[] = [];
  let unlocksAdded = 0;
  for (const [partition, members] of byPartition) {
    const settled = await db.transaction(async (tx) => {
      await lockPartition(tx, partition);
      const catalogue = await loadCatalogue(tx);
      const fresh = await recomputePartition(tx, catalogue, partition, { users: members });
      const stored = await loadMemberStates(tx, members);
      const found: ProgressMismatch[] = [];
      for (const user of members) {
        const f = fresh.members.get(user);
        const s = stored.get(user)!;
        for (const entry of catalogue.entries.values()) {
          if (!entry.eventRule || s.unlocked.has(entry.id)) continue;
          const want = f?.progress.get(entry.id);
          const have = s.progress.get(entry.id);
          const haveCurrent = have && have.version === entry.version ? have.progress.current : 0;
          const wantCurrent = want?.progress.current ?? 0;
          const sameState =
            (want === undefined && (have === undefined || haveCurrent === 0)) ||
            (want !== undefined &&
              have !== undefined &&
              have.version === want.version &&
              stateKey(have.state) === stateKey(want.state));
          if (sameState && haveCurrent === wantCurrent) continue;
          found.push({
            user,
            achievementId: entry.id,
            stored: have ? { current: have.progress.current, version: have.version } : null,
            expected: want ? { current: wantCurrent, version: want.version } : null,
          });
        }
      }
      mismatches.push(...found);
      if (options.fix && found.length > 0) {
        for (const m of found) {
          const want = fresh.members.get(m.user)?.progress.get(m.achievementId);
          if (want) {
            await tx.query(
              `insert into ach_progress (user_address, achievement_id, version, state, current, target, updated_at)
               values ($1, $2, $3, $4::jsonb, $5, $6, now())
               on conflict (user_address, achievement_id) do update
                  set version = excluded.version, state = excluded.state, current = excluded.current, target = excluded.target, updated_at = now()`,
              [
                m.user,
                m.achievementId,
                want.version,
                JSON.stringify(want.state),
                want.progress.current,
                want.progress.target,
              ],
            );
          } else {
            await tx.query('delete from ach_progress where user_address = $1 and achievement_id = $2', [
              m.user,
              m.achievementId,
            ]);
          }
        }
      }
      if (options.fix) {
        const unlocks = await settlePartition(tx, catalogue, partition, outgoingTraceparent() ?? null);
        unlocksAdded += unlocks.length;
        return { catalogue, unlocks };
      }
      return undefined;
    });
    // Counted once committed.
    if (settled) countUnlocks(deps.metrics, settled.catalogue, settled.unlocks, 'ok');
  }
  if (!options.user) deps.metrics.progressInconsistencies.set(options.fix ? 0 : mismatches.length);
  if (mismatches.length > 0) {
    deps.logger.warn('progress inconsistencies found', {
      context: { sample: mismatches.slice(0, 10), fixed: options.fix === true },
      metrics: { mismatches: mismatches.length, membersChecked: users.length },
    });
  }
  return { membersChecked: users.length, mismatches, unlocksAdded, fixed: options.fix === true };
}
