import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  getAddress,
  getContract,
  type Hash,
  type Hex,
  keccak256,
  numberToHex,
  parseEventLogs,
  slice,
  stringToBytes,
  zeroAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { type DevAccount, type DevChain, startDevChain } from '../dev-chain.ts';
import { achievementTokenId } from './achievement-token-id.ts';
import { deployBadge } from './deploy-badge.ts';

const BASE_URI = 'https://cb.example/v1/badges/';
const MINTER_ROLE = keccak256(stringToBytes('MINTER_ROLE'));
const ADMIN_ROLE = `0x${'00'.repeat(32)}` as Hex;
const FIRST_COMMIT = achievementTokenId('first-commit');
const VOTER = achievementTokenId('voter');

let chain: DevChain;
let address: Address;
let member: DevAccount;
let other: DevAccount;
let snapshotId: Hex;

const publicClient = () =>
  createPublicClient({ chain: chain.chain, transport: chain.transport, pollingInterval: 20 });
/** The contract, read with eth_call. */
const badge = () => getContract({ address, abi: achievementBadgeAbi, client: publicClient() });
/** The contract, written to as `account`. */
const badgeAs = (account: DevAccount) =>
  getContract({
    address,
    abi: achievementBadgeAbi,
    client: createWalletClient({
      account: privateKeyToAccount(account.privateKey),
      chain: chain.chain,
      transport: chain.transport,
    }),
  }).write;

