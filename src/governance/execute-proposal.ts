/**
 * Executes a queued proposal once its timelock has passed (and before it expires):
 * - `parameter_change` and `achievement_change`: every action in one database transaction,
 *   through the code paths admins use (`setParameters`, `saveAchievements`); all or nothing.
 * - `onchain_call`: each call through the injected OnchainCaller, in order; the attempt is recorded
 *   as running first (calls cannot be rolled back). A retry skips the calls that already succeeded.
 *
 * Every attempt is a row of `gov_executions` with its per-action outcomes (tx hashes) or error. A
 * failed attempt leaves the proposal queued — visible as `execution.lastStatus: failed` — and it
 * can be retried (`POST /v1/proposals/:id/execute`) until it expires.
 *
 * While execution is paused (`cb pause execution`, src/ops/pauses) nothing is attempted: 409
 * `GOV_EXECUTION_PAUSED`, no `gov_executions` row, the proposal stays queued (and still expires at
 * the end of its grace period: a pause is for an incident, not a veto).
 */
import type { SavedAchievement } from '../achievements/index.ts';
import { pauseOf } from '../ops/pauses/pauses.ts';
import type { Queryable } from '../platform/db/create-db.ts';
import { advanceLocked, move } from './advance-proposal.ts';
import type { GovernanceContext } from './context.ts';
import { conflict } from './errors.ts';
import { setParameters } from './parameters.ts';
import { loadProposal, type ProposalRow } from './proposal-row.ts';
import type { ProposalState } from './proposal-shape.ts';
import {
  type AchievementAction,
  applyAchievementActions,
  type OnchainAction,
  type ParameterAction,
  shortReason,
  toCall,
} from './validate-actions.ts';

/** An attempt still marked running after this long is taken as dead (its process died). */
export const STALE_RUNNING_MS = 15 * 60_000;

export type ActionOutcome =
  | { index: number; status: 'ok'; parameter: string }
  | { index: number; status: 'ok'; achievementId: string; version: number; outcome: string }
  | { index: number; status: 'success' | 'reverted'; txHash: string; blockNumber: string | null }
  | { index: number; status: 'error'; error: string };

export interface ExecutionResult {
  proposalId: string;
  attempt: number;
  status: 'ok' | 'failed';
  outcomes: ActionOutcome[];
  error: string | null;
  state: ProposalState;
}

class ActionFailed extends Error {
  constructor(
    message: string,
    readonly outcomes: ActionOutcome[],
  ) {
    super(message);
  }
}

export async function executeProposal(
  ctx: GovernanceContext,
  id: string,
  actor: string,
): Promise<ExecutionResult> {
  const now = ctx.now();
  let saved: SavedAchievement[] = [];
  const first = await ctx.db.transaction(async (tx) => {
    const p = await advanceLocked(ctx, tx, await loadProposal(tx, id, 'for update'), now);
    await checkExecutable(tx, p, now);
    // An emergency stop (`cb pause execution`): no attempt is recorded, the proposal stays queued.
    const pause = await pauseOf(tx, 'execution');
    if (pause)
      throw conflict(
        'GOV_EXECUTION_PAUSED',
        `proposal execution is paused (since ${pause.pausedAt}, by ${pause.pausedBy}: ${pause.reason}); it runs once resumed (cb resume execution)`,
        { pausedAt: pause.pausedAt },
      );
    const attempt = p.execution_attempts + 1;
    await tx.query(
      `insert into gov_executions (proposal_id, attempt, status, actor, started_at) values ($1, $2, 'running', $3, $4)`,
      [p.id, attempt, actor, now],
    );
    if (p.type === 'onchain_call') {
      await tx.query(
        `update gov_proposals set execution_attempts = $2, last_execution_status = 'running', updated_at = now() where id = $1`,
        [p.id, attempt],
      );
      return {
        p,
        attempt,
        done: undefined as Omit<ExecutionResult, 'proposalId' | 'attempt' | 'state'> | undefined,
      };
    }
    await tx.query('savepoint gov_execute');
    try {
      const outcomes: ActionOutcome[] = [];
      if (p.type === 'parameter_change') {
        const actions = p.actions as ParameterAction[];
        await setParameters(tx, actions, { actor, proposalId: p.id });
        for (const [index, a] of actions.entries())
          outcomes.push({ index, status: 'ok', parameter: a.parameter });
      } else if (p.type === 'achievement_change') {
        saved = await applyAchievementActions(ctx, tx, p.actions as AchievementAction[], `proposal:${p.id}`);
        for (const [index, s] of saved.entries())
          outcomes.push({ index, status: 'ok', achievementId: s.id, version: s.version, outcome: s.outcome });
      }
      await finish(tx, p, attempt, 'ok', outcomes, null, now, actor);
      return { p, attempt, done: { status: 'ok' as const, outcomes, error: null } };
    } catch (err) {
      await tx.query('rollback to savepoint gov_execute');
      saved = [];
      const error = shortReason(err);
      await finish(tx, p, attempt, 'failed', [], error, now, actor);
      return { p, attempt, done: { status: 'failed' as const, outcomes: [], error } };
    }
  });

  const done: Omit<ExecutionResult, 'proposalId' | 'attempt' | 'state'> =
    first.done ?? (await runOnchain(ctx, first.p, first.attempt, actor));
  const state: ProposalState = done.status === 'ok' ? 'executed' : 'queued';
  ctx.metrics.proposalExecutions.inc({ result: done.status === 'ok' ? 'ok' : 'failed' });
  const fields = {
    context: {
      proposalId: id,
      type: first.p.type,
      attempt: first.attempt,
      actor,
      outcomes: done.outcomes,
      ...(done.error ? { error: done.error } : {}),
    },
  };
  if (done.status === 'ok') ctx.logger.info(`proposal ${id} executed`, fields);
  else ctx.logger.error(`proposal ${id} execution failed`, fields);
  if (done.status === 'ok' && saved.length > 0) await ctx.onAchievementsSaved?.(saved);
  return { proposalId: id, attempt: first.attempt, ...done, state };
}

