/**
 * Cancels a proposal: its proposer (an EIP-712 `Cancel` signed by the proposer's address) while it
 * is pending or active, or a guardian key (scope `governance:guardian`) in any state before
 * execution (pending, active, succeeded, queued) — the timelock's canceller role.
 */
import type { Address, Hex } from 'viem';
import { memberAddress } from './address.ts';
import { advanceLocked, move } from './advance-proposal.ts';
import type { GovernanceContext } from './context.ts';
import { domainProblem, governanceDomain, type StatedDomain, typedPayload } from './eip712.ts';
import { badRequest, conflict, notProposer, SignatureError } from './errors.ts';
import { STALE_RUNNING_MS } from './execute-proposal.ts';
import { loadProposal, type ProposalRow } from './proposal-row.ts';
import type { ProposalState } from './proposal-shape.ts';

export type CancelInput =
  | {
      by: 'proposer';
      proposer: unknown;
      signature: unknown;
      reason?: unknown;
      domain?: StatedDomain | undefined;
    }
  | { by: 'guardian'; keyName: string; reason?: unknown };

const BY_PROPOSER: readonly ProposalState[] = ['pending', 'active'];
const BY_GUARDIAN: readonly ProposalState[] = ['pending', 'active', 'succeeded', 'queued'];

export async function cancelProposal(
  ctx: GovernanceContext,
  id: string,
  input: CancelInput,
): Promise<ProposalRow> {
  let actor: string;
  const p = await loadProposal(ctx.db, id);
  if (input.by === 'proposer') {
    const proposer = memberAddress(input.proposer, 'proposer');
    if (typeof input.signature !== 'string')
      throw badRequest('GOV_REQUEST_INVALID', 'signature is required', [
        { path: 'signature', message: 'a 0x hex string' },
      ]);
    const problem = domainProblem(input.domain, governanceDomain(Number(p.chain_id)));
    if (problem) throw new SignatureError('GOV_DOMAIN_MISMATCH', problem);
    await ctx.signatures.verify(
      typedPayload(Number(p.chain_id), 'Cancel', { proposalId: BigInt(p.id), proposer: proposer as Address }),
      proposer,
      input.signature as Hex,
    );
    if (p.proposer_kind !== 'member' || p.proposer !== proposer) throw notProposer();
    actor = proposer;
  } else actor = `key:${input.keyName}`;
  const allowed = input.by === 'proposer' ? BY_PROPOSER : BY_GUARDIAN;
  const reason =
    typeof input.reason === 'string' && input.reason.trim() !== ''
      ? input.reason.trim().slice(0, 500)
      : `canceled by the ${input.by}`;

  const now = ctx.now();
  const canceled = await ctx.db.transaction(async (tx) => {
    const current = await advanceLocked(ctx, tx, await loadProposal(tx, id, 'for update'), now);
    if (current.last_execution_status === 'running') {
      const { rows } = await tx.query<{ started_at: Date }>(
        `select started_at from gov_executions where proposal_id = $1 and status = 'running' order by attempt desc limit 1`,
        [id],
      );
      const started = rows[0]?.started_at;
      if (started && now.getTime() - started.getTime() < STALE_RUNNING_MS)
        throw conflict(
          'GOV_EXECUTION_IN_PROGRESS',
          `proposal ${id} is being executed; cancel it once the attempt ended`,
        );
    }
    if (!allowed.includes(current.state))
      throw conflict(
        'GOV_CANCEL_NOT_ALLOWED',
        `a ${current.state} proposal cannot be canceled by the ${input.by} (allowed in: ${allowed.join(', ')})`,
        { state: current.state },
      );
    return move(tx, current, 'canceled', now, reason, { next_due_at: null }, actor);
  });
  ctx.logger.info(`proposal ${id} canceled`, {
    ...(input.by === 'proposer' ? { userId: actor } : {}),
    context: { proposalId: id, actor, reason, from: p.state },
  });
  return canceled;
}
