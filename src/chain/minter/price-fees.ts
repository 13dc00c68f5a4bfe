import type { FeeHistory, PublicClient } from 'viem';

/** How EIP-1559 fees are derived from `eth_feeHistory`. */
export interface FeePolicy {
  /** Highest maxFeePerGas ever signed, in wei (`mintMaxFeeGwei` × 10⁹). */
  maxFeePerGas: bigint;
  /** maxFeePerGas = next base fee × this + priority fee (headroom for base-fee rises). @defaultValue 2 */
  baseFeeMultiplier: number;
  /** Priority fee = this percentile of recent blocks' rewards (median across the blocks). @defaultValue 50 */
  priorityFeePercentile: number;
  /** Blocks of history asked. @defaultValue 10 */
  feeHistoryBlocks: number;
  /** Floor of the priority fee, in wei (empty blocks report 0). @defaultValue 100000000 (0.1 gwei) */
  minPriorityFeePerGas: bigint;
}

export type PricedFees =
  | {
      aboveCap: false;
      maxFeePerGas: bigint;
      maxPriorityFeePerGas: bigint;
      /** The next block's base fee. */
      baseFeePerGas: bigint;
    }
  | {
      /** Even the next block's base fee plus the priority fee exceeds the cap: wait, do not overpay. */
      aboveCap: true;
      /** What one transaction would need at least (base fee + priority fee). */
      neededFeePerGas: bigint;
      maxPriorityFeePerGas: bigint;
      baseFeePerGas: bigint;
    };

/**
 * Fees for the next transaction from a fee history: priority fee = median over the blocks of the
 * reward percentile (at least the floor); maxFeePerGas = next base fee × multiplier + priority fee,
 * clamped to the cap. Above the cap only when base fee + priority fee alone exceed it — then no
 * fee under the cap can be included, and the minter waits.
 */
export function feesFromHistory(history: FeeHistory, policy: FeePolicy): PricedFees {
  const baseFeePerGas = history.baseFeePerGas.at(-1) ?? 0n;
  const rewards = (history.reward ?? [])
    .map((r) => r[0])
    .filter((r): r is bigint => r !== undefined && r > 0n)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = rewards.length === 0 ? 0n : rewards[Math.floor((rewards.length - 1) / 2)]!;
  const maxPriorityFeePerGas = median > policy.minPriorityFeePerGas ? median : policy.minPriorityFeePerGas;
  const needed = baseFeePerGas + maxPriorityFeePerGas;
  if (needed > policy.maxFeePerGas)
    return { aboveCap: true, neededFeePerGas: needed, maxPriorityFeePerGas, baseFeePerGas };
  const multiplied = scale(baseFeePerGas, policy.baseFeeMultiplier) + maxPriorityFeePerGas;
  return {
    aboveCap: false,
    maxFeePerGas: minBigint(multiplied, policy.maxFeePerGas),
    maxPriorityFeePerGas,
    baseFeePerGas,
  };
}

/** Asks the node's fee history (latest blocks) and prices the next transaction with {@link feesFromHistory}. */
export async function priceFees(client: PublicClient, policy: FeePolicy): Promise<PricedFees> {
  const history = await client.getFeeHistory({
    blockCount: policy.feeHistoryBlocks,
    rewardPercentiles: [policy.priorityFeePercentile],
    blockTag: 'latest',
  });
  return feesFromHistory(history, policy);
}

/** `value × factor`, rounded up, for a factor with up to 3 decimals. */
export function scale(value: bigint, factor: number): bigint {
  const milli = BigInt(Math.round(factor * 1000));
  return (value * milli + 999n) / 1000n;
}

/** The smaller of two bigints (Math.min takes numbers only). */
export function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
