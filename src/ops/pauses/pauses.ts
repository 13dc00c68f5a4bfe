/**
 * Emergency pauses — kill switches of the chain writers (seed 7.2 安全事件响应: contain first). In an
 * incident where the minter's or the executor's key may be compromised, a bug mints the wrong
 * badges, or a passed proposal must not run, an operator stops the writer on every instance at once
 * without a deploy: `cb pause minting --reason …`, `PUT /v1/ops/pauses/minting`.
 *
 * | switch      | while paused                                                                    |
 * | ----------- | ------------------------------------------------------------------------------- |
 * | `minting`   | the minter signs nothing: no new batch, no fee-bumped replacement. It still     |
 * |             | follows the receipts of what it sent (confirmations, reverts) and re-broadcasts |
 * |             | what is already signed. Unlocks keep queuing as `pending`: nothing is lost.     |
 * | `execution` | no passed proposal is executed, by the clock or by hand (409                    |
 * |             | `GOV_EXECUTION_PAUSED`); queued ones wait and run once resumed (expiry aside).  |
 *
 * One row per paused switch (migration 0067); the writers read it on each tick / execution (one
 * primary-key read). Pausing and resuming are recorded in the audit trail (the API's and the CLI's
 * own recording) and logged; `cb_ops_paused_since_timestamp_seconds{switch}` exports it, and
 * `MintingPaused` / `ExecutionPaused` (P3) remind after an hour that a writer is still stopped.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { sampleEvery } from '../../platform/sample-every.ts';

export const PAUSE_SWITCHES = ['minting', 'execution'] as const;
export type PauseSwitch = (typeof PAUSE_SWITCHES)[number];

export const isPauseSwitch = (s: string): s is PauseSwitch =>
  (PAUSE_SWITCHES as readonly string[]).includes(s);

export interface Pause {
  name: PauseSwitch;
  reason: string;
  pausedBy: string;
  pausedAt: string;
}

interface Row {
  name: PauseSwitch;
  reason: string;
  paused_by: string;
  paused_at: Date;
}

const toPause = (r: Row): Pause => ({
  name: r.name,
  reason: r.reason,
  pausedBy: r.paused_by,
  pausedAt: r.paused_at.toISOString(),
});

/** The switches paused now. */
export async function listPauses(db: Queryable): Promise<Pause[]> {
  const { rows } = await db.query<Row>(
    'select name, reason, paused_by, paused_at from ops_pauses order by name',
  );
  return rows.map(toPause);
}

/** The pause of `name`, or undefined when it runs. */
export async function pauseOf(db: Queryable, name: PauseSwitch): Promise<Pause | undefined> {
  const { rows } = await db.query<Row>(
    'select name, reason, paused_by, paused_at from ops_pauses where name = $1',
    [name],
  );
  return rows[0] ? toPause(rows[0]) : undefined;
}

/**
 * Pauses `name` (a pause already in force keeps its time; its reason and author are replaced, so
 * the latest word stands). Returns the pause and whether it was already paused.
 */
export async function setPause(
  db: Queryable,
  name: PauseSwitch,
  by: { reason: string; pausedBy: string },
): Promise<{ pause: Pause; already: boolean }> {
  const reason = by.reason.trim();
  if (reason.length === 0 || reason.length > 500)
    throw new RangeError('a pause needs a reason of 1-500 characters');
  const { rows } = await db.query<Row & { already: boolean }>(
    `insert into ops_pauses (name, reason, paused_by) values ($1, $2, $3)
     on conflict (name) do update set reason = excluded.reason, paused_by = excluded.paused_by
     returning name, reason, paused_by, paused_at, (xmax <> 0) as already`,
    [name, reason, by.pausedBy],
  );
  const row = rows[0] as Row & { already: boolean };
  return { pause: toPause(row), already: row.already };
}

/** Resumes `name`; returns the pause lifted, or undefined when it was not paused. */
export async function clearPause(db: Queryable, name: PauseSwitch): Promise<Pause | undefined> {
  const { rows } = await db.query<Row>(
    'delete from ops_pauses where name = $1 returning name, reason, paused_by, paused_at',
    [name],
  );
  return rows[0] ? toPause(rows[0]) : undefined;
}

/** `cb_ops_paused_since_timestamp_seconds{switch}`: when it was paused, 0 while it runs; every switch. */
export async function samplePauses(db: Queryable, metrics: Metrics): Promise<void> {
  const paused = new Map((await listPauses(db)).map((p) => [p.name, Date.parse(p.pausedAt) / 1000]));
  for (const name of PAUSE_SWITCHES) metrics.opsPausedSince.set({ switch: name }, paused.get(name) ?? 0);
}

/** Exports the pauses now and every `intervalMs` (each process); returns the stop function. */
export function startPauseSampler(options: {
  db: Queryable;
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
}): () => void {
  return sampleEvery(options.intervalMs, () => samplePauses(options.db, options.metrics), {
    logger: options.logger,
    message: 'pause sampling failed',
  });
}
