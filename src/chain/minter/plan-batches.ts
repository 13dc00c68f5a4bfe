import {
  type Address,
  type Chain,
  encodeFunctionData,
  type Hex,
  type PublicClient,
  type Transport,
} from 'viem';
import { chunks } from '../../platform/chunks.ts';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';
import type { OutboxRow } from './minter-store.ts';
import { scale } from './price-fees.ts';
import { isGasLimitError, isInsufficientFunds, revertOf, shortReason } from './rpc-error-facts.ts';

/** One request ready for `mintBatch`: recipient and on-chain achievement id. */
export interface MintItem {
  row: OutboxRow;
  to: Address;
  achievementKey: bigint;
}

export interface PlannedBatch {
  items: MintItem[];
  /** eth_estimateGas of the batch, or the gas limit it was simulated with (see {@link GasModel}). */
  gas: bigint;
  /** The gas limit to sign: the simulated limit, or undefined for "the estimate with the minter's margin". */
  gasLimit?: bigint | undefined;
}

/**
 * What a mint costs at most, learned from the estimates: gas(n) = {@link GAS_BASE} + n × perItem,
 * perItem the largest seen per request (a request to a first-time holder costs the most). Once
 * known, a batch is simulated with one `eth_call` at gas(n) × the signing margin instead of an
 * `eth_estimateGas` (which runs the batch twice or more): a call that succeeds at that limit shows
 * that the batch neither reverts nor needs more, and the transaction is signed with it. Anything
 * else (a revert, out of gas, no funds) falls back to the estimate, which learns again.
 */
export interface GasModel {
  perItem: bigint | undefined;
  /** Signed gas ÷ estimate, in percent (the minter's gasLimitPercent). */
  marginPercent: number;
}

/** The part of a mintBatch that does not grow with its size (intrinsic 21,000 and the call's own overhead), low on purpose. */
const GAS_BASE = 30_000n;

export interface PlanBatchesResult {
  /** Batches that simulate successfully, each estimated at most `gasBudget`, in request order. */
  batches: PlannedBatch[];
  /** Requests that revert on their own, with the reason (decoded custom error when possible). */
  failed: { item: MintItem; reason: string }[];
}

export interface PlanBatchesParameters {
  client: PublicClient<Transport, Chain>;
  badgeAddress: Address;
  /** The sender (simulated as `from`). */
  account: Address;
  items: MintItem[];
  /** Most gas one batch may estimate at (a safety margin under the per-transaction and block gas caps). */
  gasBudget: bigint;
  /** Learned per-request cost: when set, a batch is simulated by one eth_call (see GasModel). */
  gasModel?: GasModel | undefined;
}

/** `mintBatch`'s arguments for `items`: recipients and achievement ids, in order. */
const mintBatchArgs = (items: readonly MintItem[]) =>
  [items.map((i) => i.to), items.map((i) => i.achievementKey)] as const;

/** The calldata of `mintBatch(items)`: what is simulated and what is signed. */
export function mintBatchData(items: readonly MintItem[]): Hex {
  return encodeFunctionData({
    abi: achievementBadgeAbi,
    functionName: 'mintBatch',
    args: mintBatchArgs(items),
  });
}

/** Reverts that are about the sender or the call, not about one request: never dead-letter for them. */
const NOT_ABOUT_A_REQUEST = new Set([
  'AccessControlUnauthorizedAccount',
  'AccessControlBadConfirmation',
  'EmptyBatch',
  'LengthMismatch',
]);

/**
 * Turns requests into sendable batches by simulating `mintBatch` with eth_estimateGas:
 * - a batch estimated above `gasBudget` (or that runs out of gas at the node's cap) is split into
 *   even parts, each estimated again;
 * - a batch that reverts is bisected until the requests that revert on their own are isolated;
 *   they come back in `failed` with the reason, the rest goes through.
 * The halves are simulated concurrently; one bad request in n costs about 2·log2(n) estimates.
 * @throws MinterError CHAIN_MINTER_ROLE_MISSING when the sender may not mint at all,
 *   CHAIN_MINTER_INSUFFICIENT_FUNDS when it cannot pay; other RPC failures unchanged.
 */
