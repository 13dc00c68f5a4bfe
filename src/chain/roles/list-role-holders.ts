/**
 * Who holds the badge contract's roles. AccessControl keeps no list of holders, so the candidates
 * come from the contract's RoleGranted / RoleRevoked logs from `fromBlock` (the listener's start
 * block, CB_CHAIN_START_BLOCK: the deployment block, where the constructor's grants are) to the head,
 * read in chunks of `chunkBlocks` (a range the node refuses as too large is split, as the listener's
 * are), and each candidate is then confirmed by `hasRole` at that head block: the holders listed are
 * the contract's answer, the logs only say whom to ask. A role granted before `fromBlock` is not
 * seen, unless `alsoCheck` names its holder (the configured minter and executor accounts).
 */
import {
  type Address,
  decodeEventLog,
  encodeEventTopics,
  getAddress,
  type Hash,
  type PublicClient,
  type Transport,
} from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import {
  createChainRpc,
  createChunkSizer,
  createLimiter,
  type EventReader,
  readLogs,
} from '../listener/index.ts';
import { BADGE_ROLE_NAMES, BADGE_ROLES, type BadgeRoleName } from './badge-roles.ts';

/** One confirmed holder of a role. */
export interface RoleHolder {
  address: Address;
  /** The block of the grant that gave it the role (its last RoleGranted); null when no log was seen. */
  grantedInBlock: bigint | null;
  /** The transaction of that grant; null when no log was seen. */
  grantedInTx: Hash | null;
  /** Who granted it (the log's sender); null when no log was seen. */
  grantedBy: Address | null;
}

export interface ListRoleHoldersParameters {
  /** The pool's transport (or a dev chain's). */
  transport: Transport;
  client: Pick<PublicClient, 'readContract' | 'getBlockNumber'>;
  badgeAddress: Address;
  /** First block to read logs from (CB_CHAIN_START_BLOCK). */
  fromBlock: bigint;
  /** Blocks per eth_getLogs request (CB_LISTENER_CHUNK_BLOCKS). */
  chunkBlocks: number;
  /** eth_getLogs requests in flight (CB_LISTENER_CONCURRENCY). */
  concurrency: number;
  /** Accounts to ask `hasRole` about for both roles even when no log names them. */
  alsoCheck?: readonly Address[] | undefined;
  /** Called before the first request (0 read) and after each round, with the blocks read so far and the total. */
  onProgress?: ((blocksRead: bigint, totalBlocks: bigint) => void) | undefined;
}

export interface RoleHolders {
  /** The logs were read up to this block and `hasRole` asked at it. */
  headBlock: bigint;
  fromBlock: bigint;
  /** RoleGranted / RoleRevoked logs of the two roles read. */
  logsRead: number;
  holders: Record<BadgeRoleName, RoleHolder[]>;
  /** `hasRole` of each account of `alsoCheck`, by role, at `headBlock`. */
  checked: Map<Address, Record<BadgeRoleName, boolean>>;
}

const EVENT_TOPICS = ['RoleGranted', 'RoleRevoked'].map(
  (eventName) => encodeEventTopics({ abi: achievementBadgeAbi, eventName: eventName as 'RoleGranted' })[0]!,
);

/** See the module comment. Node errors reach the caller as they are. */
export async function listRoleHolders(params: ListRoleHoldersParameters): Promise<RoleHolders> {
  const { client, badgeAddress, fromBlock } = params;
  const headBlock = await client.getBlockNumber({ cacheTime: 0 });
  const reader: EventReader = {
    rpc: createChainRpc(params.transport),
    address: badgeAddress,
    limit: createLimiter(params.concurrency),
    sizer: createChunkSizer(params.chunkBlocks),
  };
  const topics = [EVENT_TOPICS, BADGE_ROLE_NAMES.map((name) => BADGE_ROLES[name].id)];
  const total = headBlock >= fromBlock ? headBlock - fromBlock + 1n : 0n;
  const rawLogs = [];
  let next = fromBlock;
  params.onProgress?.(0n, total);
  while (next <= headBlock) {
    // One round: `concurrency` ranges at the sizer's current size (it shrinks on a refusal).
    const round = [];
    for (let i = 0; i < params.concurrency && next <= headBlock; i++) {
      const end = next + reader.sizer.current - 1n < headBlock ? next + reader.sizer.current - 1n : headBlock;
      round.push(readLogs(reader, next, end, topics));
      next = end + 1n;
    }
    rawLogs.push(...(await Promise.all(round)).flat());
    params.onProgress?.(next - fromBlock, total);
  }

  // Each (role, account) ever granted, with its grant still in force by the logs (null: revoked since).
  const lastGrant = new Map<string, RoleHolder | null>();
  const ordered = rawLogs
    .map((log) => ({ log, block: BigInt(log.blockNumber), index: BigInt(log.logIndex) }))
    .sort((a, b) => (a.block === b.block ? Number(a.index - b.index) : a.block < b.block ? -1 : 1));
  for (const { log, block } of ordered) {
    const event = decodeEventLog({ abi: achievementBadgeAbi, topics: log.topics as never, data: log.data });
    if (event.eventName !== 'RoleGranted' && event.eventName !== 'RoleRevoked') continue;
    const key = `${event.args.role}:${getAddress(event.args.account)}`;
    lastGrant.set(
      key,
      event.eventName === 'RoleGranted'
        ? {
            address: getAddress(event.args.account),
            grantedInBlock: block,
            grantedInTx: log.transactionHash,
            grantedBy: getAddress(event.args.sender),
          }
        : null,
    );
  }

  const hasRole = (name: BadgeRoleName, account: Address) =>
    client.readContract({
      address: badgeAddress,
      abi: achievementBadgeAbi,
      functionName: 'hasRole',
      args: [BADGE_ROLES[name].id, account],
      blockNumber: headBlock,
    });
  const holders = {} as Record<BadgeRoleName, RoleHolder[]>;
  const checked = new Map<Address, Record<BadgeRoleName, boolean>>();
  const extra = [...new Set((params.alsoCheck ?? []).map((a) => getAddress(a)))];
  for (const account of extra) {
    const [admin, minter] = await Promise.all([hasRole('admin', account), hasRole('minter', account)]);
    checked.set(account, { admin, minter });
  }
  for (const name of BADGE_ROLE_NAMES) {
    // Every account ever granted the role is asked: a revoke's log could be outside the range read.
    const candidates = new Map<Address, RoleHolder>();
    for (const [key, grant] of lastGrant) {
      if (!key.startsWith(`${BADGE_ROLES[name].id}:`)) continue;
      const address = getAddress(key.slice(key.indexOf(':') + 1));
      candidates.set(address, grant ?? { address, grantedInBlock: null, grantedInTx: null, grantedBy: null });
    }
    for (const [account, roles] of checked)
      if (roles[name] && !candidates.has(account))
        candidates.set(account, {
          address: account,
          grantedInBlock: null,
          grantedInTx: null,
          grantedBy: null,
        });
    const list = [...candidates.values()];
    const confirmed = await Promise.all(
      list.map((h) => checked.get(h.address)?.[name] ?? hasRole(name, h.address)),
    );
    holders[name] = list.filter((_, i) => confirmed[i]);
  }
  return { headBlock, fromBlock, logsRead: rawLogs.length, holders, checked };
}
