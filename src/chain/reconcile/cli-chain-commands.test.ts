import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deleteRedisKeys, REDIS_TEST_URL, TEST_DRIVER, uniqueName } from '../../../test/services.ts';
import { CliError } from '../../cli/output.ts';
import {
  type CliTarget,
  cliTestTarget,
  runCliInProcess,
  useCliTarget,
  withTargetDb,
} from '../../cli/test-support.ts';
import { VOTING_POWER_NAMESPACE } from '../../governance/index.ts';
import { clearPause, setPause } from '../../ops/pauses/pauses.ts';
import { createCache } from '../../platform/cache/index.ts';
import { loadConfig } from '../../platform/config.ts';
import type { Db } from '../../platform/db/create-db.ts';
import { createSilentLogger } from '../../platform/logger.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createShutdown } from '../../platform/shutdown.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import { type DevChain, deployBadge, startDevChain } from '../dev-chain.ts';
import { createListener, registerChainReplay } from '../listener/index.ts';
import { memberAddresses, mintBadges, revokeBadge } from '../listener/test-support.ts';
import { registerChainStatus } from '../ops/cli-chain-status.ts';
import { freePort } from '../rpc/test-support.ts';
import { registerReconcileChain } from './cli-reconcile-chain.ts';

let chain: DevChain;
let badge: `0x${string}`;
let startBlock: bigint;
let lastBlock: bigint;
let target: CliTarget;
const saved = { ...process.env };

const withDb = <T>(fn: (db: Db) => Promise<T>) => withTargetDb(target, fn);

/** Runs `cb <args>` in-process with the chain commands; returns stdout, stderr and the exit code set. */
const cb = (...args: string[]) =>
  runCliInProcess((program) => {
    const chainCommand = program.command('chain');
    registerChainReplay(chainCommand);
    registerChainStatus(chainCommand);
    registerReconcileChain(program.command('reconcile'));
  }, args);

beforeAll(async () => {
  chain = await startDevChain({ mode: 'node', port: 0 });
  const deployed = await deployBadge({
    transport: chain.transport,
    chain: chain.chain,
    deployer: chain.deployer,
    admin: chain.admin.address,
    minter: chain.minter.address,
    baseUri: 'http://cb.test/v1/badges/',
    pollingIntervalMs: 10,
  });
  badge = deployed.address;
  startBlock = deployed.blockNumber;
  const writer = { transport: chain.transport, chain: chain.chain, address: badge };
  const members = memberAddresses(5, 21);
  await mintBadges(
    writer,
    chain.minter,
    Array.from({ length: 20 }, (_, i) => ({
      to: members[i % 5]!,
      achievementId: achievementTokenId(`c${i % 3}`),
    })),
    { batchSize: 6 },
  );
  lastBlock = (await revokeBadge(writer, chain.admin, 2n)).blockNumber;

  target = await cliTestTarget('cb-chain-cli-');
  useCliTarget(target);
  Object.assign(process.env, {
    RPC_URLS: `dev=${chain.rpcUrl}`,
    CB_BADGE_ADDRESS: badge,
    CB_CHAIN_ID: '31337',
    CB_CHAIN_START_BLOCK: String(startBlock),
    CB_CHAIN_CONFIRMATIONS: '0',
    CB_LOG_LEVEL: 'error',
  });
  const config = loadConfig(process.env);
  await withDb(async (db) => {
    const quiet = createSilentLogger();
    await createListener({
      common: {
        config,
        logger: quiet,
        metrics: createMetrics(),
        shutdown: createShutdown({ graceMs: 100, logger: quiet }),
      },
      db,
      transport: chain.transport,
      chain: chain.chain,
      badgeAddress: badge,
    }).syncOnce();
  });
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await target?.drop();
  await chain?.stop();
});

