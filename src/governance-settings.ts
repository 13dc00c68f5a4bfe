/**
 * The governance settings of the configuration (raw strings in `Config`) turned into
 * `createGovernance` options, parsed with the governance module's own parameter parsers. Every bad
 * setting is reported at once, by name, like the rest of the config. Lives at the composition
 * root: the platform's config knows no domain, the domain reads no env.
 */
import { type GovernanceOptions, parameterFromText, type WireParameterName } from './governance/index.ts';
import type { Config } from './platform/config.ts';
import { ConfigError } from './platform/errors.ts';

/** Each parameter default: its setting in Config and its environment variable. */
const DEFAULTS: readonly [WireParameterName, keyof Config, string][] = [
  ['votingDelaySeconds', 'governanceVotingDelaySeconds', 'CB_GOVERNANCE_VOTING_DELAY_SECONDS'],
  ['votingPeriodSeconds', 'governanceVotingPeriodSeconds', 'CB_GOVERNANCE_VOTING_PERIOD_SECONDS'],
  ['quorum', 'governanceQuorum', 'CB_GOVERNANCE_QUORUM'],
  ['approvalThreshold', 'governanceApprovalThreshold', 'CB_GOVERNANCE_APPROVAL_THRESHOLD'],
  ['proposalThreshold', 'governanceProposalThreshold', 'CB_GOVERNANCE_PROPOSAL_THRESHOLD'],
  ['timelockDelaySeconds', 'governanceTimelockSeconds', 'CB_GOVERNANCE_TIMELOCK_SECONDS'],
  ['executionGraceSeconds', 'governanceExecutionGraceSeconds', 'CB_GOVERNANCE_EXECUTION_GRACE_SECONDS'],
  ['lateBallotGraceSeconds', 'governanceLateBallotGraceSeconds', 'CB_GOVERNANCE_LATE_BALLOT_GRACE_SECONDS'],
  ['allowVoteChange', 'governanceAllowVoteChange', 'CB_GOVERNANCE_ALLOW_VOTE_CHANGE'],
  ['categoryMultipliers', 'governanceCategoryMultipliers', 'CB_GOVERNANCE_CATEGORY_MULTIPLIERS'],
  ['tierMultipliers', 'governanceTierMultipliers', 'CB_GOVERNANCE_TIER_MULTIPLIERS'],
];

export function governanceOptionsFromConfig(
  config: Readonly<Config>,
): Pick<GovernanceOptions, 'defaults' | 'powerCacheTtlMs' | 'signatureWorkers'> {
  const issues: { setting: string; message: string }[] = [];
  const defaults: Partial<Record<WireParameterName, unknown>> = {};
  for (const [wire, key, env] of DEFAULTS) {
    const raw = config[key];
    if (typeof raw !== 'string') continue;
    try {
      defaults[wire] = parameterFromText(wire, raw);
    } catch (err) {
      issues.push({ setting: env, message: (err as Error).message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    defaults,
    powerCacheTtlMs: config.governancePowerCacheTtlMs,
    signatureWorkers: config.governanceSignatureWorkers,
  };
}
