/**
 * Wei as an amount of the chain's native unit (10^18 wei: ETH on Ethereum), for people: the web
 * console and `cb chain status` show the minter's balance with it. Free of server imports (the
 * console compiles it too, see web/tsconfig.json).
 */
import { formatEther } from 'viem';

/** `wei` (bigint or decimal text) cut — not rounded — to 4 decimals: 9999978123000000000000n → "9999.9781". */
export function nativeAmount(wei: bigint | string): string {
  const [whole, fraction = ''] = formatEther(BigInt(wei)).split('.');
  const kept = fraction.slice(0, 4).replace(/0+$/, '');
  return kept ? `${whole}.${kept}` : whole!;
}