describe('cb chain replay', () => {
  test('default: replays final blocks and reports in JSON', async () => {
    const { out, exitCode } = await cb('chain', 'replay', '--from-block', String(startBlock), '--json');
    expect(exitCode).toBeUndefined();
    expect(JSON.parse(out)).toMatchObject({
      contract: badge,
      fromBlock: String(startBlock),
      toBlock: String(lastBlock),
      eventsRead: 21,
      eventsUndone: 0,
      posted: { accepted: 0, duplicates: 21, rejected: 0 },
    });
  });

  test('behavior: text output names what it did', async () => {
    const { out } = await cb(
      'chain',
      'replay',
      '--from-block',
      String(startBlock),
      '--to-block',
      String(startBlock + 2n),
    );
    expect(out).toContain(`replayed blocks ${startBlock}..${startBlock + 2n}`);
    expect(out).toMatch(/achievement intake: +0 added, \d+ already there, 0 rejected/);
  });

  test.runIf(TEST_DRIVER === 'pg')(
    "behavior: a replay drops every instance's cached voting powers, through Redis",
    async () => {
      // A running instance's cache (its own memory, and Redis), holding a power.
      // Its own keys on the shared test Redis (the replay bumps the namespace's version), deleted after.
      const prefix = `${uniqueName('cbtest-replay')}:`;
      const common = {
        config: loadConfig({ ...process.env, REDIS_URL: REDIS_TEST_URL, CB_REDIS_KEY_PREFIX: prefix }),
        logger: createSilentLogger(),
        metrics: createMetrics(),
        shutdown: createShutdown({ graceMs: 1000, logger: createSilentLogger() }),
      };
      const server = createCache({ common });
      const powers = server.namespace<string>(VOTING_POWER_NAMESPACE);
      try {
        await powers.getOrLoad('k', () => 'cached power');
        expect(powers.peekLocal('k')).toBe('cached power');
        process.env.REDIS_URL = REDIS_TEST_URL;
        process.env.CB_REDIS_KEY_PREFIX = prefix;
        const { exitCode } = await cb('chain', 'replay', '--from-block', String(startBlock), '--json');
        expect(exitCode).toBeUndefined();
        const until = Date.now() + 5000;
        while (powers.peekLocal('k') !== undefined && Date.now() < until)
          await new Promise((r) => setTimeout(r, 50));
        expect(powers.peekLocal('k')).toBeUndefined();
      } finally {
        delete process.env.REDIS_URL;
        delete process.env.CB_REDIS_KEY_PREFIX;
        await server.close();
        await deleteRedisKeys(prefix);
      }
    },
  );

  test('error: bad or missing input is one clear line', async () => {
    await expect(cb('chain', 'replay', '--from-block', 'abc')).rejects.toThrow(
      new CliError('--from-block must be a block number (0 or more), got "abc"'),
    );
    await expect(cb('chain', 'replay')).rejects.toMatchObject({
      code: 'commander.missingMandatoryOptionValue',
    });
    await expect(cb('chain', 'replay', '--from-block', '9', '--to-block', '8')).rejects.toThrow(
      new CliError('--to-block 8 is before --from-block 9'),
    );
    const rpc = process.env.RPC_URLS;
    delete process.env.RPC_URLS;
    try {
      await expect(cb('chain', 'replay', '--from-block', '1')).rejects.toThrow(
        /cb chain replay needs RPC_URLS/,
      );
    } finally {
      process.env.RPC_URLS = rpc;
    }
  });
});

