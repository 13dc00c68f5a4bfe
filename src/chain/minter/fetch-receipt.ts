import type { Chain, Hex, PublicClient, Transport } from 'viem';

/** What the minter reads of a receipt; logs stay as the node sent them (hex strings). */
export interface MintReceipt {
  transactionHash: Hex;
  blockNumber: bigint;
  status: 'success' | 'reverted';
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  logs: readonly { address: string; topics: readonly Hex[] }[];
}

/**
 * The receipt of `hash`, or undefined while it is not mined. Asked raw (`eth_getTransactionReceipt`)
 * rather than through viem's formatter: a 250-mint receipt holds 750 logs, and formatting them
 * cost more than the rest of a confirmation.
 */
export async function fetchReceipt(
  client: PublicClient<Transport, Chain>,
  hash: Hex,
): Promise<MintReceipt | undefined> {
  const raw = await client.request({ method: 'eth_getTransactionReceipt', params: [hash] });
  if (!raw || raw.blockNumber === null) return undefined;
  return {
    transactionHash: raw.transactionHash,
    blockNumber: BigInt(raw.blockNumber),
    status: raw.status === '0x1' ? 'success' : 'reverted',
    gasUsed: BigInt(raw.gasUsed),
    effectiveGasPrice: BigInt(raw.effectiveGasPrice ?? '0x0'),
    logs: raw.logs,
  };
}
