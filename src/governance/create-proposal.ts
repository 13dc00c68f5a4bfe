/**
 * Creates a proposal, by a member (an EIP-712 `ProposalRequest` signed by the proposer, whose
 * power at the latest confirmed block must reach the proposal threshold) or by an admin key.
 *
 * Fixed at creation: the snapshot block (the latest confirmed block), the weight set, the total
 * power at the snapshot, the voting window (delay and period in wall-clock seconds), quorum,
 * approval threshold, vote-change rule, timelock and grace periods. Actions are validated now
 * (validate-actions.ts). A member may not set quorum or approval below the parameters in force.
 * The same signed request sent again answers with the proposal it created.
 *
 * Counted in `cb_proposals_created_total{type,result}`: `ok` (a replay is not counted again),
 * `refused` (a check refused the request: the caller's doing), `failed` (the system's: a 5xx).
 */
import type { Address, Hex } from 'viem';
import { memberAddress, uint } from './address.ts';
import { advanceLocked, recordTransition } from './advance-proposal.ts';
import { formatScaled } from './amounts.ts';
import type { GovernanceContext } from './context.ts';
import { domainProblem, governanceDomain, type StatedDomain, typedPayload } from './eip712.ts';
import { errorResult } from './error-result.ts';
import {
  badRequest,
  conflict,
  type Issue,
  proposalInvalid,
  ruleViolation,
  SignatureError,
} from './errors.ts';
import { type GovernanceParameters, parseParameter, readParameters } from './parameters.ts';
import { loadProposal, type ProposalRow } from './proposal-row.ts';
import { PROPOSAL_TYPES, type ProposalType } from './proposal-shape.ts';
import { validateActions } from './validate-actions.ts';
import { totalPowerAt } from './voting-power.ts';
import { storeWeightSet } from './weights.ts';

/** Longest title, characters. */
export const MAX_TITLE = 200;
/** Longest body (markdown), characters. */
export const MAX_BODY = 100_000;

export interface ProposalFields {
  title: unknown;
  body: unknown;
  type: unknown;
  actions: unknown;
  settings?: unknown;
}

/** The signed request of a member, as sent (`actions` and `settings` are JSON text, as signed). */
export interface ProposalRequestInput {
  proposer: unknown;
  title: unknown;
  body: unknown;
  proposalType: unknown;
  actions: unknown;
  settings: unknown;
  nonce: unknown;
}

export type CreateProposalInput =
  | { by: 'admin'; keyName: string; fields: ProposalFields }
  | { by: 'member'; request: ProposalRequestInput; signature: unknown; domain?: StatedDomain | undefined };

export interface CreatedProposal {
  proposal: ProposalRow;
  /** True when this signed request had created the proposal before. */
  replayed: boolean;
}

interface Settings {
  votingDelaySeconds: number;
  votingPeriodSeconds: number;
  quorumPpm: number;
  approvalThresholdPpm: number;
  allowVoteChange: boolean;
}

const SETTING_NAMES = [
  'votingDelaySeconds',
  'votingPeriodSeconds',
  'quorum',
  'approvalThreshold',
  'allowVoteChange',
];

export async function createProposal(
  ctx: GovernanceContext,
  input: CreateProposalInput,
): Promise<CreatedProposal> {
  let typeLabel = 'other';
  try {
    const out = await create(ctx, input, (t) => {
      typeLabel = t;
    });
    if (!out.replayed) ctx.metrics.proposalsCreated.inc({ type: typeLabel, result: 'ok' });
    return out;
  } catch (err) {
    ctx.metrics.proposalsCreated.inc({ type: typeLabel, result: errorResult(err) });
    throw err;
  }
}

