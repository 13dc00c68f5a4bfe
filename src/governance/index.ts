/**
 * The governance process system: voting power from badges and delegations, proposals with
 * EIP-712 signed requests, ballots and cancellations, tally and quorum, a timelock, and execution
 * of parameter, achievement and on-chain actions. This file is the domain's public face.
 *
 * Design note
 * - Voting power is derived, never stored: power(a, B) = own badges at B (weights from the
 *   achievement catalogue × category/tier multipliers, scaled ×10^6 as bigint) unless delegated
 *   away + what others delegated to a at B (one hop). Ownership history is the listener's
 *   (`badge_ownership`); delegations are ours, effective from the block after they are recorded, so
 *   a snapshot never moves. Results are cached in the platform cache (`voting-power`) and the whole
 *   namespace is invalidated on any ownership (`onOwnershipChanged`, for the listener) or delegation
 *   change; a scheduled accuracy check recomputes a sample without the cache.
 * - A proposal fixes at creation everything its outcome depends on: snapshot block (latest
 *   confirmed), weight set (by content hash), total power, window (wall-clock seconds), quorum,
 *   approval threshold, vote-change rule, timelock and grace. Its actions are validated then by the
 *   code that will apply them (a rolled-back `saveAchievements`, an `eth_call`).
 * - States are OpenZeppelin Governor's; the clock's transitions run in a once-a-minute job and
 *   lazily before any operation or read touches a proposal, each with the row locked and recorded
 *   (actor, time, reason). Ballots share-lock the row, the result takes it exclusively.
 * - Every ballot is kept with its signature; `verifyTally` (and `cb governance verify`) recomputes
 *   the tally from signatures and ownership history alone.
 * - Seams injected by main.ts: the catalogue, `achievementKey` (slug → on-chain id, the chain
 *   module's `achievementTokenId`), the EIP-712 chain id, a block source (default: the listener's
 *   checkpoint), a contract-signature verifier (viem PublicClient, for ERC-1271 wallets), and an
 *   `OnchainCaller` for on-chain execution.
 *
 * Metrics: cb_proposals{state}, cb_proposals_created_total{type,result},
 * cb_proposal_executions_total{result}, cb_votes_total{support,result}, cb_vote_weight,
 * cb_governance_participation_ratio, cb_voting_power_duration_seconds{cached},
 * cb_voting_power_cache_requests_total{result}, cb_voting_power_checks_total,
 * cb_voting_power_mismatches_total, cb_badges_per_holder. A ballot or creation that throws is
 * counted `refused` (the caller's: a 4xx) or `failed` (the system's: a 5xx), error-result.ts.
 * Errors: GOV_* (errors.ts, docs/errors.md).
 */
export { DECIMALS, formatScaled, parseScaled, SCALE } from './amounts.ts';
export { type CancelInput, cancelProposal } from './cancel-proposal.ts';
export { type BallotInput, type CastVoteResult, castVote, MAX_REASON } from './cast-vote.ts';
export { type BlockSource, checkpointBlocks } from './chain-blocks.ts';
export { type AccuracyReport, checkPowerAccuracy } from './check-power-accuracy.ts';
export type { GovernanceContext } from './context.ts';
export {
  type CreateGovernanceParameters,
  createGovernance,
  type Governance,
  type GovernanceOptions,
} from './create-governance.ts';
export { type CreatedProposal, type CreateProposalInput, createProposal } from './create-proposal.ts';
export {
  type BallotMessage,
  type CancelMessage,
  type DelegationMessage,
  DOMAIN_NAME,
  DOMAIN_VERSION,
  GOVERNANCE_TYPES,
  governanceDomain,
  type ProposalRequestMessage,
  SUPPORT_CODES,
  type Support,
  typedPayload,
} from './eip712.ts';
export { type ExecutionResult, executeProposal } from './execute-proposal.ts';
export {
  badgeDistributionJob,
  governanceTick,
  powerAccuracyJob,
  registerGovernanceJobs,
  tickJob,
} from './jobs.ts';
export type { OnchainCall, OnchainCaller, OnchainCallResult } from './onchain-caller.ts';
export {
  DEFAULT_PARAMETERS,
  type GovernanceParameters,
  parameterFromText,
  parametersToWire,
  readParameters,
  resolveDefaults,
  type WireParameterName,
} from './parameters.ts';
export { PROPOSAL_STATES, PROPOSAL_TYPES, type ProposalState, type ProposalType } from './proposal-shape.ts';
export { getProposal, listBallots, listProposals, votingHistory } from './read-proposals.ts';
export { type ReconcilePowerCacheOptions, reconcilePowerCache } from './reconcile-power-cache.ts';
export { type DelegationInput, type DelegationRecord, recordDelegation } from './record-delegation.ts';
export { governanceRoutes, powerView } from './routes.ts';
export {
  type ContractSignatureVerifier,
  createSignatureVerifier,
  type SignatureVerifier,
} from './verify-signature.ts';
export { type TallyVerification, verifyTally } from './verify-tally.ts';
export { type ViemOnchainCallerParameters, viemOnchainCaller } from './viem-onchain-caller.ts';
export {
  computePowersAt,
  computeVotingPower,
  type PowerBreakdown,
  totalPowerAt,
  VOTING_POWER_NAMESPACE,
} from './voting-power.ts';
export { buildWeightSet, type WeightSet } from './weights.ts';
