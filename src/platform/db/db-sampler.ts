/**
 * Samples what the database says about itself: table sizes, the longest current lock wait
 * (PostgreSQL: `pg_locks.waitstart`; PGlite has one session, so never waits) and server-wide
 * connections against `max_connections`. Pool gauges are read from the pool at each sample too.
 */
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Db } from './create-db.ts';
import { readTableSizes } from './table-sizes.ts';

export interface DbSamplerOptions {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
  /** Schemas whose tables are sized (public and the job queue's). */
  schemas: readonly string[];
}

export interface DbSampler {
  sample(): Promise<void>;
  start(): () => void;
}

export function createDbSampler(options: DbSamplerOptions): DbSampler {
  const { db, metrics, logger } = options;
  let failing = false;

  const samplePool = () => {
    const s = db.poolStats();
    metrics.dbPoolConnections.set({ state: 'active' }, s.active);
    metrics.dbPoolConnections.set({ state: 'idle' }, s.idle);
    metrics.dbPoolConnections.set({ state: 'waiting' }, s.waiting);
    metrics.dbPoolMaxConnections.set(s.max);
  };

  const sample = async () => {
    samplePool();
    try {
      for (const [table, bytes] of await readTableSizes(db, options.schemas))
        metrics.dbTableSize.set({ table }, bytes);
      if (db.driver === 'pg') {
        const wait = await db.query<{ seconds: number }>(
          `select coalesce(extract(epoch from max(now() - waitstart)), 0)::float8 as seconds
             from pg_locks where not granted and waitstart is not null`,
        );
        metrics.dbLockWait.set(wait.rows[0]?.seconds ?? 0);
      } else {
        metrics.dbLockWait.set(0);
      }
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

  return {
    sample,
    start() {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const loop = async () => {
        await sample();
        if (!stopped) {
          timer = setTimeout(loop, options.intervalMs);
          timer.unref();
        }
      };
      void loop();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}
