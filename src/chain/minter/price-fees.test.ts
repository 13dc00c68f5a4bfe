import type { FeeHistory } from 'viem';
import { describe, expect, test } from 'vitest';
import { bumpFees } from './bump-fees.ts';
import { type FeePolicy, feesFromHistory } from './price-fees.ts';

const GWEI = 1_000_000_000n;
const policy: FeePolicy = {
  maxFeePerGas: 100n * GWEI,
  baseFeeMultiplier: 2,
  priorityFeePercentile: 50,
  feeHistoryBlocks: 4,
  minPriorityFeePerGas: GWEI / 10n,
};
const history = (baseFees: bigint[], rewards: bigint[]): FeeHistory => ({
  baseFeePerGas: baseFees,
  gasUsedRatio: rewards.map(() => 0.5),
  oldestBlock: 1n,
  reward: rewards.map((r) => [r]),
});

describe('feesFromHistory', () => {
  test('default: next base fee × 2 + median reward', () => {
    const fees = feesFromHistory(
      history([10n * GWEI, 12n * GWEI, 11n * GWEI], [1n * GWEI, 3n * GWEI, 2n * GWEI]),
      policy,
    );
    expect(fees).toEqual({
      aboveCap: false,
      baseFeePerGas: 11n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
      maxFeePerGas: 24n * GWEI,
    });
  });

  test('behavior: empty blocks (no rewards) use the floor', () => {
    const fees = feesFromHistory(history([GWEI, GWEI], [0n]), policy);
    expect(fees).toMatchObject({ maxPriorityFeePerGas: GWEI / 10n, maxFeePerGas: 2n * GWEI + GWEI / 10n });
  });

  test('behavior: the max fee is clamped to the cap while base + priority fit under it', () => {
    const fees = feesFromHistory(history([80n * GWEI], []), policy);
    expect(fees).toMatchObject({ aboveCap: false, maxFeePerGas: 100n * GWEI });
  });

  test('behavior: above the cap when base fee + priority fee alone exceed it', () => {
    const fees = feesFromHistory(history([100n * GWEI], []), policy);
    expect(fees).toEqual({
      aboveCap: true,
      baseFeePerGas: 100n * GWEI,
      maxPriorityFeePerGas: GWEI / 10n,
      neededFeePerGas: 100n * GWEI + GWEI / 10n,
    });
  });
});

describe('bumpFees', () => {
  const market = feesFromHistory(history([GWEI], []), policy); // 2.1 gwei max, 0.1 gwei tip
  test('default: both fees +12.5 % when the market is lower', () => {
    const bumped = bumpFees(
      { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI },
      market,
      12.5,
      policy.maxFeePerGas,
    );
    expect(bumped).toEqual({ maxFeePerGas: 22_500_000_000n, maxPriorityFeePerGas: 2_250_000_000n });
  });

  test('behavior: at least 10 % on each field, rounded up, even for tiny fees', () => {
    const bumped = bumpFees(
      { maxFeePerGas: 7n, maxPriorityFeePerGas: 0n },
      { aboveCap: false, baseFeePerGas: 0n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
      10,
      1000n,
    );
    expect(bumped!.maxFeePerGas).toBeGreaterThanOrEqual(8n);
    expect(bumped!.maxPriorityFeePerGas).toBe(1n);
  });

  test('behavior: follows the market when it rose more than the bump', () => {
    const high = feesFromHistory(history([30n * GWEI], [5n * GWEI]), policy);
    const bumped = bumpFees(
      { maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 1n * GWEI },
      high,
      12.5,
      policy.maxFeePerGas,
    );
    expect(bumped).toEqual({ maxFeePerGas: 65n * GWEI, maxPriorityFeePerGas: 5n * GWEI });
  });

  test('behavior: capped: never above the cap; undefined when even the minimal bump exceeds it', () => {
    const near = bumpFees(
      { maxFeePerGas: 90n * GWEI, maxPriorityFeePerGas: GWEI },
      market,
      10,
      policy.maxFeePerGas,
    );
    expect(near).toEqual({ maxFeePerGas: 99n * GWEI, maxPriorityFeePerGas: 1_100_000_000n });
    expect(
      bumpFees({ maxFeePerGas: 95n * GWEI, maxPriorityFeePerGas: GWEI }, market, 10, policy.maxFeePerGas),
    ).toBeUndefined();
  });
});
