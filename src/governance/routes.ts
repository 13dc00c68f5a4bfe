/**
 * HTTP routes of governance (see docs/governance.md for bodies and examples):
 *
 * - `GET /v1/governance` — EIP-712 domain and types, parameters in force, latest blocks.
 * - `GET /v1/voting-power/:address?block=N` — total and breakdown (per badge, per delegation).
 * - `POST /v1/delegations` (signed `Delegation`) · `GET /v1/delegations/:address`.
 * - `POST /v1/proposals` — a signed `ProposalRequest` from a member, or an admin key
 *   (`governance:admin`) with plain fields · `GET /v1/proposals?state=&cursor=` ·
 *   `GET /v1/proposals/:id?voter=0x…`.
 * - `POST /v1/proposals/:id/votes` (signed `Ballot`) · `GET /v1/proposals/:id/votes`.
 * - `POST /v1/proposals/:id/cancel` — a signed `Cancel` from the proposer, or a guardian key
 *   (`governance:guardian`).
 * - `POST /v1/proposals/:id/execute` (`governance:admin`) — executes a queued proposal, or retries
 *   a failed execution.
 * - `GET /v1/users/:address/votes` — a member's voting history.
 *
 * Signed requests are public routes: the signature is the credential. The two routes that take
 * either a signature or a key read the key themselves (public routes are not identified by the
 * auth plugin), with the same headers and scope rules.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type ApiKeys, type Scope, scopeAllows, type VerifiedApiKey } from '../platform/apikeys/index.ts';
import { ForbiddenError, UnauthorizedError } from '../platform/errors.ts';
import { memberAddress } from './address.ts';
import { formatScaled } from './amounts.ts';
import { type CancelInput, cancelProposal } from './cancel-proposal.ts';
import { castVote } from './cast-vote.ts';
import type { GovernanceContext } from './context.ts';
import { createProposal } from './create-proposal.ts';
import { GOVERNANCE_TYPES, governanceDomain, type StatedDomain } from './eip712.ts';
import { ruleViolation } from './errors.ts';
import { executeProposal } from './execute-proposal.ts';
import { parametersToWire, readParameters } from './parameters.ts';
import { proposalView } from './proposal-row.ts';
import { PROPOSAL_STATES, type ProposalState } from './proposal-shape.ts';
import { getProposal, listBallots, listProposals, votingHistory } from './read-proposals.ts';
import { recordDelegation } from './record-delegation.ts';
import type { PowerBreakdown } from './voting-power.ts';

export interface GovernanceRoutesDeps {
  ctx: GovernanceContext;
  apiKeys: Pick<ApiKeys, 'verify'>;
}

const Loose = Type.Object({}, { additionalProperties: true });
const Id = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });
const AddressParam = Type.Object({ address: Type.String({ description: '0x address, any case' }) });
const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String()),
};

/** The key presented on a public route, verified; undefined when none was sent. */
async function callerKey(request: FastifyRequest, apiKeys: GovernanceRoutesDeps['apiKeys']) {
  let presented: string | undefined;
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (bearer) presented = bearer[1];
  else {
    const header = request.headers['x-api-key'];
    if (typeof header === 'string' && header.trim() !== '') presented = header.trim();
  }
  if (presented === undefined) return undefined;
  // Acting on a key, not a signature: the audit trail records the call (acceptsKey routes).
  request.keyUsed = true;
  const key = await apiKeys.verify(presented);
  if (!key) throw new UnauthorizedError('the API key is malformed, unknown or revoked');
  return key;
}

function requireScope(key: VerifiedApiKey | undefined, scope: Scope, what: string): VerifiedApiKey {
  if (!key) throw new UnauthorizedError(`${what} needs a signature or an API key with the scope "${scope}"`);
  if (!scopeAllows(key.scopes, scope))
    throw new ForbiddenError(`this API key lacks the scope "${scope}"`, 'CB_FORBIDDEN', {
      requiredScope: scope,
    });
  return key;
}

export function powerView(p: PowerBreakdown) {
  return {
    address: p.address,
    block: p.block.toString(),
    weightSet: p.weightSet,
    total: formatScaled(p.total),
    own: formatScaled(p.own),
    ownCounted: p.delegatedTo === null,
    delegatedTo: p.delegatedTo,
    badges: p.badges.map((b) => ({
      tokenId: b.tokenId,
      achievementId: b.achievementId,
      weight: formatScaled(b.weight),
    })),
    delegations: p.delegations.map((d) => ({ delegator: d.delegator, power: formatScaled(d.power) })),
  };
}

