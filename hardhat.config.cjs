/**
 * Hardhat 2 runs our local dev chain only (`cb chain dev`, `cb start` with no RPC_URLS, tests):
 * contracts are compiled by scripts/compile-contracts.ts, not by hardhat. src/chain/dev-chain.ts
 * loads this file by path for the in-process chain and passes it to `hardhat node` (--config), so
 * both modes run the same chain whatever the working directory.
 *
 * The accounts are hardhat's defaults (mnemonic "test test … junk", 20 accounts of 10000 ETH): public,
 * well-known keys — never use them on a real network.
 */
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      // Osaka (hardhat's default) caps a transaction at 2^24 gas (EIP-7825), like mainnet.
      hardfork: 'osaka',
      mining: { auto: true, interval: 0 },
      // `hardhat node` logs every request otherwise; dev-chain.ts turns logging off in-process too.
      loggingEnabled: false,
    },
  },
  // Hardhat wants these paths; nothing is compiled, so they stay empty (under the ignored .tmp/).
  paths: {
    sources: './src/chain/contracts',
    cache: './.tmp/hardhat/cache',
    artifacts: './.tmp/hardhat/artifacts',
  },
};
