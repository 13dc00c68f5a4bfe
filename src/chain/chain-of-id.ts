/**
 * The viem chain definition cb uses for a chain reached over RPC_URLS: known only by its id (the
 * RPC pool's checkChainId), the native currency taken as 18-decimal "ETH", no URLs (the pool's
 * transport carries the requests).
 */
import { type Chain, defineChain } from 'viem';

export function chainOfId(chainId: number): Chain {
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
}
