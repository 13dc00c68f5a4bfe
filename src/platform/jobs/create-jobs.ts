/**
 * `createJobs`: the jobs subsystem of one process — pg-boss over our `Db`, the workers of the
 * registered queues, cron schedules, heartbeats, the metrics sampler and the missed-run check.
 * See `index.ts` for the design note.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import type { Common } from '../common.ts';
import type { Db } from '../db/create-db.ts';
import { UnavailableError } from '../errors.ts';
import { currentTrace, outgoingTraceparent } from '../trace.ts';
import { createBossDb, type TrackedBossDb } from './boss-db.ts';
import { type DeadLetter, listDeadLetters, retryDeadLetter } from './dead-letters.ts';
import type { JobDefinition } from './define-job.ts';
import { detectMissedRuns } from './detect-missed-runs.ts';
import { ensureQueue } from './ensure-queue.ts';
import { wrapPayload } from './envelope.ts';
import { beat, removeConsumers } from './heartbeat.ts';
import type { BatchJobHandler, JobHandler } from './job.ts';
import { JobDefinitionError, JobsLifecycleError, JobsStoppingError } from './job-errors.ts';
import { type QueueStats, readQueueStats } from './queue-stats.ts';
import { releaseJobs } from './release-jobs.ts';
import { type RunningJob, runWorkerLoop, type WorkerContext, type WorkerRegistration } from './run-worker.ts';
import { sampleJobMetrics } from './sample-metrics.ts';
import { sampleOldestActive } from './sample-oldest-active.ts';
import { registerSchedule, removeSchedule } from './schedules.ts';

/** Tuning of `createJobs`; every field is optional. */
export interface JobsOptions {
  /** How often an idle worker polls (ms, at least 500). @defaultValue `config.jobsPollIntervalMs` */
  pollIntervalMs?: number;
  /** Time `stop()` lets running handlers finish (ms). @defaultValue `config.shutdownGraceMs` */
  graceMs?: number;
  /** How often the depth, dead-letter, consumer and schedule gauges are sampled (ms). @defaultValue `15000` */
  sampleIntervalMs?: number;
  /** How often this process's consumers are written to `cb_job_consumers` (ms); stale after 3×. @defaultValue `5000` */
  heartbeatIntervalMs?: number;
  /** How often schedules are checked for missed runs (ms). @defaultValue `30000` */
  missedRunCheckIntervalMs?: number;
  /** How late a scheduled run may start before it counts as missed (ms). @defaultValue `90000` */
  missedRunGraceMs?: number;
  /** pg-boss: how often due cron schedules are looked for (s, 1-45). @defaultValue `30` */
  cronMonitorIntervalSeconds?: number;
  /** pg-boss: how often its internal worker turns due schedules into jobs (s, 1-45). @defaultValue `5` */
  cronWorkerIntervalSeconds?: number;
  /** pg-boss: how often expired active jobs are failed and old ones archived (s, at least 1). @defaultValue `120` */
  maintenanceIntervalSeconds?: number;
  /** Clock of the missed-run check and of running jobs' age (Unix ms); tests move it. @defaultValue `Date.now` */
  now?: () => number;
  /** `start()` registers `stop()` with `common.shutdown` as `jobs`. @defaultValue `true` */
  registerShutdown?: boolean;
}

export interface JobsStartOptions {
  /**
   * Run the registered workers, schedules, pg-boss maintenance, heartbeats and the missed-run
   * check. `false` (the API role) only sends, reads stats, and samples the gauges. @defaultValue `true`
   */
  workers?: boolean;
}

export interface SendOptions {
  /** Deduplicates: a second send with this key within `singletonSeconds` is dropped (returns null). */
  singletonKey?: string;
  /** Dedup window (aligned to multiples of it since the epoch). @defaultValue `60` with a key */
  singletonSeconds?: number;
  /** Not before this time, or this many seconds from now. */
  startAfter?: Date | number;
}

