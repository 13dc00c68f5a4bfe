import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  decodeFunctionData,
  type Hex,
  type PublicClient,
  zeroHash,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliTarget, cliTestTarget, withTargetDb } from '../../cli/test-support.ts';
import { listAudit } from '../../ops/audit/audit-log.ts';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { type DevAccount, type DevChain, deployBadge, startDevChain } from '../dev-chain.ts';
import { MINTER_ROLE } from '../minter/index.ts';

const CB = join(import.meta.dirname, '../../../bin/cb.js');
/** Each test spawns `cb` a few times (tsx, ~2 s each here, 10+ s on a host busy with other suites). */
const SLOW_MS = 240_000;

let chain: DevChain;
let client: PublicClient;
let badge: Address;
let startBlock: bigint;
let target: CliTarget;
let keys: string;
/** Env of every `cb` run: the test chain, badge and database; the dev minter as CB_MINTER_KEY_FILE. */
let env: Record<string, string | undefined>;
/** Key files: the admin's (#0), a non-admin's (#5), and the admin's readable by everyone. */
const keyFile = { admin: '', stranger: '', open: '' };
let admin: DevAccount;
let minter: DevAccount;
let stranger: DevAccount;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the real `cb` binary with `env` (plus `extra`; undefined removes a variable). */
function cb(args: string[], extra: Record<string, string | undefined> = {}): Promise<Run> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env, ...extra }))
    if (v !== undefined) merged[k] = v;
  const child = spawn(process.execPath, [CB, ...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** `cb chain roles <action> <role> <account> --admin-key-file <keyFile> [more…]`. */
const change = (
  action: 'grant' | 'revoke',
  role: 'admin' | 'minter',
  account: string,
  keyFile: string,
  ...more: string[]
) => cb(['chain', 'roles', action, role, account, '--admin-key-file', keyFile, ...more]);

const hasRole = (role: Hex, account: Address) =>
  client.readContract({
    address: badge,
    abi: achievementBadgeAbi,
    functionName: 'hasRole',
    args: [role, account],
  });

const auditRows = (action: string) =>
  withTargetDb(target, async (db) => (await listAudit(db, { action, limit: 100 })).items);

function writeKey(name: string, key: Hex, mode: number): string {
  const path = join(keys, name);
  writeFileSync(path, `${key}\n`);
  chmodSync(path, mode);
  return path;
}

beforeAll(async () => {
  chain = await startDevChain({ mode: 'node', port: 0 });
  [admin, minter, stranger] = [chain.admin, chain.minter, chain.accounts[5]!];
  const deployed = await deployBadge({
    transport: chain.transport,
    chain: chain.chain,
    deployer: chain.deployer,
    admin: admin.address,
    minter: minter.address,
    baseUri: 'http://cb.test/v1/badges/',
    pollingIntervalMs: 10,
  });
  badge = deployed.address;
  startBlock = deployed.blockNumber;
  client = createPublicClient({ chain: chain.chain, transport: chain.transport, pollingInterval: 10 });
  keys = mkdtempSync(join(tmpdir(), 'cb-roles-keys-'));
  keyFile.admin = writeKey('admin.key', admin.privateKey, 0o600);
  keyFile.stranger = writeKey('stranger.key', stranger.privateKey, 0o600);
  keyFile.open = writeKey('open.key', admin.privateKey, 0o644);
  target = await cliTestTarget('cb-roles-cli-');
  env = {
    ...target.env,
    RPC_URLS: `dev=${chain.rpcUrl}`,
    CB_BADGE_ADDRESS: badge,
    CB_CHAIN_ID: '31337',
    CB_CHAIN_START_BLOCK: String(startBlock),
    CB_CHAIN_CONFIRMATIONS: '0',
    CB_CHAIN_POLL_INTERVAL_MS: '50',
    CB_MINTER_KEY_FILE: writeKey('minter.key', minter.privateKey, 0o600),
    CB_LOG_LEVEL: 'error',
  };
}, SLOW_MS);

afterAll(async () => {
  await target?.drop();
  await chain?.stop();
  if (keys) rmSync(keys, { recursive: true, force: true });
});

describe('cb chain roles', () => {
  test(
    'default: lists the deployer as admin and the dev minter, and the configured minter holds its role',
    async () => {
      const { code, out } = await cb(['chain', 'roles', '--json']);
      expect(code).toBe(0);
      const report = JSON.parse(out);
      expect(report).toMatchObject({ chainId: 31337, badgeAddress: badge, fromBlock: String(startBlock) });
      expect(report.roles.admin.holders).toEqual([
        expect.objectContaining({
          address: admin.address,
          grantedInBlock: String(startBlock),
          grantedBy: admin.address,
        }),
      ]);
      expect(report.roles.minter.holders.map((h: { address: string }) => h.address)).toEqual([
        minter.address,
      ]);
      expect(report.accounts.minter).toMatchObject({
        address: minter.address,
        role: 'MINTER_ROLE',
        holds: true,
      });
      expect(report.accounts.executor).toBeNull();

      const text = await cb(['chain', 'roles'], { CB_EXECUTOR_PRIVATE_KEY: stranger.privateKey });
      expect(text.code).toBe(0);
      expect(text.out).toContain(`minter account ${minter.address} holds MINTER_ROLE`);
      expect(text.out).toContain(`executor account ${stranger.address} does not hold DEFAULT_ADMIN_ROLE`);
      expect(text.out).not.toContain(stranger.privateKey.slice(2));
    },
    SLOW_MS,
  );

  test(
    'behavior: a long range is read in chunks, with progress on stderr, to the same holders',
    async () => {
      await chain.mine(30);
      const { code, out, err } = await cb(['chain', 'roles', '--json'], { CB_LISTENER_CHUNK_BLOCKS: '2' });
      expect(code).toBe(0);
      expect(err).toMatch(
        /^roles: reading the role logs of \d+ blocks from block \d+ \(\d+ eth_getLogs requests of 2 blocks\)$/m,
      );
      const report = JSON.parse(out);
      expect(report.roles.admin.holders.map((h: { address: string }) => h.address)).toEqual([admin.address]);
      expect(report.roles.minter.holders.map((h: { address: string }) => h.address)).toEqual([
        minter.address,
      ]);
    },
    SLOW_MS,
  );

  test(
    'error: without RPC_URLS it says what it needs',
    async () => {
      const { code, err } = await cb(['chain', 'roles'], { RPC_URLS: undefined });
      expect(code).toBe(2);
      expect(err).toContain('cb chain roles needs RPC_URLS');
    },
    SLOW_MS,
  );
});

describe('cb chain roles grant|revoke: refusals send nothing', () => {
  test(
    'behavior: a no-op exits 0 and sends nothing',
    async () => {
      const before = await client.getBlockNumber({ cacheTime: 0 });
      const granted = await change('grant', 'minter', minter.address, keyFile.admin);
      expect(granted).toMatchObject({ code: 0 });
      expect(granted.out).toContain(`${minter.address} already holds MINTER_ROLE: nothing sent`);
      const revoked = await change(
        'revoke',
        'minter',
        stranger.address.toLowerCase(),
        keyFile.admin,
        '--json',
      );
      expect(revoked.code).toBe(0);
      expect(JSON.parse(revoked.out)).toMatchObject({
        account: stranger.address, // checksummed
        outcome: 'unchanged',
        reason: 'does not hold',
      });
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(before);
      // Recorded as a command that changed nothing.
      const rows = await auditRows('cb chain roles grant');
      expect(rows[0]).toMatchObject({
        outcome: 'ok',
        details: { result: { outcome: 'unchanged', reason: 'already holds', signer: admin.address } },
      });
    },
    SLOW_MS,
  );

  test(
    'error: a key without DEFAULT_ADMIN_ROLE is refused with its code, nothing sent',
    async () => {
      const before = await client.getBlockNumber({ cacheTime: 0 });
      const { code, err } = await change('revoke', 'minter', minter.address, keyFile.stranger);
      expect(code).toBe(1);
      expect(err).toContain(`(account ${stranger.address}) does not hold DEFAULT_ADMIN_ROLE`);
      expect(err).toContain('[CHAIN_ROLES_SIGNER_NOT_ADMIN]');
      expect(err).not.toContain(stranger.privateKey.slice(2));
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(before);
      expect(await client.getTransactionCount({ address: stranger.address })).toBe(0);
      expect(await hasRole(MINTER_ROLE, minter.address)).toBe(true);
      const [row] = await auditRows('cb chain roles revoke');
      expect(row).toMatchObject({ outcome: 'failed', details: { result: { signer: stranger.address } } });
    },
    SLOW_MS,
  );

  test(
    'error: a key file group or others can read is refused, the key not shown',
    async () => {
      const { code, err } = await change('grant', 'minter', stranger.address, keyFile.open);
      expect(code).toBe(1);
      expect(err).toContain('group or others have access to it (mode 0644)');
      expect(err).toContain('[CHAIN_ROLES_ADMIN_KEY_INVALID]');
      expect(err).not.toContain(admin.privateKey.slice(2));
    },
    SLOW_MS,
  );

  test(
    'error: revoking the last admin is refused without --force',
    async () => {
      const before = await client.getBlockNumber({ cacheTime: 0 });
      const { code, err } = await change('revoke', 'admin', admin.address, keyFile.admin);
      expect(code).toBe(1);
      expect(err).toContain('is the last holder of DEFAULT_ADMIN_ROLE');
      expect(err).toContain('[CHAIN_ROLES_LAST_ADMIN]');
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(before);
      expect(await hasRole(zeroHash, admin.address)).toBe(true);
    },
    SLOW_MS,
  );

  test(
    'error: a bad address or role is a usage error',
    async () => {
      const bad = await cb(['chain', 'roles', 'grant', 'minter', '0x1234', '--calldata']);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('"0x1234" is not an address');
      // Mixed case with one letter's case flipped: a typo the EIP-55 checksum catches.
      const letter = minter.address.search(/[a-fA-F]/);
      const c = minter.address[letter]!;
      const badSum = `${minter.address.slice(0, letter)}${c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()}${minter.address.slice(letter + 1)}`;
      const sum = await cb(['chain', 'roles', 'revoke', 'minter', badSum, '--calldata']);
      expect(sum.code).toBe(2);
      expect(sum.err).toContain(`"${badSum}" is not an address`);
      const role = await cb(['chain', 'roles', 'grant', 'owner', minter.address, '--calldata']);
      expect(role.code).toBe(2);
      expect(role.err).toContain('no role "owner"');
    },
    SLOW_MS,
  );

  test(
    'behavior: --dry-run checks and simulates, sends nothing, is not audited',
    async () => {
      const before = await client.getBlockNumber({ cacheTime: 0 });
      const auditedBefore = (await auditRows('cb chain roles revoke')).length;
      const { code, out } = await change(
        'revoke',
        'minter',
        minter.address,
        keyFile.admin,
        '--dry-run',
        '--json',
      );
      expect(code).toBe(0);
      const dry = JSON.parse(out);
      expect(dry).toMatchObject({ outcome: 'dry-run', from: admin.address, to: badge });
      expect(decodeFunctionData({ abi: achievementBadgeAbi, data: dry.data })).toEqual({
        functionName: 'revokeRole',
        args: [MINTER_ROLE, minter.address],
      });
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(before);
      expect(await hasRole(MINTER_ROLE, minter.address)).toBe(true);
      expect(await auditRows('cb chain roles revoke')).toHaveLength(auditedBefore);
    },
    SLOW_MS,
  );
});

describe('cb chain roles grant|revoke --calldata', () => {
  test(
    'default: prints to/data of the call, needs neither key nor RPC',
    async () => {
      const account = chain.accounts[7]!.address;
      const { code, out } = await cb(
        ['chain', 'roles', 'grant', 'minter', account.toLowerCase(), '--calldata', '--json'],
        {
          RPC_URLS: undefined,
        },
      );
      expect(code).toBe(0);
      const call = JSON.parse(out);
      expect(call).toMatchObject({ to: badge, value: '0', functionName: 'grantRole', chainId: 31337 });
      expect(decodeFunctionData({ abi: achievementBadgeAbi, data: call.data })).toEqual({
        functionName: 'grantRole',
        args: [MINTER_ROLE, account],
      });
      const text = await cb(['chain', 'roles', 'revoke', 'admin', account, '--calldata'], {
        RPC_URLS: undefined,
      });
      expect(text.code).toBe(0);
      const data = /^data: (0x[0-9a-f]+)$/m.exec(text.out)?.[1] as Hex;
      expect(text.out).toContain(`to: ${badge}`);
      expect(text.out).toContain(`revokeRole(DEFAULT_ADMIN_ROLE, ${account}) on the badge contract ${badge}`);
      expect(decodeFunctionData({ abi: achievementBadgeAbi, data })).toEqual({
        functionName: 'revokeRole',
        args: [zeroHash, account],
      });
    },
    SLOW_MS,
  );
});

describe('cb chain roles grant|revoke: the minter-key rotation', () => {
  test(
    'default: revoking the exposed minter stops its mints; the new one is granted and listed; both audited',
    async () => {
      const revoked = await change('revoke', 'minter', minter.address, keyFile.admin);
      expect(revoked.code).toBe(0);
      const sent =
        /^revoked MINTER_ROLE from (0x[0-9a-fA-F]{40}): transaction (0x[0-9a-f]{64}) in block (\d+) \(signed by (0x[0-9a-fA-F]{40})\)$/m.exec(
          revoked.out,
        );
      expect(sent?.slice(1)).toEqual([minter.address, expect.any(String), expect.any(String), admin.address]);
      const receipt = await client.getTransactionReceipt({ hash: sent![2] as Hex });
      expect(receipt).toMatchObject({
        status: 'success',
        blockNumber: BigInt(sent![3]!),
        to: badge.toLowerCase(),
      });
      expect(await hasRole(MINTER_ROLE, minter.address)).toBe(false);

      // The exposed key can no longer mint.
      const exposed = createWalletClient({
        account: privateKeyToAccount(minter.privateKey),
        chain: chain.chain,
        transport: chain.transport,
      });
      await expect(
        exposed.writeContract({
          address: badge,
          abi: achievementBadgeAbi,
          functionName: 'mintBatch',
          args: [[stranger.address], [1n]],
        }),
      ).rejects.toThrow(/AccessControlUnauthorizedAccount/);

      const [row] = await auditRows('cb chain roles revoke');
      expect(row).toMatchObject({
        actorKind: 'cli',
        action: 'cb chain roles revoke',
        target: `minter ${minter.address}`,
        outcome: 'ok',
        status: 0,
        details: {
          options: { adminKeyFile: keyFile.admin },
          result: {
            outcome: 'sent',
            txHash: sent![2],
            blockNumber: sent![3],
            signer: admin.address,
            role: 'MINTER_ROLE',
            account: minter.address,
          },
        },
      });

      const fresh = chain.accounts[8]!;
      const granted = await change('grant', 'minter', fresh.address, keyFile.admin, '--json');
      expect(granted.code).toBe(0);
      expect(JSON.parse(granted.out)).toMatchObject({
        outcome: 'sent',
        account: fresh.address,
        role: 'MINTER_ROLE',
      });
      expect(await hasRole(MINTER_ROLE, fresh.address)).toBe(true);

      const list = await cb(['chain', 'roles']);
      expect(list.code).toBe(0);
      expect(list.out).toMatch(
        new RegExp(`^MINTER_ROLE \\(minter\\): 1 holder\\(s\\)\\n  ${fresh.address}  granted in block`, 'm'),
      );
      expect(list.out).not.toContain(`  ${minter.address}  granted`);
      // The configured key is still the exposed one: the list says it cannot mint.
      expect(list.out).toContain(`minter account ${minter.address} LACKS MINTER_ROLE`);
      expect((await auditRows('cb chain roles grant'))[0]).toMatchObject({
        outcome: 'ok',
        details: { result: { outcome: 'sent', account: fresh.address } },
      });
    },
    SLOW_MS,
  );

  test(
    'behavior: an admin is revoked when another admin remains',
    async () => {
      const second = chain.accounts[9]!.address;
      expect(
        (await cb(['chain', 'roles', 'grant', 'admin', second, '--admin-key-file', keyFile.admin])).code,
      ).toBe(0);
      const revoked = await change('revoke', 'admin', second, keyFile.admin);
      expect(revoked.code).toBe(0);
      expect(revoked.out).toContain(`revoked DEFAULT_ADMIN_ROLE from ${second}`);
      expect(await hasRole(zeroHash, second)).toBe(false);
      expect(await hasRole(zeroHash, admin.address)).toBe(true);
    },
    SLOW_MS,
  );
});