/** Waits for a sent transaction and asserts it succeeded. */
async function mined(hash: Promise<Hash>) {
  const receipt = await publicClient().waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

/** The custom error a call reverted with, decoded from the ABI. */
async function revertOf(promise: Promise<unknown>): Promise<{ name: string; args: readonly unknown[] }> {
  try {
    await promise;
  } catch (err) {
    const reverted =
      err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (reverted instanceof ContractFunctionRevertedError && reverted.data)
      return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
    throw err;
  }
  throw new Error('the call did not revert');
}

/**
 * `n` addresses that never held anything — the costliest recipients (a fresh balance slot each) —
 * and, like real ones, with no zero bytes to make the calldata cheap.
 */
function freshAddresses(n: number): Address[] {
  return Array.from({ length: n }, (_, i) => getAddress(slice(keccak256(numberToHex(i)), 12)));
}

beforeAll(async () => {
  chain = await startDevChain({ mode: 'in-process' });
  member = chain.accounts[2]!;
  other = chain.accounts[3]!;
  ({ address } = await deployBadge({
    transport: chain.transport,
    chain: chain.chain,
    deployer: chain.deployer,
    admin: chain.admin.address,
    minter: chain.minter.address,
    baseUri: BASE_URI,
  }));
});
afterAll(async () => {
  await chain.stop();
});
// Every test starts from the freshly deployed contract (no badge minted yet).
beforeEach(async () => {
  snapshotId = await chain.snapshot();
});
afterEach(async () => {
  await chain.revert(snapshotId);
});

describe('AchievementBadge', () => {
  test('default: roles, name and the interfaces it declares (ERC-721, metadata, ERC-5192, ERC-4906)', async () => {
    const { read } = badge();
    expect(await read.hasRole([ADMIN_ROLE, chain.admin.address])).toBe(true);
    expect(await read.hasRole([MINTER_ROLE, chain.minter.address])).toBe(true);
    expect(await read.hasRole([MINTER_ROLE, chain.admin.address])).toBe(false);
    expect(await read.MINTER_ROLE()).toBe(MINTER_ROLE);
    expect([await read.name(), await read.symbol()]).toEqual(['Achievement Badge', 'BADGE']);
    expect(await read.nextTokenId()).toBe(1n);
    expect(await read.baseURI()).toBe(BASE_URI);
    // ERC-165, ERC-721, ERC-721 metadata, ERC-5192, ERC-4906, AccessControl.
    for (const id of [
      '0x01ffc9a7',
      '0x80ac58cd',
      '0x5b5e139f',
      '0xb45a3c0e',
      '0x49064906',
      '0x7965db0b',
    ] as const)
      expect(await read.supportsInterface([id]), id).toBe(true);
    // Not enumerable; 0xffffffff must be false per ERC-165.
    for (const id of ['0x780e9d63', '0xffffffff'] as const)
      expect(await read.supportsInterface([id]), id).toBe(false);
  });

  test('behavior: mint records the achievement, is locked, and emits Transfer, Locked and BadgeMinted', async () => {
    const receipt = await mined(badgeAs(chain.minter).mint([member.address, FIRST_COMMIT]));
    const logs = parseEventLogs({ abi: achievementBadgeAbi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ['Transfer', { from: zeroAddress, to: member.address, tokenId: 1n }],
      ['Locked', { tokenId: 1n }],
      ['BadgeMinted', { tokenId: 1n, to: member.address, achievementId: FIRST_COMMIT }],
    ]);

    const { read } = badge();
    expect(await read.ownerOf([1n])).toBe(member.address);
    expect(await read.achievementOf([1n])).toBe(FIRST_COMMIT);
    expect(await read.locked([1n])).toBe(true);
    expect(await read.balanceOf([member.address])).toBe(1n);
    expect(await read.getApproved([1n])).toBe(zeroAddress);

    await mined(badgeAs(chain.minter).mint([member.address, VOTER]));
    expect(await read.achievementOf([2n])).toBe(VOTER);
    expect(await read.balanceOf([member.address])).toBe(2n);
    expect(await read.totalSupply()).toBe(2n);
    expect(await revertOf(read.locked([3n]))).toEqual({ name: 'ERC721NonexistentToken', args: [3n] });
  });

  test('behavior: mintBatch of 300 badges to 300 first-time holders fits in one transaction', async ({
    annotate,
  }) => {
    const to = freshAddresses(300);
    const ids = to.map((_, i) => achievementTokenId(`achievement-${i % 40}`));
    // An explicit gas limit: the transaction must fit, not just the estimate.
    const receipt = await mined(badgeAs(chain.minter).mintBatch([to, ids], { gas: 16_000_000n }));
    expect(receipt.gasUsed).toBeLessThan(16_000_000n);
    await annotate(`mintBatch(300): ${receipt.gasUsed} gas, ${receipt.gasUsed / 300n} per badge`);

    const minted = parseEventLogs({ abi: achievementBadgeAbi, logs: receipt.logs, eventName: 'BadgeMinted' });
    expect(minted.map((l) => l.args)).toEqual(
      to.map((holder, i) => ({ tokenId: BigInt(i + 1), to: holder, achievementId: ids[i] })),
    );
    expect(
      parseEventLogs({ abi: achievementBadgeAbi, logs: receipt.logs, eventName: 'Transfer' }),
    ).toHaveLength(300);
    expect(
      parseEventLogs({ abi: achievementBadgeAbi, logs: receipt.logs, eventName: 'Locked' }),
    ).toHaveLength(300);

    const { read, simulate } = badge();
    expect(await read.ownerOf([300n])).toBe(to[299]);
    expect(await read.achievementOf([300n])).toBe(ids[299]);
    expect(await read.nextTokenId()).toBe(301n);
    // mintBatch returns the first token id of the batch.
    const { result } = await simulate.mintBatch(
      [
        [member.address, other.address],
        [VOTER, VOTER],
      ],
      {
        account: chain.minter.address,
      },
    );
    expect(result).toBe(301n);
  });

  test('behavior: tokenURI is baseURI + id + "/metadata"; the admin changes the base URI', async () => {
    await mined(
      badgeAs(chain.minter).mintBatch([
        [member.address, other.address],
        [VOTER, VOTER],
      ]),
    );
    const { read } = badge();
    expect(await read.tokenURI([2n])).toBe(`${BASE_URI}2/metadata`);

    const receipt = await mined(badgeAs(chain.admin).setBaseURI(['https://new.example/b/']));
    const logs = parseEventLogs({ abi: achievementBadgeAbi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ['BatchMetadataUpdate', { _fromTokenId: 1n, _toTokenId: 2n }],
    ]);
    expect(await read.tokenURI([1n])).toBe('https://new.example/b/1/metadata');
    expect(await revertOf(read.tokenURI([3n]))).toEqual({ name: 'ERC721NonexistentToken', args: [3n] });
  });

  test('behavior: revoke burns the badge and emits Transfer to zero and BadgeRevoked', async () => {
    await mined(
      badgeAs(chain.minter).mintBatch([
        [member.address, member.address],
        [VOTER, FIRST_COMMIT],
      ]),
    );
    const receipt = await mined(badgeAs(chain.admin).revoke([2n]));
    const logs = parseEventLogs({ abi: achievementBadgeAbi, logs: receipt.logs });
    expect(logs.map((l) => [l.eventName, l.args])).toEqual([
      ['Transfer', { from: member.address, to: zeroAddress, tokenId: 2n }],
      ['BadgeRevoked', { tokenId: 2n, owner: member.address, achievementId: FIRST_COMMIT }],
    ]);

    const { read } = badge();
    expect(await revertOf(read.ownerOf([2n]))).toEqual({ name: 'ERC721NonexistentToken', args: [2n] });
    expect(await revertOf(read.achievementOf([2n]))).toEqual({ name: 'ERC721NonexistentToken', args: [2n] });
    expect(await read.balanceOf([member.address])).toBe(1n);
    expect(await read.totalSupply()).toBe(1n);
    // Ids are never reused, and a revoked badge cannot be revoked again.
    await mined(badgeAs(chain.minter).mint([member.address, FIRST_COMMIT]));
    expect(await read.ownerOf([3n])).toBe(member.address);
    expect(await revertOf(badgeAs(chain.admin).revoke([2n]))).toEqual({
      name: 'ERC721NonexistentToken',
      args: [2n],
    });
  });

  test('behavior: the admin can grant MINTER_ROLE to another account', async () => {
    await mined(badgeAs(chain.admin).grantRole([MINTER_ROLE, other.address]));
    await mined(badgeAs(other).mint([member.address, VOTER]));
    expect(await badge().read.ownerOf([1n])).toBe(member.address);
  });

  test('error: only MINTER_ROLE mints (not the admin, not a member)', async () => {
    for (const who of [chain.admin, member]) {
      const unauthorized = { name: 'AccessControlUnauthorizedAccount', args: [who.address, MINTER_ROLE] };
      expect(await revertOf(badgeAs(who).mint([who.address, VOTER]))).toEqual(unauthorized);
      expect(await revertOf(badgeAs(who).mintBatch([[who.address], [VOTER]]))).toEqual(unauthorized);
    }
  });

  test('error: only the admin revokes and sets the base URI', async () => {
    await mined(badgeAs(chain.minter).mint([member.address, VOTER]));
    for (const who of [chain.minter, member]) {
      const unauthorized = { name: 'AccessControlUnauthorizedAccount', args: [who.address, ADMIN_ROLE] };
      expect(await revertOf(badgeAs(who).revoke([1n]))).toEqual(unauthorized);
      expect(await revertOf(badgeAs(who).setBaseURI(['https://evil.example/']))).toEqual(unauthorized);
      expect(await revertOf(badgeAs(who).grantRole([MINTER_ROLE, who.address]))).toEqual(unauthorized);
    }
    expect(await badge().read.ownerOf([1n])).toBe(member.address);
    expect(await badge().read.baseURI()).toBe(BASE_URI);
  });

  test('error: soulbound — every transfer and approval path reverts Soulbound(), even for the holder', async () => {
    await mined(badgeAs(chain.minter).mint([member.address, VOTER]));
    const holder = badgeAs(member);
    const attempts = [
      () => holder.transferFrom([member.address, other.address, 1n]),
      () => holder.safeTransferFrom([member.address, other.address, 1n]),
      () => holder.safeTransferFrom([member.address, other.address, 1n, '0x']),
      () => holder.approve([other.address, 1n]),
      () => holder.setApprovalForAll([other.address, true]),
      // Nor can the admin move a badge (it can only revoke it).
      () => badgeAs(chain.admin).transferFrom([member.address, other.address, 1n]),
    ];
    for (const attempt of attempts)
      expect(await revertOf(attempt())).toEqual({ name: 'Soulbound', args: [] });
    const { read } = badge();
    expect(await read.ownerOf([1n])).toBe(member.address);
    expect(await read.isApprovedForAll([member.address, other.address])).toBe(false);
  });

  test('error: mintBatch refuses mismatched or empty arrays, the zero address and ids above 64 bits', async () => {
    const minter = badgeAs(chain.minter);
    expect(await revertOf(minter.mintBatch([[member.address, other.address], [VOTER]]))).toEqual({
      name: 'LengthMismatch',
      args: [2n, 1n],
    });
    expect(await revertOf(minter.mintBatch([[], []]))).toEqual({ name: 'EmptyBatch', args: [] });
    expect(
      await revertOf(
        minter.mintBatch([
          [member.address, zeroAddress],
          [VOTER, VOTER],
        ]),
      ),
    ).toEqual({
      name: 'ERC721InvalidReceiver',
      args: [zeroAddress],
    });
    expect(await revertOf(minter.mint([member.address, 2n ** 64n]))).toEqual({
      name: 'AchievementIdOutOfRange',
      args: [2n ** 64n],
    });
    expect(await badge().read.nextTokenId()).toBe(1n);
  });
});