export interface Jobs {
  /** Registers a worker for `def` (before `start()`); each job is handled on its own. */
  register<P>(def: JobDefinition<P>, handler: JobHandler<P>): void;
  /** Registers a worker for `def` (before `start()`) that handles up to `def.batchSize` jobs at once. */
  registerBatch<P>(def: JobDefinition<P>, handler: BatchJobHandler<P>): void;
  /**
   * A schedule turned off by its setting (before `start()`): a worker's start removes it from
   * pg-boss and `cb_schedules`, so runs stop coming for a queue nobody works any more (and its
   * absent consumers, or a backlog run when it is turned on again, cannot follow).
   */
  unschedule(queue: string): void;
  /** Creates pg-boss's schema and the queues, then starts workers, schedules and samplers. */
  start(options?: JobsStartOptions): Promise<void>;
  /** Stops fetching, lets running handlers finish within the grace period, hands the rest back. Idempotent. */
  stop(): Promise<void>;
  /** Validates and enqueues a job carrying the current trace; the job id, or null when deduplicated. */
  send<P>(def: JobDefinition<P>, payload: NoInfer<P>, options?: SendOptions): Promise<string | null>;
  /** Per-queue job counts by state and dead-lettered jobs (dead-letter queues are folded into their queue). */
  stats(): Promise<QueueStats[]>;
  /** Jobs of `queue` waiting in its dead-letter queue, oldest first (limit 50 by default, at most 1000). */
  listDeadLetters(queue: string, page?: { limit?: number; offset?: number }): Promise<DeadLetter[]>;
  /** Moves a dead-lettered job back to `queue` with fresh retries; returns the new job id. */
  retryDeadLetter(queue: string, deadLetterId: string): Promise<string>;
  /** True between a successful `start()` and the end of `stop()`. */
  readonly running: boolean;
}

export interface CreateJobsParameters {
  common: Common;
  db: Db;
  options?: JobsOptions;
}

type State = 'idle' | 'starting' | 'started' | 'stopping' | 'stopped';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;
const START_ATTEMPTS = 4;
/**
 * Default of `sampleIntervalMs` (ms). It delays what `cb_job_oldest_active_seconds` shows, so the
 * alert path's margin before a job expires counts it (test/alerting/job-expiry.test.ts).
 */
export const DEFAULT_SAMPLE_INTERVAL_MS = 15_000;

function checkOptions(schema: string, o: Required<Omit<JobsOptions, 'now' | 'registerShutdown'>>): void {
  const issues: string[] = [];
  if (!SCHEMA_NAME.test(schema)) issues.push(`jobsSchema "${schema}" must be a lower-case SQL identifier`);
  const atLeast = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isFinite(value) || value < min || value > max)
      issues.push(`${name} must be from ${min} to ${max}, got ${value}`);
  };
  atLeast('pollIntervalMs', o.pollIntervalMs, 500);
  atLeast('graceMs', o.graceMs, 0);
  atLeast('sampleIntervalMs', o.sampleIntervalMs, 10);
  atLeast('heartbeatIntervalMs', o.heartbeatIntervalMs, 10);
  atLeast('missedRunCheckIntervalMs', o.missedRunCheckIntervalMs, 10);
  atLeast('missedRunGraceMs', o.missedRunGraceMs, 0);
  atLeast('cronMonitorIntervalSeconds', o.cronMonitorIntervalSeconds, 1, 45);
  atLeast('cronWorkerIntervalSeconds', o.cronWorkerIntervalSeconds, 1, 45);
  atLeast('maintenanceIntervalSeconds', o.maintenanceIntervalSeconds, 1, 86_399);
  if (issues.length > 0) throw new JobDefinitionError('jobs options', issues, 'CB_JOBS_OPTIONS_INVALID');
}

