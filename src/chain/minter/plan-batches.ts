import type { Address, Chain, PublicClient, Transport } from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { MINTER_ERROR_CODES, MinterError } from './errors.ts';
import type { OutboxRow } from './minter-store.ts';
import { isGasLimitError, isInsufficientFunds, revertOf, shortReason } from './rpc-error-facts.ts';

/** One request ready for `mintBatch`: recipient and on-chain achievement id. */
export interface MintItem {
  row: OutboxRow;
  to: Address;
  achievementKey: bigint;
}

export interface PlannedBatch {
  items: MintItem[];
  /** eth_estimateGas of the batch. */
  gas: bigint;
}

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
  const { client, badgeAddress, account, gasBudget } = parameters;

  const estimate = (items: MintItem[]) =>
    client.estimateContractGas({
      address: badgeAddress,
      abi: achievementBadgeAbi,
      functionName: 'mintBatch',
      args: [items.map((i) => i.to), items.map((i) => i.achievementKey)],
      account,
      // Not 'pending': a node then executes every pending transaction first (our earlier batches),
      // and whether a request reverts does not depend on them.
      blockTag: 'latest',
    });

  const splitInto = async (items: MintItem[], parts: number): Promise<PlanBatchesResult> => {
    const size = Math.ceil(items.length / parts);
    const chunks: MintItem[][] = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    const results = await Promise.all(chunks.map(plan));
    return {
      batches: results.flatMap((r) => r.batches),
      failed: results.flatMap((r) => r.failed),
    };
  };

  async function plan(items: MintItem[]): Promise<PlanBatchesResult> {
    let gas: bigint;
    try {
      gas = await estimate(items);
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