describe('cb chain status', () => {
  test('default: the checkpoint and mints from the database, each endpoint asked now — a dead one with its reason, never its URL', async () => {
    const rpc = process.env.RPC_URLS;
    process.env.RPC_URLS = `dev=${chain.rpcUrl},spare=http://user:secret@127.0.0.1:${await freePort()}/`;
    try {
      const json = await cb('chain', 'status', '--json');
      expect(json.exitCode).toBeUndefined();
      const report = JSON.parse(json.out);
      expect(report.checkpoints).toEqual([
        expect.objectContaining({ contract: badge.toLowerCase(), appliedBlock: String(lastBlock) }),
      ]);
      expect(report.mints).toMatchObject({ pending: 0, submitted: 0, failed: 0 });
      expect(report.instance.listener).toBeNull();
      const [dev, spare] = report.instance.rpc;
      expect(dev).toMatchObject({ name: 'dev', kind: 'http', up: true, chainId: 31337 });
      expect(dev.headBlock).toBeGreaterThanOrEqual(Number(lastBlock));
      expect(spare).toMatchObject({ name: 'spare', headBlock: null });
      expect(spare.consecutiveFailures).toBeGreaterThan(0);
      expect(spare.lastError).toMatch(/ECONNREFUSED|connection/);

      const text = await cb('chain', 'status');
      expect(text.out).toContain(`listener ${badge.toLowerCase()}: applied block ${lastBlock}`);
      expect(text.out).toMatch(/^rpc dev: up, [\d.]+ ms, head \d+, chain 31337$/m);
      expect(text.out).toMatch(/^rpc spare: FAILING \(\d+ failure\(s\) in a row: connection failed/m);
      expect(`${json.out}${json.err}${text.out}${text.err}`).not.toContain('secret');
      // No minter key here: said so.
      expect(report.minterAccount).toBeNull();
      expect(text.out).toContain('minter account: no key configured');
      // Nothing paused: no pause line.
      expect(report.pauses).toEqual([]);
      expect(text.out).not.toContain('PAUSED');
      // An emergency pause is named first, with who, why and how to lift it.
      await withDb((db) => setPause(db, 'minting', { reason: 'key rotation (INC-9)', pausedBy: 'ops@host' }));
      try {
        const paused = await cb('chain', 'status');
        expect(paused.out.split('\n')[1]).toMatch(
          /^minting: PAUSED since \S+ by ops@host: key rotation \(INC-9\) \(cb resume minting\)$/,
        );
        expect(JSON.parse((await cb('chain', 'status', '--json')).out).pauses).toEqual([
          expect.objectContaining({ name: 'minting', reason: 'key rotation (INC-9)' }),
        ]);
      } finally {
        await withDb((db) => clearPause(db, 'minting'));
      }
    } finally {
      process.env.RPC_URLS = rpc;
    }
  });

  test('behavior: with a minter key, its account, balance and MINTER_ROLE are asked now (the key never shown)', async () => {
    const minterKey = chain.accounts[1]!.privateKey; // hardhat #1: granted MINTER_ROLE at deployment
    const otherKey = chain.accounts[7]!.privateKey;
    try {
      process.env.CB_MINTER_PRIVATE_KEY = minterKey;
      const json = await cb('chain', 'status', '--json');
      const onChain = await chain.transport({}).request({
        method: 'eth_getBalance',
        params: [chain.minter.address, 'latest'],
      });
      expect(JSON.parse(json.out).minterAccount).toEqual({
        address: chain.minter.address,
        balanceWei: BigInt(onChain as string).toString(),
        minterRole: true,
        error: null,
      });
      const text = await cb('chain', 'status');
      expect(text.out).toMatch(
        new RegExp(
          `^minter account ${chain.minter.address}: balance \\d+(\\.\\d{1,4})? \\(native unit\\), holds MINTER_ROLE$`,
          'm',
        ),
      );

      process.env.CB_MINTER_PRIVATE_KEY = otherKey;
      const other = await cb('chain', 'status');
      expect(other.out).toMatch(
        /LACKS MINTER_ROLE \(badge admin: cb chain roles grant minter 0x[0-9a-fA-F]{40}\)/,
      );

      // Well-formed (the settings accept it) but no key (zero is not on the curve).
      process.env.CB_MINTER_PRIVATE_KEY = `0x${'0'.repeat(64)}`;
      const bad = await cb('chain', 'status', '--json');
      expect(JSON.parse(bad.out).minterAccount).toMatchObject({ address: null, balanceWei: null });
      expect(JSON.parse(bad.out).minterAccount.error).toMatch(/not a valid private key/);
      expect(`${json.out}${text.out}${other.out}${bad.out}`).not.toContain(minterKey.slice(2));
      expect(`${other.out}`).not.toContain(otherKey.slice(2));
    } finally {
      delete process.env.CB_MINTER_PRIVATE_KEY;
    }
  });
});

describe('cb reconcile chain', () => {
  test('behavior: differences exit 3 until --fix repairs them', async () => {
    await withDb((db) =>
      db.query(
        "update badge_tokens set owner = '0x000000000000000000000000000000000000dead' where token_id = 4",
      ),
    );
    const found = await cb('reconcile', 'chain', '--json');
    expect(found.exitCode).toBe(3);
    expect(JSON.parse(found.out).differences).toEqual([
      {
        kind: 'wrong_owner',
        tokenId: '4',
        db: { owner: '0x000000000000000000000000000000000000dead' },
        chain: { owner: expect.any(String) },
      },
    ]);
    const fixed = await cb('reconcile', 'chain', '--fix');
    expect(fixed.exitCode).toBeUndefined();
    expect(fixed.out).toMatch(/fixed: token 4: rebuilt from 1 chain event\(s\): 0x0+dead → 0x[0-9a-f]{40}/);
    expect(fixed.out).toContain('checked 20 token(s)');
    expect(fixed.out).toContain(': 1 difference(s)');
    // Both runs are recorded, as the scheduled ones are: the alert follows the latest.
    const runs = await withDb((db) =>
      db.query<{ trigger: string; fix: boolean; differences_left: number }>(
        'select trigger, fix, differences_left from chain_reconcile_runs order by id',
      ),
    );
    expect(runs.rows).toEqual([
      { trigger: 'cli', fix: false, differences_left: 1 },
      { trigger: 'cli', fix: true, differences_left: 0 },
    ]);
    const status = await cb('chain', 'status');
    expect(status.out).toMatch(
      /reconciliation: .* \(cb reconcile chain --fix\) at block \d+, 20 token\(s\): found 1 wrong_owner; 1 repair\(s\), 0 left/,
    );
  });
});
