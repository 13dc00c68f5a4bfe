import { describe, expect, it } from 'vitest';
import { resolveDefaults } from './governance/index.ts';
import { governanceOptionsFromConfig } from './governance-settings.ts';
import { loadConfig } from './platform/config.ts';
import { ConfigError } from './platform/errors.ts';

describe('the CB_GOVERNANCE_* settings', () => {
  it('become the governance defaults, worker count and power cache lifetime', () => {
    const options = governanceOptionsFromConfig(
      loadConfig({
        CB_GOVERNANCE_VOTING_DELAY_SECONDS: '0',
        CB_GOVERNANCE_VOTING_PERIOD_SECONDS: '3600',
        CB_GOVERNANCE_QUORUM: '0.1',
        CB_GOVERNANCE_APPROVAL_THRESHOLD: '0.66',
        CB_GOVERNANCE_PROPOSAL_THRESHOLD: '2.5',
        CB_GOVERNANCE_TIMELOCK_SECONDS: '60',
        CB_GOVERNANCE_EXECUTION_GRACE_SECONDS: '600',
        CB_GOVERNANCE_LATE_BALLOT_GRACE_SECONDS: '5',
        CB_GOVERNANCE_ALLOW_VOTE_CHANGE: 'no',
        CB_GOVERNANCE_CATEGORY_MULTIPLIERS: 'code=2, review=1.5',
        CB_GOVERNANCE_TIER_MULTIPLIERS: 'gold=3,silver=2',
        CB_GOVERNANCE_POWER_CACHE_TTL_MS: '5000',
        CB_GOVERNANCE_SIGNATURE_WORKERS: '2',
      }),
    );
    expect(options.powerCacheTtlMs).toBe(5000);
    expect(options.signatureWorkers).toBe(2);
    expect(resolveDefaults(options.defaults)).toEqual({
      votingDelaySeconds: 0,
      votingPeriodSeconds: 3600,
      quorumPpm: 100_000,
      approvalThresholdPpm: 660_000,
      proposalThreshold: 2_500_000n,
      timelockDelaySeconds: 60,
      executionGraceSeconds: 600,
      lateBallotGraceSeconds: 5,
      allowVoteChange: false,
      categoryMultipliers: { code: 2_000_000n, review: 1_500_000n },
      tierMultipliers: { gold: 3_000_000n, silver: 2_000_000n },
    });
  });

  it('leave the built-in defaults when unset', () => {
    const options = governanceOptionsFromConfig(loadConfig({}));
    expect(options.defaults).toEqual({});
    expect(options.signatureWorkers).toBe(0);
    expect(options.powerCacheTtlMs).toBe(600_000);
  });

  it('report every bad value at once, by variable', () => {
    let error: unknown;
    try {
      governanceOptionsFromConfig(
        loadConfig({
          CB_GOVERNANCE_QUORUM: '1.5',
          CB_GOVERNANCE_VOTING_PERIOD_SECONDS: 'a week',
          CB_GOVERNANCE_ALLOW_VOTE_CHANGE: 'maybe',
          CB_GOVERNANCE_TIER_MULTIPLIERS: 'platinum=2',
          CB_GOVERNANCE_CATEGORY_MULTIPLIERS: 'code:2',
        }),
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.setting).sort()).toEqual([
      'CB_GOVERNANCE_ALLOW_VOTE_CHANGE',
      'CB_GOVERNANCE_CATEGORY_MULTIPLIERS',
      'CB_GOVERNANCE_QUORUM',
      'CB_GOVERNANCE_TIER_MULTIPLIERS',
      'CB_GOVERNANCE_VOTING_PERIOD_SECONDS',
    ]);
    expect(() => loadConfig({ CB_GOVERNANCE_SIGNATURE_WORKERS: '-1' })).toThrow(ConfigError);
  });
});
