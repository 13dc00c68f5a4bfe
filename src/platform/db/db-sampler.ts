/**
 * Samples what the database says about itself: table sizes, the longest current lock wait of a
 * session of this database (PostgreSQL: `pg_locks.waitstart`; PGlite has one session, so never waits) and server-wide
 * connections against `max_connections`. Pool gauges are read from the pool at each sample too.
 *
 * Lock waits are sampled on their own, faster timer (every second by default: the pg_locks query
 * costs ~0.3 ms on an idle server, ~2 ms with 4,000 locks held) and `cb_db_lock_wait_seconds` is
 * the longest wait any sample saw over the last `lockWaitHoldMs` (30 s): a wait shorter than
 * Prometheus's scrape interval is still scraped once, so DatabaseLockWaitHigh (seed 2.1 锁等待时间
 * 1000 ms) sees a 5-second wait that ended between two scrapes.
 */
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Db } from './create-db.ts';
import { readTableSizes } from './table-sizes.ts';

/** Default time between lock-wait samples, ms (never more than `intervalMs`). */
export const LOCK_WAIT_INTERVAL_MS = 1000;
/**
 * Default time a lock wait stays in `cb_db_lock_wait_seconds` after a sample saw it, ms: twice the
 * shipped scrape interval (15 s), so one failed scrape does not lose it.
 */
export const LOCK_WAIT_HOLD_MS = 30_000;

export interface DbSamplerOptions {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** Time between samples of table sizes, pool and connections, ms. */
  intervalMs: number;
  /** Time between lock-wait samples, ms. @defaultValue min(`LOCK_WAIT_INTERVAL_MS`, `intervalMs`) */
  lockWaitIntervalMs?: number | undefined;
  /** How long the gauge keeps the longest wait a sample saw, ms. @defaultValue `LOCK_WAIT_HOLD_MS` */
  lockWaitHoldMs?: number | undefined;
  /** Schemas whose tables are sized (public and the job queue's). */
  schemas: readonly string[];
  /** @defaultValue Date.now */
  now?: (() => number) | undefined;
}

export interface DbSampler {
  /** Samples everything now, lock waits included. */
  sample(): Promise<void>;
  /** Samples the longest current lock wait now. */
  sampleLockWait(): Promise<void>;
  /** Samples now and then on both timers; returns the function that stops them. */
  start(): () => void;
}

export function createDbSampler(options: DbSamplerOptions): DbSampler {
  const { db, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const lockWaitIntervalMs =
    options.lockWaitIntervalMs ?? Math.min(LOCK_WAIT_INTERVAL_MS, options.intervalMs);
  const lockWaitHoldMs = options.lockWaitHoldMs ?? LOCK_WAIT_HOLD_MS;
  /** The lock-wait samples of the hold window, oldest first. */
  const waits: { at: number; seconds: number }[] = [];
  let failing = false;
  let lockWaitFailing = false;

  const samplePool = () => {
    const s = db.poolStats();
    metrics.dbPoolConnections.set({ state: 'active' }, s.active);
    metrics.dbPoolConnections.set({ state: 'idle' }, s.idle);
    metrics.dbPoolConnections.set({ state: 'waiting' }, s.waiting);
    metrics.dbPoolMaxConnections.set(s.max);
  };

  const sampleLockWait = async () => {
    if (db.driver !== 'pg') {
      metrics.dbLockWait.set(0);
      return;
    }
    try {
      const wait = await db.query<{ seconds: number }>(
        // Sessions of this database only: pg_locks is server-wide, and another database's waits
        // (another application, another deployment on the same server) are not cb's.
        `select coalesce(extract(epoch from max(now() - l.waitstart)), 0)::float8 as seconds
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where not l.granted and l.waitstart is not null and a.datname = current_database()`,
      );
      const at = now();
      waits.push({ at, seconds: wait.rows[0]?.seconds ?? 0 });
      while (waits.length > 1 && (waits[0]?.at ?? at) <= at - lockWaitHoldMs) waits.shift();
      metrics.dbLockWait.set(Math.max(...waits.map((w) => w.seconds)));
      if (lockWaitFailing) logger.info('lock-wait sampling recovered');
      lockWaitFailing = false;
    } catch (err) {
      // The gauge keeps its last value: DatabaseDown, not a lock wait, is the alert then.
      if (!lockWaitFailing) logger.warn('lock-wait sampling failed', { err });
      lockWaitFailing = true;
    }
  };

  const sampleRest = async () => {
    samplePool();
    try {
      for (const [table, bytes] of await readTableSizes(db, options.schemas))
        metrics.dbTableSize.set({ table }, bytes);
      const conns = await db.query<{ used: number; max: number }>(
        `select (select count(*) from pg_stat_activity)::int as used, current_setting('max_connections')::int as max`,
      );
      metrics.dbServerConnections.set({ kind: 'used' }, conns.rows[0]?.used ?? 0);
      metrics.dbServerConnections.set({ kind: 'max' }, conns.rows[0]?.max ?? 0);
      if (failing) logger.info('database sampling recovered');
      failing = false;
    } catch (err) {
      if (!failing) logger.warn('database sampling failed', { err });
      failing = true;
    }
  };

  /** Runs `fn` now and every `intervalMs` after it finished; returns the function that stops. */
  const every = (intervalMs: number, fn: () => Promise<void>) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const loop = async () => {
      await fn();
      if (!stopped) {
        timer = setTimeout(loop, intervalMs);
        timer.unref();
      }
    };
    void loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  };

  return {
    async sample() {
      await sampleRest();
      await sampleLockWait();
    },
    sampleLockWait,
    start() {
      const stops = [every(options.intervalMs, sampleRest)];
      // PGlite never waits: one 0 is enough.
      if (db.driver === 'pg') stops.push(every(lockWaitIntervalMs, sampleLockWait));
      else void sampleLockWait();
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}