async function checkExecutable(tx: Queryable, p: ProposalRow, now: Date): Promise<void> {
  if (p.state !== 'queued')
    throw conflict('GOV_NOT_EXECUTABLE', `proposal ${p.id} is ${p.state}; only a queued proposal executes`, {
      state: p.state,
    });
  if (p.eta && now.getTime() < p.eta.getTime())
    throw conflict('GOV_NOT_EXECUTABLE', `proposal ${p.id} is in its timelock until ${p.eta.toISOString()}`, {
      state: p.state,
      eta: p.eta.toISOString(),
    });
  if (p.last_execution_status === 'running') {
    const { rows } = await tx.query<{ started_at: Date }>(
      `select started_at from gov_executions where proposal_id = $1 and status = 'running' order by attempt desc limit 1`,
      [p.id],
    );
    const started = rows[0]?.started_at;
    if (started && now.getTime() - started.getTime() < STALE_RUNNING_MS)
      throw conflict(
        'GOV_EXECUTION_IN_PROGRESS',
        `an execution of proposal ${p.id} is running since ${started.toISOString()}`,
      );
    await tx.query(
      `update gov_executions set status = 'failed', error = 'abandoned: still running after ${STALE_RUNNING_MS / 60_000} minutes', finished_at = $2
        where proposal_id = $1 and status = 'running'`,
      [p.id, now],
    );
  }
}

/** Records the end of an attempt and, on success, moves the locked proposal to executed. */
async function finish(
  tx: Queryable,
  p: ProposalRow,
  attempt: number,
  status: 'ok' | 'failed',
  outcomes: ActionOutcome[],
  error: string | null,
  now: Date,
  actor: string,
): Promise<void> {
  await tx.query(
    `update gov_executions set status = $3, outcomes = $4::jsonb, error = $5, finished_at = $6
      where proposal_id = $1 and attempt = $2`,
    [p.id, attempt, status, JSON.stringify(outcomes), error, now],
  );
  await tx.query(
    `update gov_proposals set execution_attempts = $2, last_execution_status = $3, updated_at = now(),
       next_due_at = case when $3 = 'ok' and state = 'queued' then null else next_due_at end,
       executed_at = case when $3 = 'ok' and state = 'queued' then $4::timestamptz else executed_at end
      where id = $1`,
    [p.id, attempt, status, now],
  );
  // A proposal canceled by a guardian while its calls were in flight stays canceled (the attempt
  // and its outcomes are recorded, and logged by the caller).
  if (status === 'ok' && p.state === 'queued')
    await move(
      tx,
      { ...p, execution_attempts: attempt },
      'executed',
      now,
      `executed (attempt ${attempt})`,
      {},
      actor,
    );
}

async function runOnchain(ctx: GovernanceContext, p: ProposalRow, attempt: number, actor: string) {
  const actions = p.actions as OnchainAction[];
  const { rows } = await ctx.db.query<{ outcomes: ActionOutcome[] }>(
    'select outcomes from gov_executions where proposal_id = $1 and attempt < $2',
    [p.id, attempt],
  );
  const succeeded = new Map<number, ActionOutcome>();
  for (const r of rows) for (const o of r.outcomes) if (o.status === 'success') succeeded.set(o.index, o);

  const outcomes: ActionOutcome[] = [];
  let error: string | null = null;
  try {
    if (!ctx.onchain) throw new ActionFailed('no on-chain executor is configured', []);
    for (const [index, action] of actions.entries()) {
      const before = succeeded.get(index);
      if (before) {
        outcomes.push(before);
        continue;
      }
      let outcome: ActionOutcome;
      try {
        const r = await ctx.onchain.call(toCall(action));
        outcome = {
          index,
          status: r.status,
          txHash: r.txHash,
          blockNumber: r.blockNumber?.toString() ?? null,
        };
      } catch (err) {
        outcome = { index, status: 'error', error: shortReason(err) };
      }
      outcomes.push(outcome);
      if (outcome.status === 'reverted')
        throw new ActionFailed(`call ${index} to ${action.to} reverted`, outcomes);
      if (outcome.status === 'error')
        throw new ActionFailed(`call ${index} to ${action.to} failed: ${outcome.error}`, outcomes);
    }
  } catch (err) {
    error = err instanceof ActionFailed ? err.message : shortReason(err);
  }
  const status = error === null ? ('ok' as const) : ('failed' as const);
  const now = ctx.now();
  await ctx.db.transaction(async (tx) => {
    const locked = await loadProposal(tx, p.id, 'for update');
    await finish(tx, locked, attempt, status, outcomes, error, now, actor);
  });
  return { status, outcomes, error };
}
