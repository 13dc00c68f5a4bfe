/**
 * The funded accounts of the dev chain, for the console's built-in dev wallet: hardhat's default
 * mnemonic ("test test … junk"), whose keys are public knowledge — offered only in dev mode and
 * useless on any real network. Accounts #0 (deployer/admin) and #1 (minter) are the platform's own,
 * so members get #2 onwards. Pass the running dev chain's `accounts` instead when you have them.
 */
import { bytesToHex, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

export interface DevWalletAccount {
  label: string;
  address: Hex;
  privateKey: Hex;
}

/** Hardhat's default mnemonic (public). */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';

/** Dev-chain accounts `from` … `from + count - 1` (hardhat's order). */
export function hardhatDevAccounts(from = 2, count = 8): DevWalletAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const index = from + i;
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index });
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error(`no private key for dev account #${index}`);
    return { label: `Dev account #${index}`, address: account.address, privateKey: bytesToHex(key) };
  });
}
