/**
 * An OnchainCaller over viem clients: sends each call from the wallet client's account and waits
 * for its receipt; `simulate` is an `eth_call` from the same account. The chain module may wrap its
 * RPC pool and executor key in this, or implement the interface itself.
 */
import type { Account, Chain, PublicClient, Transport, WalletClient } from 'viem';
import type { OnchainCaller } from './onchain-caller.ts';

export interface ViemOnchainCallerParameters {
  wallet: WalletClient<Transport, Chain, Account>;
  publicClient: PublicClient;
  /**
   * Gas limit of each call. Set, the call is sent even when it would revert (the receipt says
   * `reverted` and the execution fails visibly); unset, viem estimates and a reverting call throws
   * before it is sent. @defaultValue estimated
   */
  gas?: bigint | undefined;
  /** Confirmations to wait for. @defaultValue 1 */
  confirmations?: number | undefined;
  /**
   * Runs each send (nonce read, signing, broadcast) alone among everything sharing the account —
   * e.g. under a database advisory lock, for several worker processes. Without it two executions
   * at the same moment read the same pending nonce and one is refused. The receipt is waited for
   * outside it. @defaultValue none (sends may overlap)
   */
  serializeSends?: (<T>(send: () => Promise<T>) => Promise<T>) | undefined;
}

export function viemOnchainCaller(p: ViemOnchainCallerParameters): OnchainCaller {
  return {
    async call(call) {
      const send = () =>
        p.wallet.sendTransaction({
          account: p.wallet.account,
          chain: p.wallet.chain,
          to: call.to,
          data: call.data,
          value: call.value,
          ...(p.gas === undefined ? {} : { gas: p.gas }),
        });
      const txHash = await (p.serializeSends ? p.serializeSends(send) : send());
      const receipt = await p.publicClient.waitForTransactionReceipt({
        hash: txHash,
        confirmations: p.confirmations ?? 1,
      });
      return { txHash, status: receipt.status, blockNumber: receipt.blockNumber };
    },
    async simulate(call) {
      await p.publicClient.call({
        account: p.wallet.account,
        to: call.to,
        data: call.data,
        value: call.value,
      });
    },
  };
}
