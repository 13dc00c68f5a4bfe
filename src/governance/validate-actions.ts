/**
 * Checks a proposal's actions at creation, so one that could not apply is refused then rather than
 * failing at execution:
 * - `signal`: no actions.
 * - `parameter_change`: `{ parameter, value }` — a known parameter (parameters.ts) and a valid value.
 * - `achievement_change`: `{ mode?: 'upsert' | 'create' | 'update', definition }` — saved in a
 *   rolled-back transaction through `saveAchievements` itself (the admins' code path), so every
 *   check it makes (fields, references, cycles, tiers) runs now.
 * - `onchain_call`: `{ to, data, value? }` — well-formed, and a dry run (`eth_call`) that does not revert
 *   (nor fail for the executor's funds). A dry run no node answered is not a verdict: the request
 *   fails with 503 `CB_RPC_UNAVAILABLE` (retryable) instead of refusing the proposal.
 */
import type { Address, Hex } from 'viem';
import { DefinitionInvalidError, normalizeAddress, saveAchievements } from '../achievements/index.ts';
import { BaseError, UnavailableError } from '../platform/errors.ts';
import type { GovernanceContext } from './context.ts';
import { dryRunFailure } from './dry-run-failure.ts';
import { type Issue, ruleViolation } from './errors.ts';
import type { OnchainCall, OnchainCaller } from './onchain-caller.ts';
import { type ParameterName, parameterToWire, parseParameter } from './parameters.ts';
import type { ProposalType } from './proposal-shape.ts';
import { dryRun, transactionAsDb } from './transaction-db.ts';

export interface ParameterAction {
  parameter: string;
  value: unknown;
}
export interface AchievementAction {
  mode: 'upsert' | 'create' | 'update';
  definition: Record<string, unknown>;
}
export interface OnchainAction {
  to: string;
  data: string;
  /** Wei, decimal string. */
  value: string;
}
export type ProposalAction = ParameterAction | AchievementAction | OnchainAction;

