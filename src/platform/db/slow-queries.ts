/**
 * The slow-query log (seed 6.1 定期分析慢查询日志): every statement slower than
 * CB_DB_SLOW_QUERY_MS is counted (`cb_db_slow_queries_total`, the DatabaseSlowQueries alert) and
 * logged at WARN by createDb; this keeps them where they can be analysed, across processes and
 * days, without searching logs:
 *
 * - `record` (called by createDb for each slow statement, never throws, no I/O) adds the statement
 *   to an in-memory aggregate by shape (normalizeStatement: literals replaced by ?) and UTC hour:
 *   calls, total and max duration, when last seen, the latest trace id. At most
 *   {@link MAX_PENDING_SHAPES} shapes wait at a time; statements of further shapes are counted as
 *   dropped and the next flush says how many (a flood of distinct shapes is a bug elsewhere, and
 *   must not grow the heap).
 * - `start(db)` upserts the aggregates into `db_slow_queries` every `flushIntervalMs` (and once more
 *   at stop), merging with what other processes wrote for the same shape and hour. A failed flush
 *   keeps its aggregates for the next one (logged once per streak): the database being slow or down
 *   is exactly when these rows matter. At most once an hour, rows older than the retention go.
 * - {@link readSlowQueries} is the report: shapes by total time over a window, with the same
 *   window before it for comparison (new shapes, rising ones), for `cb db slow-queries` and
 *   `GET /v1/ops/db/slow-queries`.
 *
 * The flush's own statement is timed like any other; if it is slow it is recorded too, honestly.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { currentTrace } from '../trace.ts';
import type { Queryable } from './create-db.ts';
import type { SlowQueryReport, SlowQueryShape } from './slow-query-shape.ts';

/** Distinct (shape, hour) aggregates held between two flushes. */
export const MAX_PENDING_SHAPES = 500;

export interface SlowQueryRecorder {
  /** Adds one slow statement (its normalized shape, operation label and duration). */
  record(statement: string, operation: string, ms: number): void;
  /** Writes what is pending now; returns the number of (shape, hour) rows upserted. */
  flush(db: Queryable): Promise<number>;
  /** Flushes every `flushIntervalMs` until the returned function, which flushes once more. */
  start(db: Queryable): () => Promise<void>;
}

export interface SlowQueryRecorderOptions {
  /** This process's name in `last_instance`. */
  instance: string;
  logger: Logger;
  /** @defaultValue 60 000 */
  flushIntervalMs?: number | undefined;
  /** Rows of hours older than this many days are deleted. @defaultValue 30 */
  retentionDays?: number | undefined;
  /** The clock (tests). */
  now?: (() => number) | undefined;
}

interface Pending {
  fingerprint: string;
  hour: number;
  statement: string;
  operation: string;
  calls: number;
  totalMs: number;
  maxMs: number;
  lastSeen: number;
  lastTraceId: string | null;
}

const HOUR_MS = 3_600_000;

/** The fingerprint of a statement shape: 16 hex digits of its SHA-256. */
export function fingerprintOf(statement: string): string {
  return createHash('sha256').update(statement).digest('hex').slice(0, 16);
}

export function createSlowQueryRecorder(options: SlowQueryRecorderOptions): SlowQueryRecorder {
  const now = options.now ?? Date.now;
  const retentionMs = (options.retentionDays ?? 30) * 24 * HOUR_MS;
  let pending = new Map<string, Pending>();
  let dropped = 0;
  let lastPrune = Number.NEGATIVE_INFINITY;
  let failing = false;

  const merge = (into: Map<string, Pending>, p: Pending) => {
    const key = `${p.hour}:${p.statement}`;
    const seen = into.get(key);
    if (!seen) {
      if (into.size >= MAX_PENDING_SHAPES) return false;
      into.set(key, p);
      return true;
    }
    seen.calls += p.calls;
    seen.totalMs += p.totalMs;
    seen.maxMs = Math.max(seen.maxMs, p.maxMs);
    if (p.lastSeen >= seen.lastSeen) {
      seen.lastSeen = p.lastSeen;
      seen.lastTraceId = p.lastTraceId ?? seen.lastTraceId;
    }
    return true;
  };

  const flush = async (db: Queryable): Promise<number> => {
    const batch = pending;
    const droppedNow = dropped;
    pending = new Map();
    dropped = 0;
    const rows = [...batch.values()];
    try {
      if (rows.length > 0) await upsert(db, rows, options.instance);
    } catch (err) {
      // Kept for the next flush (merged with what came meanwhile, within the cap).
      for (const p of rows) if (!merge(pending, p)) dropped += p.calls;
      dropped += droppedNow;
      if (!failing) options.logger.warn('slow-query log not written; kept for the next try', { err });
      failing = true;
      throw err;
    }
    failing = false;
    // Apart from the write: the rows are in, and must not be put back (they would count twice).
    if (now() - lastPrune >= HOUR_MS) {
      lastPrune = now();
      try {
        await db.query('delete from db_slow_queries where hour < $1', [new Date(now() - retentionMs)]);
      } catch (err) {
        options.logger.warn('slow-query log: rows past the retention not deleted; next try in an hour', {
          err,
        });
      }
    }
    if (droppedNow > 0)
      options.logger.warn('slow-query log full: statements of further shapes were counted but not kept', {
        metrics: { dropped: droppedNow, maxShapes: MAX_PENDING_SHAPES },
      });
    return rows.length;
  };

  return {
    record(statement, operation, ms) {
      const t = now();
      const p: Pending = {
        fingerprint: '',
        hour: Math.floor(t / HOUR_MS) * HOUR_MS,
        statement,
        operation,
        calls: 1,
        totalMs: ms,
        maxMs: ms,
        lastSeen: t,
        lastTraceId: currentTrace()?.traceId ?? null,
      };
      if (!merge(pending, p)) dropped++;
    },
    flush,
    start(db) {
      const tick = () => flush(db).catch(() => undefined);
      const timer = setInterval(() => void tick(), options.flushIntervalMs ?? 60_000);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await tick();
      };
    },
  };
}

