import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  type Hex,
  parseEther,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { achievementBadgeAbi } from './abi/AchievementBadge.ts';
import { type DevChain, DevChainError, deployBadge, startDevChain } from './dev-chain.ts';

const HARDHAT_ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

const clients = (chain: DevChain) => ({
  client: createPublicClient({ chain: chain.chain, transport: chain.transport, pollingInterval: 20 }),
  wallet: createWalletClient({
    account: privateKeyToAccount(chain.accounts[4]!.privateKey),
    chain: chain.chain,
    transport: chain.transport,
  }),
});

describe('startDevChain: in-process', () => {
  let chain: DevChain;
  beforeAll(async () => {
    // The in-process chain must not depend on the working directory (hardhat looks for its config
    // upward from it): start it from a directory with no hardhat.config.* above it.
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      chain = await startDevChain({ mode: 'in-process' });
    } finally {
      process.chdir(cwd);
    }
  });
  afterAll(async () => {
    await chain.stop();
  });

  test('default: chain 31337 with hardhat’s funded accounts, whatever the working directory', async () => {
    const { client } = clients(chain);
    expect(chain.mode).toBe('in-process');
    expect(chain.rpcUrl).toBeUndefined();
    expect(chain.chainId).toBe(31337);
    expect(await client.getChainId()).toBe(31337);
    expect(chain.accounts.length).toBeGreaterThanOrEqual(5);
    expect(chain.accounts[0]).toEqual({
      address: HARDHAT_ACCOUNT_0,
      privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    });
    for (const account of chain.accounts.slice(0, 5)) {
      expect(privateKeyToAccount(account.privateKey).address).toBe(account.address);
      expect(await client.getBalance({ address: account.address })).toBeGreaterThanOrEqual(
        parseEther('1000'),
      );
    }
    expect([chain.deployer, chain.admin, chain.minter]).toEqual([
      chain.accounts[0],
      chain.accounts[0],
      chain.accounts[1],
    ]);
  });

  test('behavior: automine off keeps transactions pending until mine(); mine(n) mines n blocks', async () => {
    const { client, wallet } = clients(chain);
    const start = await client.getBlockNumber({ cacheTime: 0 });
    await chain.setAutomine(false);
    try {
      const hash = await wallet.sendTransaction({ to: chain.accounts[5]!.address, value: 1n });
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(start);
      await expect(client.getTransactionReceipt({ hash })).rejects.toThrow(/could not be found/);
      await chain.mine();
      const receipt = await client.getTransactionReceipt({ hash });
      expect(receipt.blockNumber).toBe(start + 1n);
      await chain.mine(3);
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(start + 4n);
    } finally {
      await chain.setAutomine(true);
    }
    const hash = await wallet.sendTransaction({ to: chain.accounts[5]!.address, value: 1n });
    expect((await client.getTransactionReceipt({ hash })).blockNumber).toBe(start + 5n);
  });

  test('behavior: revert() returns to a snapshot; a snapshot id is single-use', async () => {
    const { client } = clients(chain);
    const id = await chain.snapshot();
    const before = await client.getBlockNumber({ cacheTime: 0 });
    const { address } = await deployBadge({
      transport: chain.transport,
      chain: chain.chain,
      deployer: chain.deployer,
      admin: chain.admin.address,
      minter: chain.minter.address,
      baseUri: 'https://cb.example/v1/badges/',
    });
    expect(await client.getCode({ address })).toMatch(/^0x6080/);
    await chain.revert(id);
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(before);
    expect(await client.getCode({ address })).toBeUndefined();
    await expect(chain.revert(id)).rejects.toThrow(DevChainError);
  });

  test('behavior: each in-process chain is independent', async () => {
    const second = await startDevChain({ mode: 'in-process' });
    try {
      await chain.mine(2);
      const a = await clients(chain).client.getBlockNumber({ cacheTime: 0 });
      const b = await clients(second).client.getBlockNumber({ cacheTime: 0 });
      expect(a).toBeGreaterThanOrEqual(2n);
      expect(b).toBe(0n);
    } finally {
      await second.stop();
    }
  });

  test('error: mine() takes a positive whole number', async () => {
    await expect(chain.mine(0)).rejects.toThrow(/positive whole number/);
  });

  test('error: a stopped chain refuses requests', async () => {
    const other = await startDevChain({ mode: 'in-process' });
    await other.stop();
    await other.stop();
    expect(await other.closed).toEqual({ stopped: true, exitCode: null, signal: null });
    await expect(clients(other).client.getBlockNumber({ cacheTime: 0 })).rejects.toThrow(/dev chain stopped/);
  });
});

describe('startDevChain: node', () => {
  test('default: a hardhat node on a free port serves JSON-RPC over HTTP until stop()', async () => {
    const chain = await startDevChain({ mode: 'node', port: 0 });
    try {
      expect(chain.mode).toBe('node');
      expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(chain.chainId).toBe(31337);
      expect(chain.chain.rpcUrls.default.http).toEqual([chain.rpcUrl]);
      const { address, blockNumber } = await deployBadge({
        transport: chain.transport,
        chain: chain.chain,
        deployer: chain.deployer,
        admin: chain.admin.address,
        minter: chain.minter.address,
        baseUri: 'https://cb.example/v1/badges/',
      });
      expect(blockNumber).toBe(1n);
      // A revert reaches viem as the same decoded custom error as in-process.
      const minter = createWalletClient({
        account: privateKeyToAccount(chain.minter.privateKey),
        chain: chain.chain,
        transport: chain.transport,
      });
      const error = await minter
        .writeContract({ address, abi: achievementBadgeAbi, functionName: 'approve', args: [address, 1n] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const reverted =
        error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
      expect((reverted as ContractFunctionRevertedError | null)?.data?.errorName).toBe('Soulbound');
      await chain.snapshot().then((id: Hex) => chain.revert(id));
    } finally {
      await chain.stop();
    }
    expect(await chain.closed).toMatchObject({ stopped: true });
    await expect(fetch(chain.rpcUrl!, { method: 'POST' })).rejects.toThrow();
  });

  test('error: a port already in use fails with the node’s reason', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await startDevChain({ mode: 'node', port }).then(
        async (chain) => {
          await chain.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DevChainError);
      expect((error as Error).message).toMatch(/EADDRINUSE/);
    } finally {
      server.close();
    }
  });
});
