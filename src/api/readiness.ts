/**
 * Readiness: every check run concurrently, each bounded by a timeout, the outcome reported per
 * dependency and into `cb_dependency_up`. Also the checks of the shared dependencies, ready for
 * the composition root to list.
 */
import type { Redis } from 'ioredis';
import type { Db } from '../platform/db/create-db.ts';
import type { Metrics } from '../platform/metrics.ts';
import { redactString } from '../platform/redact.ts';
import type { ReadinessCheck } from './app-context.ts';

/** Outcome of one readiness round. */
export interface ReadinessReport {
  ready: boolean;
  /** `up` or `down` per check name. */
  checks: Record<string, 'up' | 'down'>;
  /** Why each failed check is down (redacted error message). */
  errors: Record<string, string>;
}

/**
 * Runs every check concurrently; a check that has not settled after `timeoutMs` is down even if it
 * ignores its own timeout argument. Sets `cb_dependency_up{dependency}` to 1 or 0 for each.
 */
export async function runReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
  metrics: Pick<Metrics, 'dependencyUp'>,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.check(timeoutMs), timeoutMs);
        return { name: c.name, error: undefined };
      } catch (err) {
        return { name: c.name, error: redactString(err instanceof Error ? err.message : String(err)) };
      }
    }),
  );
  const report: ReadinessReport = { ready: true, checks: {}, errors: {} };
  for (const r of results) {
    metrics.dependencyUp.set({ dependency: r.name }, r.error === undefined ? 1 : 0);
    report.checks[r.name] = r.error === undefined ? 'up' : 'down';
    if (r.error !== undefined) {
      report.ready = false;
      report.errors[r.name] = r.error || 'failed';
    }
  }
  return report;
}

export interface ReadinessSamplerOptions {
  intervalMs: number;
  timeoutMs: number;
  metrics: Pick<Metrics, 'dependencyUp'>;
}

/**
 * Runs the readiness checks at once and then every `intervalMs`, so `cb_dependency_up` is fresh
 * even when nothing calls /readyz (the DatabaseDown P0 rule reads it). `checks` is read at every
 * round: checks added later (the chain's) join. A round still running when the next is due is not
 * doubled. Returns stop.
 */
export function startReadinessSampler(
  checks: readonly ReadinessCheck[],
  options: ReadinessSamplerOptions,
): () => void {
  let running = false;
  const round = async () => {
    if (running) return;
    running = true;
    try {
      await runReadiness(checks, options.timeoutMs, options.metrics);
    } finally {
      running = false;
    }
  };
  void round();
  const timer = setInterval(() => void round(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** `database`: `SELECT 1` through the pool (or PGlite). */
export function databaseReadiness(db: Pick<Db, 'ping'>): ReadinessCheck {
  return { name: 'database', check: (timeoutMs) => db.ping(timeoutMs) };
}

/** `redis`: PING on the shared client (fails at once while it is disconnected). */
export function redisReadiness(redis: Pick<Redis, 'ping'>): ReadinessCheck {
  return {
    name: 'redis',
    check: async () => {
      await redis.ping();
    },
  };
}

async function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