async function create(
  ctx: GovernanceContext,
  input: CreateProposalInput,
  setType: (t: string) => void,
): Promise<CreatedProposal> {
  let fields: ProposalFields;
  let proposer: string;
  let nonce: bigint | undefined;
  let signature: string | undefined;
  const issues: Issue[] = [];

  if (input.by === 'member') {
    const r = input.request ?? ({} as ProposalRequestInput);
    if (PROPOSAL_TYPES.includes(r.proposalType as ProposalType)) setType(r.proposalType as string);
    proposer = memberAddress(r.proposer, 'request.proposer');
    nonce = uint(r.nonce, 'request.nonce');
    if (typeof input.signature !== 'string')
      throw badRequest('GOV_REQUEST_INVALID', 'signature is required', [
        { path: 'signature', message: 'a 0x hex string' },
      ]);
    signature = input.signature.toLowerCase();
    for (const k of ['title', 'body', 'proposalType', 'actions', 'settings'] as const)
      if (typeof r[k] !== 'string')
        throw badRequest('GOV_REQUEST_INVALID', `request.${k} must be a string (what was signed)`, [
          { path: `request.${k}`, message: 'a string' },
        ]);
    const problem = domainProblem(input.domain, governanceDomain(ctx.chainId));
    if (problem) throw new SignatureError('GOV_DOMAIN_MISMATCH', problem);

    const replay = await ctx.db.query<{ id: string; request_signature: string }>(
      'select id::text as id, request_signature from gov_proposals where proposer = $1 and request_nonce = $2',
      [proposer, nonce.toString()],
    );
    if (replay.rows[0]) {
      if (replay.rows[0].request_signature === signature)
        return { proposal: await loadProposal(ctx.db, replay.rows[0].id), replayed: true };
      throw conflict('GOV_NONCE_USED', `nonce ${nonce} of ${proposer} was used by another proposal`);
    }
    await ctx.signatures.verify(
      typedPayload(ctx.chainId, 'ProposalRequest', {
        proposer: proposer as Address,
        title: r.title as string,
        body: r.body as string,
        proposalType: r.proposalType as string,
        actions: r.actions as string,
        settings: r.settings as string,
        nonce,
      }),
      proposer,
      signature as Hex,
    );
    fields = {
      title: r.title,
      body: r.body,
      type: r.proposalType,
      actions: parseJson(r.actions as string, 'request.actions', issues),
      settings: parseJson(r.settings as string, 'request.settings', issues) ?? {},
    };
  } else {
    fields = input.fields;
    if (PROPOSAL_TYPES.includes(fields.type as ProposalType)) setType(fields.type as string);
    proposer = `key:${input.keyName}`;
  }

  const title = typeof fields.title === 'string' ? fields.title.trim() : '';
  if (title.length === 0 || title.length > MAX_TITLE)
    issues.push({ path: 'title', message: `1-${MAX_TITLE} characters` });
  if (typeof fields.body !== 'string' || fields.body.length > MAX_BODY)
    issues.push({ path: 'body', message: `markdown text of at most ${MAX_BODY} characters` });
  const type = fields.type as ProposalType;
  if (!PROPOSAL_TYPES.includes(type))
    issues.push({ path: 'type', message: `one of ${PROPOSAL_TYPES.join(', ')}` });

  const params = await readParameters(ctx.db, ctx.defaults);
  const settings = parseSettings(fields.settings, params, input.by === 'member', issues);
  if (issues.length > 0) throw proposalInvalid(issues);
  const { actions, issues: actionIssues } = await validateActions(ctx, type, fields.actions);
  if (actionIssues.length > 0) throw proposalInvalid(actionIssues);

  const snapshot = await ctx.blocks.latestConfirmed();
  const weights = await ctx.weights.current(params);
  if (input.by === 'member') {
    const power = await ctx.power.at(proposer, snapshot, weights);
    if (power.total < params.proposalThreshold)
      throw ruleViolation(
        'GOV_BELOW_PROPOSAL_THRESHOLD',
        `proposing needs a voting power of ${formatScaled(params.proposalThreshold)} at block ${snapshot}; ${proposer} has ${formatScaled(power.total)}`,
        {
          required: formatScaled(params.proposalThreshold),
          power: formatScaled(power.total),
          block: snapshot.toString(),
        },
      );
  }
  const totalPower = await totalPowerAt(ctx.db, snapshot, weights);
  const now = ctx.now();
  const startsAt = new Date(now.getTime() + settings.votingDelaySeconds * 1000);
  const endsAt = new Date(startsAt.getTime() + settings.votingPeriodSeconds * 1000);
  const actor = proposer;

  let proposal: ProposalRow;
  try {
    proposal = await ctx.db.transaction(async (tx) => {
      await storeWeightSet(tx, weights);
      const { rows } = await tx.query<{ id: string }>(
        `insert into gov_proposals (title, body, type, actions, proposer, proposer_kind, request_nonce, request_signature,
           chain_id, snapshot_block, weight_set, total_power, quorum_ppm, approval_ppm, allow_vote_change,
           voting_starts_at, voting_ends_at, late_ballot_grace_seconds, timelock_delay_seconds, execution_grace_seconds,
           state, next_due_at, created_at)
         values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
           'pending', $16, $21)
         returning id::text as id`,
        [
          title,
          fields.body,
          type,
          JSON.stringify(actions),
          proposer,
          input.by,
          nonce?.toString() ?? null,
          signature ?? null,
          ctx.chainId,
          snapshot.toString(),
          weights.hash,
          totalPower.toString(),
          settings.quorumPpm,
          settings.approvalThresholdPpm,
          settings.allowVoteChange,
          startsAt,
          endsAt,
          params.lateBallotGraceSeconds,
          params.timelockDelaySeconds,
          params.executionGraceSeconds,
          now,
        ],
      );
      const id = rows[0]!.id;
      await recordTransition(tx, id, null, 'pending', actor, now, 'created');
      // A voting delay of 0 opens voting at once (recorded as the clock's transition).
      return advanceLocked(ctx, tx, await loadProposal(tx, id, 'for update'), now);
    });
  } catch (err) {
    // The same signed request sent twice at once: the second finds the first's proposal.
    if (nonce !== undefined && (err as { code?: unknown }).code === '23505') {
      const again = await ctx.db.query<{ id: string; request_signature: string }>(
        'select id::text as id, request_signature from gov_proposals where proposer = $1 and request_nonce = $2',
        [proposer, nonce.toString()],
      );
      if (again.rows[0]?.request_signature === signature)
        return { proposal: await loadProposal(ctx.db, again.rows[0]!.id), replayed: true };
    }
    throw err;
  }
  ctx.logger.info(`proposal ${proposal.id} created`, {
    ...(input.by === 'member' ? { userId: proposer } : {}),
    context: {
      proposalId: proposal.id,
      type,
      proposer,
      snapshotBlock: snapshot.toString(),
      totalPower: formatScaled(totalPower),
      actions: actions.length,
      state: proposal.state,
    },
  });
  return { proposal, replayed: false };
}

