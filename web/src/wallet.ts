/**
 * Wallets (loaded on demand: this module pulls in viem's signing code). An injected wallet
 * (`window.ethereum`, EIP-1193: `eth_requestAccounts`, `personal_sign`, `eth_signTypedData_v4`), or
 * in dev mode the built-in dev wallet: one of the dev chain's well-known funded accounts, signing in
 * the page with viem's `privateKeyToAccount` — for local development only, offered only when the
 * server says dev mode is on.
 */
import { type Hex, serializeTypedData, type TypedDataDefinition, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';

export interface Wallet {
  kind: 'injected' | 'dev';
  address: Hex;
  /** The chain the wallet is on (injected wallets), when known. */
  chainId(): Promise<number | undefined>;
  signMessage(message: string): Promise<Hex>;
  signTypedData(data: TypedDataDefinition): Promise<Hex>;
}

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export function injectedProvider(): Eip1193 | undefined {
  return (globalThis as { ethereum?: Eip1193 }).ethereum;
}

export function devWallet(privateKey: Hex): Wallet {
  const account = privateKeyToAccount(privateKey);
  return {
    kind: 'dev',
    address: account.address,
    chainId: async () => undefined,
    signMessage: (message) => account.signMessage({ message }),
    signTypedData: (data) => account.signTypedData(data),
  };
}

export async function injectedWallet(chainId: number | null): Promise<Wallet> {
  const provider = injectedProvider();
  if (!provider) throw new Error('no browser wallet found (window.ethereum)');
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as Hex[];
  const address = accounts[0];
  if (!address) throw new Error('the wallet shared no account');
  return {
    kind: 'injected',
    address,
    chainId: async () => Number(await provider.request({ method: 'eth_chainId' })),
    signMessage: async (message) =>
      (await provider.request({ method: 'personal_sign', params: [toHex(message), address] })) as Hex,
    signTypedData: async (data) => {
      // Wallets check that typed data is for the chain they are on.
      if (chainId !== null) {
        const current = Number(await provider.request({ method: 'eth_chainId' }));
        if (current !== chainId)
          await provider.request({
            method: 'wallet_switchEthereumChain',
            params: [{ chainId: toHex(chainId) }],
          });
      }
      return (await provider.request({
        method: 'eth_signTypedData_v4',
        params: [address, serializeTypedData(data)],
      })) as Hex;
    },
  };
}

/** The EIP-4361 message for this console. */
export function siweMessage(args: {
  address: Hex;
  chainId: number;
  nonce: string;
  statement: string;
}): string {
  return createSiweMessage({
    domain: location.host,
    uri: `${location.origin}/`,
    address: args.address,
    chainId: args.chainId,
    nonce: args.nonce,
    version: '1',
    statement: args.statement,
    issuedAt: new Date(),
  });
}
