/**
 * What the governance operations share: built once by `createGovernance`, passed explicitly.
 */
import type { SavedAchievement } from '../achievements/index.ts';
import type { Db } from '../platform/db/create-db.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { BallotStore } from './ballot-store.ts';
import type { BlockSource } from './chain-blocks.ts';
import type { OnchainCaller } from './onchain-caller.ts';
import type { GovernanceParameters } from './parameters.ts';
import type { SignatureVerifier } from './verify-signature.ts';
import type { VotingPower } from './voting-power.ts';
import type { WeightCatalogue, WeightSets } from './weights.ts';

export interface GovernanceContext {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  /** Chain id of the EIP-712 domain new proposals and delegations are signed for. */
  chainId: number;
  blocks: BlockSource;
  power: VotingPower;
  /** Ballot reads and writes, batched across concurrent ballots. */
  ballots: BallotStore;
  weights: WeightSets;
  signatures: SignatureVerifier;
  /** Parameters in force when `gov_parameters` has no row for them. */
  defaults: GovernanceParameters;
  /** Wall clock (tests move it). */
  now: () => Date;
  /** The achievement catalogue (for achievement_change validation and weights). */
  catalogue: () => Promise<WeightCatalogue>;
  /** Called after an executed achievement_change committed (enqueue retroactive runs). */
  onAchievementsSaved: ((saved: SavedAchievement[]) => Promise<void>) | undefined;
  /** Sends on-chain calls; undefined: onchain_call proposals are refused. */
  onchain: OnchainCaller | undefined;
}