const MAX_ACTIONS: Record<ProposalType, number> = {
  signal: 0,
  parameter_change: 20,
  achievement_change: 50,
  onchain_call: 10,
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The normalised actions, or the issues (paths `actions.N.field`). */
export async function validateActions(
  ctx: GovernanceContext,
  type: ProposalType,
  raw: unknown,
): Promise<{ actions: ProposalAction[]; issues: Issue[] }> {
  const issues: Issue[] = [];
  const list = raw === undefined ? [] : raw;
  if (!Array.isArray(list))
    return { actions: [], issues: [{ path: 'actions', message: 'a list of actions' }] };
  const max = MAX_ACTIONS[type];
  if (type === 'signal' && list.length > 0)
    return { actions: [], issues: [{ path: 'actions', message: 'a signal proposal has no actions' }] };
  if (type !== 'signal' && list.length === 0)
    return {
      actions: [],
      issues: [{ path: 'actions', message: `a ${type} proposal needs at least one action` }],
    };
  if (list.length > max)
    return { actions: [], issues: [{ path: 'actions', message: `at most ${max} actions` }] };

  switch (type) {
    case 'signal':
      return { actions: [], issues };
    case 'parameter_change':
      return parameterActions(list, issues);
    case 'achievement_change':
      return achievementActions(ctx, list, issues);
    case 'onchain_call':
      return onchainActions(ctx, list, issues);
  }
}

function parameterActions(list: unknown[], issues: Issue[]) {
  const actions: ParameterAction[] = [];
  const seen = new Set<string>();
  for (const [i, a] of list.entries()) {
    if (!isObject(a)) {
      issues.push({ path: `actions.${i}`, message: 'an object { parameter, value }' });
      continue;
    }
    const extra = Object.keys(a).filter((k) => k !== 'parameter' && k !== 'value');
    for (const k of extra) issues.push({ path: `actions.${i}.${k}`, message: 'unknown field' });
    const parsed = parseParameter(a.parameter, a.value, `actions.${i}`);
    if (!parsed.ok) {
      issues.push(parsed.issue);
      continue;
    }
    if (seen.has(parsed.name)) {
      issues.push({ path: `actions.${i}.parameter`, message: 'the same parameter twice' });
      continue;
    }
    seen.add(parsed.name);
    actions.push({
      parameter: a.parameter as string,
      value: parameterToWire(parsed.name as ParameterName, parsed.value as never),
    });
  }
  return { actions, issues };
}

async function achievementActions(ctx: GovernanceContext, list: unknown[], issues: Issue[]) {
  const actions: AchievementAction[] = [];
  for (const [i, a] of list.entries()) {
    if (!isObject(a)) {
      issues.push({ path: `actions.${i}`, message: 'an object { mode, definition }' });
      continue;
    }
    for (const k of Object.keys(a))
      if (k !== 'mode' && k !== 'definition')
        issues.push({ path: `actions.${i}.${k}`, message: 'unknown field' });
    const mode = a.mode ?? 'upsert';
    if (mode !== 'upsert' && mode !== 'create' && mode !== 'update') {
      issues.push({ path: `actions.${i}.mode`, message: 'upsert, create or update' });
      continue;
    }
    if (!isObject(a.definition)) {
      issues.push({ path: `actions.${i}.definition`, message: 'an achievement definition object' });
      continue;
    }
    actions.push({ mode, definition: a.definition });
  }
  if (issues.length > 0) return { actions, issues };
  await dryRun(ctx.db, async (tx) => {
    try {
      await applyAchievementActions(ctx, tx, actions, 'validation');
    } catch (err) {
      issues.push(...achievementIssues(err));
    }
  });
  return { actions, issues };
}

/**
 * Saves achievement actions in order inside `tx` through `saveAchievements` (the admins' path).
 * Throws DefinitionInvalidError / ConflictError / a not-found rule violation like the admin routes.
 */
export async function applyAchievementActions(
  ctx: Pick<GovernanceContext, 'db'>,
  tx: Parameters<typeof transactionAsDb>[1],
  actions: readonly AchievementAction[],
  actor: string,
) {
  const db = transactionAsDb(ctx.db, tx);
  const saved = [];
  for (const [i, action] of actions.entries()) {
    if (action.mode === 'update') {
      const { rows } = await tx.query('select 1 from ach_achievements where id = $1', [action.definition.id]);
      if (rows.length === 0)
        throw new DefinitionInvalidError([
          {
            path: `actions.${i}.definition.id`,
            message: `no achievement ${String(action.definition.id)} to update`,
          },
        ]);
    }
    saved.push(
      ...(await saveAchievements(db, [action.definition], {
        actor,
        mode: action.mode,
        pathPrefix: () => `actions.${i}.definition`,
      })),
    );
  }
  return saved;
}

function achievementIssues(err: unknown): Issue[] {
  if (err instanceof DefinitionInvalidError) {
    const issues = (err.details?.issues ?? []) as Issue[];
    // Catalogue-wide issues (cycles, tiers) are reported by achievement id, not by action.
    return issues.map((i) =>
      i.path.startsWith('actions.') ? i : { path: 'actions', message: `${i.path}: ${i.message}` },
    );
  }
  if (err instanceof BaseError && err.code === 'ACH_ACHIEVEMENT_EXISTS')
    return [{ path: 'actions', message: err.message }];
  throw err;
}

const HEX_DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const WEI = /^\d{1,78}$/;

async function onchainActions(ctx: GovernanceContext, list: unknown[], issues: Issue[]) {
  const actions: OnchainAction[] = [];
  for (const [i, a] of list.entries()) {
    if (!isObject(a)) {
      issues.push({ path: `actions.${i}`, message: 'an object { to, data, value }' });
      continue;
    }
    for (const k of Object.keys(a))
      if (k !== 'to' && k !== 'data' && k !== 'value')
        issues.push({ path: `actions.${i}.${k}`, message: 'unknown field' });
    const to = normalizeAddress(a.to);
    if (!to) issues.push({ path: `actions.${i}.to`, message: 'a contract address' });
    if (typeof a.data !== 'string' || !HEX_DATA.test(a.data) || a.data.length > 2 + 2 * 65_536)
      issues.push({
        path: `actions.${i}.data`,
        message: 'calldata: 0x and whole bytes of hex (at most 64 KiB)',
      });
    const value = a.value === undefined ? '0' : typeof a.value === 'number' ? String(a.value) : a.value;
    if (typeof value !== 'string' || !WEI.test(value))
      issues.push({ path: `actions.${i}.value`, message: 'wei as a decimal string' });
    if (to && typeof a.data === 'string' && typeof value === 'string')
      actions.push({ to, data: (a.data as string).toLowerCase(), value });
  }
  if (issues.length > 0) return { actions, issues };
  if (!ctx.onchain)
    throw ruleViolation(
      'GOV_ONCHAIN_DISABLED',
      'this deployment has no on-chain executor: onchain_call proposals are refused',
    );
  if (ctx.onchain.simulate) {
    for (const [i, action] of actions.entries()) {
      const issue = await dryRunIssue(ctx.onchain.simulate.bind(ctx.onchain), action, i);
      if (issue) issues.push(issue);
    }
  }
  return { actions, issues };
}

/**
 * The issue of action `i` when its dry run says it cannot apply now (it reverts, or the executor
 * cannot pay its value), or undefined when it would succeed.
 * @throws UnavailableError `CB_RPC_UNAVAILABLE` (503, retryable) when no node answered the dry run:
 *   an unreachable chain says nothing about the proposal, so it must not be refused for it.
 * @throws the dry run's own error when it failed in another way (see dry-run-failure.ts).
 */
async function dryRunIssue(
  simulate: NonNullable<OnchainCaller['simulate']>,
  action: OnchainAction,
  i: number,
): Promise<Issue | undefined> {
  try {
    await simulate(toCall(action));
    return undefined;
  } catch (err) {
    const failure = dryRunFailure(err);
    switch (failure.kind) {
      case 'reverted':
        return { path: `actions.${i}`, message: `the call would revert now: ${failure.reason}` };
      case 'unfunded':
        return {
          path: `actions.${i}`,
          message: `the executor cannot pay the call's value now: ${failure.reason}`,
        };
      case 'unavailable':
        throw new UnavailableError(
          'CB_RPC_UNAVAILABLE',
          `the dry run (eth_call) of actions.${i} got no answer from the chain: ${failure.reason}; retry later`,
          { cause: err, details: { path: `actions.${i}`, reason: failure.reason } },
        );
      case 'unknown':
        throw err;
    }
  }
}

export function toCall(action: OnchainAction): OnchainCall {
  return { to: action.to as Address, data: action.data as Hex, value: BigInt(action.value) };
}

/** The first line of an error (viem's errors are long), at most 300 characters. */
export function shortReason(err: unknown): string {
  const e = err as { shortMessage?: unknown; message?: unknown };
  const text =
    typeof e?.shortMessage === 'string'
      ? e.shortMessage
      : typeof e?.message === 'string'
        ? e.message
        : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