export async function planBatches(parameters: PlanBatchesParameters): Promise<PlanBatchesResult> {
  const { client, badgeAddress, account, gasBudget, gasModel } = parameters;

  const estimate = (items: MintItem[]) =>
    client.estimateContractGas({
      address: badgeAddress,
      abi: achievementBadgeAbi,
      functionName: 'mintBatch',
      args: mintBatchArgs(items),
      account,
      // Not 'pending': a node then executes every pending transaction first (our earlier batches),
      // and whether a request reverts does not depend on them.
      blockTag: 'latest',
    });

  const splitInto = async (items: MintItem[], parts: number): Promise<PlanBatchesResult> => {
    const results = await Promise.all(chunks(items, Math.ceil(items.length / parts)).map(plan));
    return {
      batches: results.flatMap((r) => r.batches),
      failed: results.flatMap((r) => r.failed),
    };
  };

  /** The gas limit the model gives `items`, when it may be tried: known, and within the budget. */
  const modelled = (items: MintItem[]): bigint | undefined => {
    if (gasModel?.perItem === undefined) return undefined;
    const gas = GAS_BASE + BigInt(items.length) * gasModel.perItem;
    return gas <= gasBudget ? scale(gas, gasModel.marginPercent / 100) : undefined;
  };
  const simulate = async (items: MintItem[], gas: bigint): Promise<boolean> => {
    try {
      await client.call({ account, to: badgeAddress, data: mintBatchData(items), gas, blockTag: 'latest' });
      return true;
    } catch {
      return false;
    }
  };
  const learn = (items: MintItem[], gas: bigint) => {
    if (!gasModel) return;
    const above = gas > GAS_BASE ? gas - GAS_BASE : 0n;
    const perItem = (above + BigInt(items.length) - 1n) / BigInt(items.length);
    if (gasModel.perItem === undefined || perItem > gasModel.perItem) gasModel.perItem = perItem;
  };

  async function plan(items: MintItem[]): Promise<PlanBatchesResult> {
    const limit = modelled(items);
    if (limit !== undefined && (await simulate(items, limit)))
      return { batches: [{ items, gas: limit, gasLimit: limit }], failed: [] };
    let gas: bigint;
    try {
      gas = await estimate(items);
      learn(items, gas);
    } catch (err) {
      const revert = revertOf(err);
      if (revert) {
        if (revert.errorName === 'AccessControlUnauthorizedAccount')
          throw new MinterError(
            MINTER_ERROR_CODES.roleMissing,
            `the minter account ${account} lacks MINTER_ROLE on ${badgeAddress}: grant it (requests stay pending)`,
          );
        if (revert.errorName !== undefined && NOT_ABOUT_A_REQUEST.has(revert.errorName))
          throw new Error(`mintBatch simulation reverted with ${revert.reason}`, { cause: err });
        if (items.length === 1) return { batches: [], failed: [{ item: items[0]!, reason: revert.reason }] };
        return splitInto(items, 2);
      }
      if (isInsufficientFunds(err))
        throw new MinterError(
          MINTER_ERROR_CODES.insufficientFunds,
          `the minter account ${account} cannot pay for gas: fund it (requests stay pending)`,
          { details: { reason: shortReason(err) } },
        );
      if (isGasLimitError(err)) {
        if (items.length === 1)
          return {
            batches: [],
            failed: [{ item: items[0]!, reason: 'needs more gas than one transaction may use' }],
          };
        return splitInto(items, 2);
      }
      throw err;
    }
    if (gas > gasBudget) {
      if (items.length === 1)
        return {
          batches: [],
          failed: [{ item: items[0]!, reason: `needs ${gas} gas, more than one transaction may use` }],
        };
      return splitInto(items, Math.max(2, Number((gas + gasBudget - 1n) / gasBudget)));
    }
    return { batches: [{ items, gas }], failed: [] };
  }

  if (parameters.items.length === 0) return { batches: [], failed: [] };
  return plan(parameters.items);
}
