import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hash,
  type Hex,
  type Transport,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { achievementBadgeAbi, achievementBadgeBytecode } from '../abi/AchievementBadge.ts';

export interface DeployBadgeParameters {
  /** JSON-RPC transport to the chain, e.g. a dev chain's `transport` or viem's `http(url)`. */
  transport: Transport;
  /** The chain, when known (otherwise its id is asked from the node). */
  chain?: Chain | undefined;
  /** Sends the deployment: a viem account, or anything with a 0x private key (a dev account). */
  deployer: Account | { privateKey: Hex };
  /** Gets DEFAULT_ADMIN_ROLE: revokes badges, sets the base URI, grants roles. */
  admin: Address;
  /** Gets MINTER_ROLE. */
  minter: Address;
  /** Prefix of every tokenURI, e.g. `https://host/v1/badges/` (tokenURI = baseUri + id + "/metadata"). */
  baseUri: string;
  /** How often the receipt is polled, in ms. @defaultValue 100 */
  pollingIntervalMs?: number | undefined;
  /** Gives up waiting for the receipt after this many ms (the block must be mined). @defaultValue 60000 */
  timeoutMs?: number | undefined;
}

export interface DeployBadgeReturnType {
  address: Address;
  /** Block of the deployment: where a listener starts (CB_CHAIN_START_BLOCK). */
  blockNumber: bigint;
  transactionHash: Hash;
}

/**
 * Deploys AchievementBadge and waits for its receipt. On a chain without automine, mine a block
 * (`DevChain.mine`) or the call waits until `timeoutMs`.
 * @throws Error when the deployment transaction reverts.
 */
export async function deployBadge(parameters: DeployBadgeParameters): Promise<DeployBadgeReturnType> {
  const { transport, chain, admin, minter, baseUri } = parameters;
  const account =
    'privateKey' in parameters.deployer
      ? privateKeyToAccount(parameters.deployer.privateKey)
      : parameters.deployer;
  const pollingInterval = parameters.pollingIntervalMs ?? 100;
  const wallet = createWalletClient({ account, chain, transport, pollingInterval });
  const client = createPublicClient({ chain, transport, pollingInterval });
  const hash = await wallet.deployContract({
    abi: achievementBadgeAbi,
    bytecode: achievementBadgeBytecode,
    args: [admin, minter, baseUri],
    chain: chain ?? null,
  });
  const receipt = await client.waitForTransactionReceipt({
    hash,
    timeout: parameters.timeoutMs ?? 60_000,
  });
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new Error(`AchievementBadge deployment ${hash} reverted in block ${receipt.blockNumber}`);
  return {
    address: getAddress(receipt.contractAddress),
    blockNumber: receipt.blockNumber,
    transactionHash: hash,
  };
}
