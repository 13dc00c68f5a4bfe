import type { PricedFees } from './price-fees.ts';
import { scale } from './price-fees.ts';

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * Fees of a replacement: both fields raised by at least `bumpPercent` (nodes refuse a replacement
 * below +10 % on either) and at least to the market price, maxFeePerGas at most `cap`. Undefined
 * when the minimal bump already exceeds the cap: then the transaction can only wait.
 */
export function bumpFees(
  previous: Fees,
  market: PricedFees,
  bumpPercent: number,
  cap: bigint,
): Fees | undefined {
  const factor = 1 + bumpPercent / 100;
  const minFee = scale(previous.maxFeePerGas, factor);
  const minPriority = scale(previous.maxPriorityFeePerGas, factor);
  // `scale` rounds up, but 0 × 1.1 is still 0: a replacement must be strictly higher.
  const floorFee = minFee > previous.maxFeePerGas ? minFee : previous.maxFeePerGas + 1n;
  const floorPriority =
    minPriority > previous.maxPriorityFeePerGas ? minPriority : previous.maxPriorityFeePerGas + 1n;
  if (floorFee > cap) return undefined;
  const marketFee = market.aboveCap ? cap : market.maxFeePerGas;
  let maxFeePerGas = marketFee > floorFee ? marketFee : floorFee;
  if (maxFeePerGas > cap) maxFeePerGas = cap;
  const maxPriorityFeePerGas =
    market.maxPriorityFeePerGas > floorPriority ? market.maxPriorityFeePerGas : floorPriority;
  if (maxPriorityFeePerGas > maxFeePerGas) {
    // The priority fee cannot exceed the max fee; the bump is only valid if the floor still fits.
    if (floorPriority > maxFeePerGas) return undefined;
    return { maxFeePerGas, maxPriorityFeePerGas: floorPriority };
  }
  return { maxFeePerGas, maxPriorityFeePerGas };
}