async function upsert(db: Queryable, rows: readonly Pending[], instance: string): Promise<void> {
  await db.query(
    `insert into db_slow_queries
       (fingerprint, hour, statement, operation, calls, total_ms, max_ms, last_seen, last_trace_id, last_instance)
     select f, to_timestamp(h / 1000.0), s, o, c, t, m, to_timestamp(l / 1000.0), tr, $10
       from unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::bigint[], $6::float8[], $7::float8[],
                   $8::float8[], $9::text[]) as x(f, h, s, o, c, t, m, l, tr)
     on conflict (fingerprint, hour) do update set
       calls = db_slow_queries.calls + excluded.calls,
       total_ms = db_slow_queries.total_ms + excluded.total_ms,
       max_ms = greatest(db_slow_queries.max_ms, excluded.max_ms),
       last_trace_id = case when excluded.last_seen >= db_slow_queries.last_seen
                            then coalesce(excluded.last_trace_id, db_slow_queries.last_trace_id)
                            else db_slow_queries.last_trace_id end,
       last_instance = case when excluded.last_seen >= db_slow_queries.last_seen
                            then excluded.last_instance else db_slow_queries.last_instance end,
       last_seen = greatest(db_slow_queries.last_seen, excluded.last_seen)`,
    [
      rows.map((r) => fingerprintOf(r.statement)),
      rows.map((r) => r.hour),
      rows.map((r) => r.statement),
      rows.map((r) => r.operation),
      rows.map((r) => r.calls),
      rows.map((r) => r.totalMs),
      rows.map((r) => r.maxMs),
      rows.map((r) => r.lastSeen),
      rows.map((r) => r.lastTraceId),
      instance,
    ],
  );
}

/**
 * The slow statements of [since, until) by shape, by total time (what the database spent on them),
 * with the window of the same length before for comparison. Hours are whole: `since` is rounded
 * down to its hour.
 */
export async function readSlowQueries(
  db: Queryable,
  window: { since: Date; until?: Date | undefined; limit?: number | undefined },
): Promise<SlowQueryReport> {
  const since = new Date(Math.floor(window.since.getTime() / HOUR_MS) * HOUR_MS);
  const until = window.until ?? new Date();
  const before = new Date(since.getTime() - (until.getTime() - since.getTime()));
  const limit = window.limit ?? 20;
  const range = [since, until, before];
  const [totals, shown] = await Promise.all([
    db.query<{
      calls: string;
      total_ms: number;
      shapes: string;
      previous_calls: string;
      previous_total_ms: number;
    }>(
      `select coalesce(sum(calls) filter (where hour >= $1), 0) as calls,
              coalesce(sum(total_ms) filter (where hour >= $1), 0) as total_ms,
              count(distinct fingerprint) filter (where hour >= $1) as shapes,
              coalesce(sum(calls) filter (where hour < $1), 0) as previous_calls,
              coalesce(sum(total_ms) filter (where hour < $1), 0) as previous_total_ms
         from db_slow_queries where hour >= $3 and hour < $2`,
      range,
    ),
    db.query<{
      fingerprint: string;
      statement: string;
      operation: string;
      calls: string;
      total_ms: number;
      max_ms: number;
      last_seen: Date;
      last_trace_id: string | null;
      last_instance: string | null;
      previous_calls: string;
      previous_total_ms: number;
    }>(
      `with w as (
         select fingerprint,
                sum(calls) filter (where hour >= $1) as calls,
                sum(total_ms) filter (where hour >= $1) as total_ms,
                max(max_ms) filter (where hour >= $1) as max_ms,
                max(last_seen) filter (where hour >= $1) as last_seen,
                coalesce(sum(calls) filter (where hour < $1), 0) as previous_calls,
                coalesce(sum(total_ms) filter (where hour < $1), 0) as previous_total_ms
           from db_slow_queries
          where hour >= $3 and hour < $2
          group by fingerprint)
       select w.*, latest.statement, latest.operation, latest.last_trace_id, latest.last_instance
         from (select * from w where calls > 0 order by total_ms desc, fingerprint limit $4) w
         cross join lateral (
           select statement, operation, last_trace_id, last_instance from db_slow_queries q
            where q.fingerprint = w.fingerprint and q.hour >= $1 and q.hour < $2
            order by q.last_seen desc limit 1) latest
        order by w.total_ms desc, w.fingerprint`,
      [...range, limit],
    ),
  ]);
  const t = totals.rows[0]!;
  const totalMs = Number(t.total_ms);
  const items = shown.rows.map((r): SlowQueryShape => {
    const calls = Number(r.calls);
    const total = Number(r.total_ms);
    return {
      fingerprint: r.fingerprint,
      statement: r.statement,
      operation: r.operation,
      calls,
      totalMs: round(total),
      meanMs: round(total / calls),
      maxMs: round(Number(r.max_ms)),
      share: totalMs > 0 ? Math.round((total / totalMs) * 1000) / 1000 : 0,
      lastSeen: new Date(r.last_seen).toISOString(),
      lastTraceId: r.last_trace_id,
      lastInstance: r.last_instance,
      previousCalls: Number(r.previous_calls),
      previousTotalMs: round(Number(r.previous_total_ms)),
    };
  });
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    calls: Number(t.calls),
    totalMs: round(totalMs),
    shapes: Number(t.shapes),
    previous: { calls: Number(t.previous_calls), totalMs: round(Number(t.previous_total_ms)) },
    items,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