export function governanceRoutes(deps: GovernanceRoutesDeps): FastifyPluginAsync {
  const { ctx, apiKeys } = deps;
  return async (app) => {
    app.get(
      '/v1/governance',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary:
            'The EIP-712 domain and types to sign with, the parameters in force and the latest blocks.',
        },
      },
      async () => {
        const [params, indexed, confirmed] = await Promise.all([
          readParameters(ctx.db, ctx.defaults),
          ctx.blocks.latestIndexed(),
          ctx.blocks.latestConfirmed(),
        ]);
        return {
          domain: governanceDomain(ctx.chainId),
          types: GOVERNANCE_TYPES,
          parameters: parametersToWire(params),
          latestIndexedBlock: indexed.toString(),
          latestConfirmedBlock: confirmed.toString(),
        };
      },
    );

    app.get(
      '/v1/voting-power/:address',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary:
            "A member's voting power at a block (default: the latest confirmed) with a breakdown per badge and per delegation.",
          params: AddressParam,
          querystring: Type.Object({ block: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })) }),
        },
      },
      async (request) => {
        const address = memberAddress((request.params as { address: string }).address, 'address');
        const q = request.query as { block?: string };
        const indexed = await ctx.blocks.latestIndexed();
        const block = q.block === undefined ? await ctx.blocks.latestConfirmed() : BigInt(q.block);
        if (block > indexed)
          throw ruleViolation(
            'GOV_BLOCK_NOT_INDEXED',
            `block ${block} is not indexed yet (latest: ${indexed})`,
            {
              latestIndexedBlock: indexed.toString(),
            },
          );
        const weights = await ctx.weights.current(await readParameters(ctx.db, ctx.defaults));
        return powerView(await ctx.power.at(address, block, weights));
      },
    );

    app.post(
      '/v1/delegations',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary:
            'Delegate (or revoke: delegatee 0x000…0) all of your own badge power, signed by the delegator (EIP-712 Delegation).',
          body: Type.Object({
            delegator: Type.String(),
            delegatee: Type.String(),
            nonce: Type.Union([Type.String(), Type.Integer()]),
            expiry: Type.Union([Type.String(), Type.Integer()]),
            signature: Type.String(),
            domain: Type.Optional(Loose),
          }),
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        const record = await recordDelegation(ctx, {
          delegator: body.delegator,
          delegatee: body.delegatee,
          nonce: body.nonce,
          expiry: body.expiry,
          signature: body.signature,
          domain: body.domain as StatedDomain | undefined,
        });
        reply.code(record.replayed ? 200 : 201);
        return record;
      },
    );

    app.get(
      '/v1/delegations/:address',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary: "A member's delegations: given (newest first) and received (open ones).",
          params: AddressParam,
        },
      },
      async (request) => {
        const address = memberAddress((request.params as { address: string }).address, 'address');
        const [given, received] = await Promise.all([
          ctx.db.query<{ delegatee: string; from_block: string; to_block: string | null; nonce: string }>(
            `select delegatee, from_block::text as from_block, to_block::text as to_block, nonce::text as nonce
               from gov_delegations where delegator = $1 order by gov_delegations.from_block desc, gov_delegations.id desc limit 50`,
            [address],
          ),
          ctx.db.query<{ delegator: string; from_block: string }>(
            `select delegator, from_block::text as from_block from gov_delegations
              where delegatee = $1 and to_block is null order by delegator`,
            [address],
          ),
        ]);
        return {
          address,
          given: given.rows.map((r) => ({
            delegatee: r.delegatee,
            fromBlock: r.from_block,
            toBlock: r.to_block,
            nonce: r.nonce,
          })),
          received: received.rows.map((r) => ({ delegator: r.delegator, fromBlock: r.from_block })),
        };
      },
    );

    app.post(
      '/v1/proposals',
      {
        config: { scope: 'public', acceptsKey: true },
        schema: {
          tags: ['governance'],
          summary:
            'Create a proposal: { request, signature } signed by a member (EIP-712 ProposalRequest), or { title, body, type, actions, settings } with a governance:admin key.',
          body: Loose,
        },
      },
      async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        const created =
          body.signature !== undefined
            ? await createProposal(ctx, {
                by: 'member',
                request: (body.request ?? {}) as never,
                signature: body.signature,
                domain: body.domain as StatedDomain | undefined,
              })
            : await createProposal(ctx, {
                by: 'admin',
                keyName: requireScope(
                  await callerKey(request, apiKeys),
                  'governance:admin',
                  'creating a proposal',
                ).name,
                fields: {
                  title: body.title,
                  body: body.body,
                  type: body.type,
                  actions: body.actions,
                  settings: body.settings,
                },
              });
        reply.code(created.replayed ? 200 : 201);
        return { ...proposalView(created.proposal), replayed: created.replayed };
      },
    );

    app.get(
      '/v1/proposals',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary: 'Proposals, newest first, optionally of one state, with their live tally.',
          querystring: Type.Object({
            state: Type.Optional(Type.Union(PROPOSAL_STATES.map((s) => Type.Literal(s)))),
            ...Paging,
          }),
        },
      },
      async (request) => {
        const q = request.query as { state?: ProposalState; limit?: number; cursor?: string };
        return listProposals(ctx, { state: q.state, limit: q.limit ?? 50, cursor: q.cursor });
      },
    );

    app.get(
      '/v1/proposals/:id',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary:
            'A proposal with its live tally, transitions, executions and (with ?voter=) that voter’s vote.',
          params: Id,
          querystring: Type.Object({ voter: Type.Optional(Type.String()) }),
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { voter } = request.query as { voter?: string };
        return getProposal(ctx, id, voter === undefined ? undefined : memberAddress(voter, 'voter'));
      },
    );

    app.post(
      '/v1/proposals/:id/votes',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary: 'Cast (or change) a vote: an EIP-712 Ballot signed by the voter.',
          params: Id,
          body: Type.Object({
            voter: Type.String(),
            support: Type.Union([Type.String(), Type.Integer()]),
            reason: Type.Optional(Type.String()),
            nonce: Type.Union([Type.String(), Type.Integer()]),
            signature: Type.String(),
            domain: Type.Optional(Loose),
          }),
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const body = request.body as Record<string, unknown>;
        const r = await castVote(ctx, id, {
          voter: body.voter,
          support: body.support,
          reason: body.reason,
          nonce: body.nonce,
          signature: body.signature,
          domain: body.domain as StatedDomain | undefined,
        });
        reply.code(r.replayed ? 200 : 201);
        return { ...r, weight: formatScaled(r.weight) };
      },
    );

    app.get(
      '/v1/proposals/:id/votes',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary: 'Every ballot of a proposal (superseded ones too) with its signature, oldest first.',
          params: Id,
          querystring: Type.Object(Paging),
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const q = request.query as { limit?: number; cursor?: string };
        return listBallots(ctx, id, { limit: q.limit ?? 50, cursor: q.cursor });
      },
    );

    app.post(
      '/v1/proposals/:id/cancel',
      {
        config: { scope: 'public', acceptsKey: true },
        schema: {
          tags: ['governance'],
          summary:
            'Cancel: { proposer, signature } (EIP-712 Cancel) while pending or active, or a governance:guardian key before execution.',
          params: Id,
          body: Type.Optional(Loose),
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const body = (request.body ?? {}) as Record<string, unknown>;
        const input: CancelInput =
          body.signature !== undefined
            ? {
                by: 'proposer',
                proposer: body.proposer,
                signature: body.signature,
                reason: body.reason,
                domain: body.domain as StatedDomain | undefined,
              }
            : {
                by: 'guardian',
                keyName: requireScope(
                  await callerKey(request, apiKeys),
                  'governance:guardian',
                  'canceling a proposal',
                ).name,
                reason: body.reason,
              };
        return proposalView(await cancelProposal(ctx, id, input));
      },
    );

    app.post(
      '/v1/proposals/:id/execute',
      {
        config: { scope: 'governance:admin' },
        schema: {
          tags: ['governance'],
          summary: 'Execute a queued proposal whose timelock passed, or retry a failed execution.',
          params: Id,
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        return executeProposal(ctx, id, `key:${request.apiKey?.name ?? 'unknown'}`);
      },
    );

    app.get(
      '/v1/users/:address/votes',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['governance'],
          summary: "A member's voting history: the vote that counts on each proposal, newest first.",
          params: AddressParam,
          querystring: Type.Object(Paging),
        },
      },
      async (request) => {
        const address = memberAddress((request.params as { address: string }).address, 'address');
        const q = request.query as { limit?: number; cursor?: string };
        return votingHistory(ctx, address, { limit: q.limit ?? 50, cursor: q.cursor });
      },
    );
  };
}