/** Builds the jobs subsystem; nothing touches the database before `start()`. */
export function createJobs({ common, db, options = {} }: CreateJobsParameters): Jobs {
  const { config, metrics } = common;
  const logger = common.logger.child('jobs');
  const schema = config.jobsSchema;
  const o = {
    pollIntervalMs: options.pollIntervalMs ?? config.jobsPollIntervalMs,
    graceMs: options.graceMs ?? config.shutdownGraceMs,
    sampleIntervalMs: options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
    missedRunCheckIntervalMs: options.missedRunCheckIntervalMs ?? 30_000,
    missedRunGraceMs: options.missedRunGraceMs ?? 90_000,
    cronMonitorIntervalSeconds: options.cronMonitorIntervalSeconds ?? 30,
    cronWorkerIntervalSeconds: options.cronWorkerIntervalSeconds ?? 5,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 120,
  };
  checkOptions(schema, o);
  const now = options.now ?? Date.now;

  const registrations = new Map<string, WorkerRegistration>();
  /** Schedules turned off by a setting (jobs.unschedule). */
  const unscheduled = new Set<string>();
  const ensured = new Map<string, Promise<void>>();
  const running = new Set<RunningJob>();
  const settling = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const ticks = new Set<Promise<void>>();
  const stopping = new AbortController();
  // Every worker loop (one per queue and concurrency slot) waits on this one signal.
  setMaxListeners(0, stopping.signal);
  let state: State = 'idle';
  let workersOn = false;
  let boss: PgBoss | undefined;
  let bossDb: TrackedBossDb | undefined;
  let loops: Promise<void>[] = [];
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;
  let shutdownRegistered = false;

  const add = (reg: WorkerRegistration) => {
    if (state !== 'idle')
      throw new JobsLifecycleError('CB_JOBS_ALREADY_STARTED', `register ${reg.def.queue} before start()`, {
        queue: reg.def.queue,
      });
    if (registrations.has(reg.def.queue))
      throw new JobsLifecycleError(
        'CB_JOB_ALREADY_REGISTERED',
        `queue ${reg.def.queue} already has a worker`,
        {
          queue: reg.def.queue,
        },
      );
    registrations.set(reg.def.queue, reg);
  };

  const ensure = (b: PgBoss, def: JobDefinition<unknown>): Promise<void> => {
    let p = ensured.get(def.queue);
    if (!p) {
      p = ensureQueue(b, def);
      ensured.set(def.queue, p);
      p.catch(() => ensured.delete(def.queue));
    }
    return p;
  };

  /** Runs `fn` every `ms` while started, never two at once; failures are logged; `stop()` awaits a running one. */
  const every = (name: string, ms: number, fn: () => Promise<unknown>) => {
    let busy = false;
    const tick = async () => {
      if (busy || state !== 'started') return;
      busy = true;
      const run = fn()
        .then(() => {})
        .catch((err: unknown) => logger.warn(`${name} failed`, { err }));
      ticks.add(run);
      try {
        await run;
      } finally {
        ticks.delete(run);
        busy = false;
      }
    };
    const timer = setInterval(tick, ms);
    timer.unref();
    timers.push(timer);
    return tick;
  };

  const requireBoss = (): PgBoss => {
    if (!boss || (state !== 'started' && state !== 'stopping'))
      throw new UnavailableError('CB_JOBS_NOT_RUNNING', 'the jobs subsystem is not running');
    return boss;
  };

  const heartbeat = () =>
    beat(
      db,
      config.instance,
      [...registrations.values()].map((r) => ({ queue: r.def.queue, workers: r.def.concurrency })),
    );
  const sample = () => sampleJobMetrics({ db, schema, metrics, staleAfterMs: 3 * o.heartbeatIntervalMs });
  const scheduled = () =>
    [...registrations.values()].flatMap((r) =>
      r.def.schedule ? [{ name: r.def.queue, cron: r.def.schedule.cron, tz: r.def.schedule.tz }] : [],
    );

  /**
   * Starts pg-boss and creates the queues. Instances starting together on a fresh PostgreSQL
   * database can collide (pg-boss's install races on `CREATE SCHEMA`: an advisory lock does not
   * refresh the catalog snapshot; concurrent queue creations can deadlock): the loser retries with
   * a new pg-boss, by which time the winner has installed what it needs.
   */
  async function bootBoss(workers: boolean): Promise<PgBoss> {
    for (let attempt = 1; ; attempt++) {
      bossDb = createBossDb(db);
      const b = new PgBoss({
        db: bossDb,
        schema,
        migrate: true,
        schedule: workers,
        supervise: workers,
        cronMonitorIntervalSeconds: o.cronMonitorIntervalSeconds,
        cronWorkerIntervalSeconds: o.cronWorkerIntervalSeconds,
        maintenanceIntervalSeconds: o.maintenanceIntervalSeconds,
      });
      b.on('error', (err) => logger.warn('pg-boss error', { err }));
      let bossStarted = false;
      try {
        await b.start();
        bossStarted = true;
        for (const reg of registrations.values()) await ensure(b, reg.def);
        return b;
      } catch (err) {
        // A failed pg-boss start has started nothing (its install is the first step).
        if (bossStarted) await b.stop({ graceful: false, close: false }).catch(() => {});
        if (attempt >= START_ATTEMPTS) throw err;
        logger.warn('starting pg-boss failed; retrying', { err, metrics: { attempt } });
        await sleep(100 + Math.random() * 400);
      }
    }
  }

  async function doStart(workers: boolean): Promise<void> {
    let sampleAges: (() => Promise<void>) | undefined;
    boss = await bootBoss(workers);
    workersOn = workers;
    if (workers) {
      for (const reg of registrations.values()) await registerSchedule(boss, db, reg.def);
      for (const queue of unscheduled) if (!registrations.has(queue)) await removeSchedule(boss, db, queue);
      await heartbeat();
      const ctx: WorkerContext = {
        boss,
        db,
        schema,
        logger,
        metrics,
        pollIntervalMs: o.pollIntervalMs,
        stopping: stopping.signal,
        running,
        now,
        settling,
      };
      loops = [...registrations.values()].flatMap((reg) =>
        Array.from({ length: reg.def.concurrency }, () => runWorkerLoop(ctx, reg)),
      );
      every('heartbeat', o.heartbeatIntervalMs, heartbeat);
      // Its own timer, no database: it must go on while the database (or the sample above) hangs.
      sampleAges = every('running jobs age sample', o.sampleIntervalMs, async () =>
        sampleOldestActive({ metrics, queues: registrations.keys(), running, now: now() }),
      );
      const schedules = scheduled();
      if (schedules.length > 0) {
        every('missed-run check', o.missedRunCheckIntervalMs, () =>
          detectMissedRuns({ db, metrics, logger, schedules, now: now(), graceMs: o.missedRunGraceMs }),
        );
      }
    }
    const sampleNow = every('jobs metrics sample', o.sampleIntervalMs, sample);
    state = 'started';
    void sampleNow();
    void sampleAges?.();
    if ((options.registerShutdown ?? true) && !shutdownRegistered) {
      shutdownRegistered = true;
      common.shutdown.add('jobs', () => jobs.stop());
    }
    logger.info('jobs started', {
      context: { workers, schema, queues: [...registrations.keys()] },
      metrics: { workerLoops: loops.length },
    });
  }

  async function doStop(): Promise<void> {
    state = 'stopping';
    for (const t of timers) clearInterval(t);
    stopping.abort();
    const t0 = performance.now();

    const finished = await within(Promise.all(loops), o.graceMs);

    let released = 0;
    if (!finished) {
      const left = [...running].filter((r) => !r.claimed);
      const byQueue = new Map<string, string[]>();
      for (const r of left) {
        r.claimed = true;
        r.controller.abort(new JobsStoppingError());
        byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r.id]);
      }
      for (const [queue, ids] of byQueue) {
        try {
          released += await releaseJobs(db, schema, queue, ids);
          for (const id of ids)
            logger.warn('job released at shutdown; it will run again', { context: { queue, jobId: id } });
        } catch (err) {
          logger.error('releasing jobs at shutdown failed; they return when they expire', {
            context: { queue, jobIds: ids },
            err,
          });
        }
      }
    }
    await Promise.allSettled([...settling, ...ticks]);
    // Aborted handlers free their loops at once; a loop caught mid-fetch gets a moment to finish.
    await within(Promise.all(loops), 1_000);
    if (workersOn) {
      // This process works these queues no more: no age to report (not a stale one).
      for (const queue of registrations.keys()) metrics.jobOldestActive.remove({ queue });
      try {
        await removeConsumers(db, config.instance);
      } catch (err) {
        logger.warn('removing consumer heartbeats failed', { err });
      }
    }
    try {
      await boss?.stop({ graceful: false, close: false });
    } catch (err) {
      logger.warn('stopping pg-boss failed', { err });
    }
    if (bossDb && !(await bossDb.drain(5_000))) logger.warn('pg-boss statements still running after stop');
    state = 'stopped';
    logger.info('jobs stopped', {
      metrics: { durationMs: Math.round(performance.now() - t0), released, graceMs: o.graceMs },
    });
  }

  const jobs: Jobs = {
    register(def, handler) {
      add({ kind: 'single', def, handler: handler as JobHandler<unknown> });
    },
    registerBatch(def, handler) {
      add({ kind: 'batch', def, handler: handler as BatchJobHandler<unknown> });
    },
    unschedule(queue) {
      unscheduled.add(queue);
    },
    start(startOptions = {}) {
      if (state !== 'idle')
        return Promise.reject(
          new JobsLifecycleError('CB_JOBS_ALREADY_STARTED', 'start() was already called'),
        );
      state = 'starting';
      startPromise = doStart(startOptions.workers ?? true).catch(async (err: unknown) => {
        stopping.abort();
        for (const t of timers) clearInterval(t);
        await boss?.stop({ graceful: false, close: false }).catch(() => {});
        state = 'stopped';
        throw new UnavailableError(
          'CB_JOBS_START_FAILED',
          `the jobs subsystem could not start: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      });
      return startPromise;
    },
    stop() {
      if (stopPromise) return stopPromise;
      stopPromise = (async () => {
        if (state === 'starting') await startPromise?.catch(() => {});
        if (state !== 'started') {
          state = 'stopped';
          return;
        }
        await doStop();
      })();
      return stopPromise;
    },
    async send(def, payload, sendOptions = {}) {
      const b = requireBoss();
      const checked = def.parse(payload);
      await ensure(b, def);
      const data = wrapPayload(checked, {
        queue: def.queue,
        ...optional('traceparent', outgoingTraceparent()),
        ...optional('userId', currentTrace()?.userId),
      });
      const bossOptions: PgBoss.SendOptions = {};
      if (sendOptions.singletonKey !== undefined) bossOptions.singletonKey = sendOptions.singletonKey;
      const window =
        sendOptions.singletonSeconds ?? (sendOptions.singletonKey !== undefined ? 60 : undefined);
      if (window !== undefined) bossOptions.singletonSeconds = window;
      if (sendOptions.startAfter !== undefined) bossOptions.startAfter = sendOptions.startAfter;
      return b.send(def.queue, data, bossOptions);
    },
    async stats() {
      requireBoss();
      return readQueueStats(db, schema);
    },
    async listDeadLetters(queue, page) {
      requireBoss();
      return listDeadLetters(db, schema, queue, page);
    },
    async retryDeadLetter(queue, id) {
      return retryDeadLetter(db, requireBoss(), schema, queue, id);
    },
    get running() {
      return state === 'started' || state === 'stopping';
    },
  };
  return jobs;
}

/** True when `work` settles within `ms`, false otherwise (the timer never outlives the race). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work.then(() => true),
      sleep(ms, false, { signal: timer.signal }).catch(() => false),
    ]);
  } finally {
    timer.abort();
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
