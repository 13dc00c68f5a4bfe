/**
 * One batch of the event processor, in one transaction:
 *
 * 1. take a partition with received events, holding its row lock (`FOR UPDATE SKIP LOCKED`: other
 *    workers take other partitions; a crash releases the lock with the transaction);
 * 2. read up to `maxEvents` of its received events in arrival order;
 * 3. load the progress and unlocks of the batch's members in one query each, evaluate only the
 *    achievements the events' types can affect;
 * 4. write progress, unlocks (+ mint outbox) and the events' processed mark, then commit.
 *
 * A crash anywhere before COMMIT leaves nothing behind and the events still `received`; after it,
 * everything is written and the events are `processed`. Reprocessing is impossible (the mark is in
 * the same transaction), and an unlock is unique by primary key, so nothing doubles.
 */

import type { Db, Queryable } from '../../platform/db/create-db.ts';
import { describeError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { Catalogue } from './catalogue.ts';
import { countUnlocks } from './count-unlocks.ts';
import { type EvaluatedEvent, evaluateEvents, type MemberState, type NewUnlock } from './evaluate.ts';
import { loadMemberStates, saveProgress, saveUnlocks } from './member-states.ts';

export interface ProcessBatchDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** The catalogue to use (reloaded by the caller when its stamp changed). */
  catalogue(q: Queryable): Promise<Catalogue>;
  /** Test hook: called after the writes, before COMMIT (a throw there simulates a crash). */
  beforeCommit?: ((info: { partition: number; events: number }) => Promise<void> | void) | undefined;
}

export interface BatchResult {
  partition: number | undefined;
  events: number;
  failed: number;
  progressRows: number;
  unlocks: NewUnlock[];
}

interface EventRow {
  seq: string;
  type: string;
  source: string;
  user_address: string;
  occurred_at: Date;
  received_at: Date;
  data: Record<string, unknown>;
  traceparent: string | null;
}

export async function processBatch(deps: ProcessBatchDeps, maxEvents = 1000): Promise<BatchResult> {
  const t0 = performance.now();
  // The unlocks the batch evaluated, for cb_achievement_unlocks_total{result="failed"} when its
  // transaction then fails: they were not written (the batch is retried, and counts them as ok then).
  let evaluated: { unlocks: NewUnlock[]; catalogue: Catalogue } | undefined;
  const result = await deps.db
    .transaction(async (tx): Promise<BatchResult & { delays: number[]; catalogue?: Catalogue }> => {
      const part = await tx.query<{ id: number }>(
        `select p.id from ach_partitions p
        where exists (select 1 from ach_events e where e.partition = p.id and e.status = 'received')
        order by p.last_processed_at nulls first
        for update skip locked limit 1`,
      );
      const partition = part.rows[0]?.id;
      if (partition === undefined)
        return { partition, events: 0, failed: 0, progressRows: 0, unlocks: [], delays: [] };

      const { rows } = await tx.query<EventRow>(
        `select seq::text as seq, type, source, user_address, occurred_at, received_at, data, traceparent
         from ach_events where partition = $1 and status = 'received'
        order by ach_events.seq limit $2`,
        [partition, maxEvents],
      );
      const catalogue = await deps.catalogue(tx);
      const relevant = rows.filter((r) => catalogue.byEventType.has(r.type));
      const users = [...new Set(relevant.map((r) => r.user_address))];
      const members = await loadMemberStates(tx, users);

      // Evaluate member by member so one bad event fails alone: its member's changes are dropped,
      // the event is marked failed with the error, and the rest of the batch goes on.
      const byUser = new Map<string, EventRow[]>();
      for (const r of relevant) {
        const list = byUser.get(r.user_address) ?? [];
        list.push(r);
        byUser.set(r.user_address, list);
      }
      const unlocks: NewUnlock[] = [];
      const failed = new Map<string, unknown>();
      for (const [user, events] of byUser) {
        const member = members.get(user)!;
        const snapshot = cloneMember(member);
        try {
          const evaluated: EvaluatedEvent[] = events.map((e) => ({
            seq: e.seq,
            user,
            type: e.type,
            source: e.source,
            occurredAtMs: e.occurred_at.getTime(),
            data: e.data,
          }));
          unlocks.push(...evaluateEvents(catalogue, members, evaluated));
        } catch (err) {
          members.set(user, snapshot);
          for (const e of events) failed.set(e.seq, err);
          deps.logger.error('event evaluation failed', {
            userId: user,
            err,
            context: { events: events.map((e) => e.seq) },
          });
        }
      }

      evaluated = { unlocks, catalogue };
      const progressRows = await saveProgress(tx, members);
      const traceparent = rows.find((r) => r.traceparent)?.traceparent ?? null;
      const made = await saveUnlocks(tx, unlocks, traceparent);
      const okSeqs = rows.filter((r) => !failed.has(r.seq)).map((r) => r.seq);
      const marked = await tx.query<{ delay: number }>(
        `update ach_events set status = 'processed', processed_at = now()
        where seq = any($1::bigint[])
        returning extract(epoch from (processed_at - received_at))::float8 as delay`,
        [okSeqs],
      );
      if (failed.size > 0) {
        await tx.query(
          `update ach_events set status = 'failed', processed_at = now(), error = x.error
           from jsonb_to_recordset($1::jsonb) as x(seq bigint, error jsonb)
          where ach_events.seq = x.seq`,
          [JSON.stringify([...failed].map(([seq, err]) => ({ seq, error: describeError(err) })))],
        );
      }
      await tx.query('update ach_partitions set last_processed_at = now() where id = $1', [partition]);
      await deps.beforeCommit?.({ partition, events: rows.length });
      return {
        partition,
        events: rows.length,
        failed: failed.size,
        progressRows,
        unlocks: made,
        delays: marked.rows.map((r) => r.delay),
        catalogue,
      };
    })
    .catch((err: unknown) => {
      countUnlocks(deps.metrics, evaluated?.catalogue, evaluated?.unlocks ?? [], 'failed');
      throw err;
    });

  if (result.events > 0) {
    const { metrics } = deps;
    metrics.eventsProcessed.inc({ result: 'ok' }, result.events - result.failed);
    if (result.failed > 0) metrics.eventsProcessed.inc({ result: 'failed' }, result.failed);
    for (const d of result.delays) metrics.eventProcessingDelay.observe(d);
    metrics.progressUpdates.inc({ result: 'ok' }, result.progressRows);
    // The catalogue the batch was evaluated with: no second look-up after the commit.
    countUnlocks(metrics, result.catalogue, result.unlocks, 'ok');
    for (const u of result.unlocks) {
      deps.logger.info('Achievement unlocked successfully', {
        userId: u.user,
        context: { achievementId: u.achievementId, version: u.version, eventSeq: u.eventSeq },
      });
    }
    deps.logger.debug('event batch processed', {
      context: { partition: result.partition },
      metrics: {
        events: result.events,
        failed: result.failed,
        progressRows: result.progressRows,
        unlocks: result.unlocks.length,
        durationMs: Math.round(performance.now() - t0),
      },
    });
  }
  const { delays: _delays, catalogue: _catalogue, ...rest } = result;
  return rest;
}

function cloneMember(member: MemberState): MemberState {
  return {
    progress: new Map([...member.progress].map(([k, v]) => [k, { ...v, progress: { ...v.progress } }])),
    unlocked: new Set(member.unlocked),
  };
}