function parseJson(text: string, path: string, issues: Issue[]): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    issues.push({ path, message: 'not valid JSON' });
    return undefined;
  }
}

function parseSettings(
  raw: unknown,
  params: GovernanceParameters,
  member: boolean,
  issues: Issue[],
): Settings {
  const out: Settings = {
    votingDelaySeconds: params.votingDelaySeconds,
    votingPeriodSeconds: params.votingPeriodSeconds,
    quorumPpm: params.quorumPpm,
    approvalThresholdPpm: params.approvalThresholdPpm,
    allowVoteChange: params.allowVoteChange,
  };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push({ path: 'settings', message: `an object with any of ${SETTING_NAMES.join(', ')}` });
    return out;
  }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!SETTING_NAMES.includes(k)) {
      issues.push({ path: `settings.${k}`, message: `unknown setting; one of ${SETTING_NAMES.join(', ')}` });
      continue;
    }
    const parsed = parseParameter(k, v, 'settings');
    if (!parsed.ok) {
      issues.push({ path: `settings.${k}`, message: parsed.issue.message });
      continue;
    }
    (out as unknown as Record<string, unknown>)[parsed.name] = parsed.value;
  }
  if (member && out.quorumPpm < params.quorumPpm)
    issues.push({
      path: 'settings.quorum',
      message: `a member proposal cannot lower the quorum below ${formatScaled(BigInt(params.quorumPpm))}`,
    });
  if (member && out.approvalThresholdPpm < params.approvalThresholdPpm)
    issues.push({
      path: 'settings.approvalThreshold',
      message: `a member proposal cannot lower the approval threshold below ${formatScaled(BigInt(params.approvalThresholdPpm))}`,
    });
  return out;
}
