/**
 * BadgeMinted / BadgeRevoked logs into {@link BadgeEvent}s. Every argument of both events is
 * indexed, so decoding is reading three topics — done by hand because it runs for every event of a
 * backfill (viem's decodeEventLog is ~20× slower; a test checks both agree).
 */
import { encodeEventTopics, type Hex } from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import type { RpcLog } from './chain-rpc.ts';

/** topic0 of BadgeMinted(uint256 indexed tokenId, address indexed to, uint256 indexed achievementId). */
export const BADGE_MINTED_TOPIC = encodeEventTopics({
  abi: achievementBadgeAbi,
  eventName: 'BadgeMinted',
})[0];
/** topic0 of BadgeRevoked(uint256 indexed tokenId, address indexed owner, uint256 indexed achievementId). */
export const BADGE_REVOKED_TOPIC = encodeEventTopics({
  abi: achievementBadgeAbi,
  eventName: 'BadgeRevoked',
})[0];
/** The topic0 filter of every log the listener reads. */
export const BADGE_TOPICS: Hex[] = [BADGE_MINTED_TOPIC, BADGE_REVOKED_TOPIC];

export type BadgeEventName = 'BadgeMinted' | 'BadgeRevoked';

/** One badge event at its chain position. */
export interface BadgeEvent {
  event: BadgeEventName;
  tokenId: bigint;
  /** The holder: `to` of a mint, `owner` of a revoke; lower case. */
  holder: string;
  /** The on-chain achievement id (uint64 of the slug, see achievementTokenId). */
  achievementKey: bigint;
  blockNumber: bigint;
  blockHash: Hex;
  txHash: Hex;
  logIndex: number;
  /** Seconds; known when the node sends it with the log or once the block's header was read. */
  blockTimestamp: bigint | undefined;
}

/**
 * Decodes the badge logs among `logs` (others are skipped), in chain order.
 * @throws Error for a log of ours that is malformed (wrong topic count) — a node bug, not data.
 */
export function decodeBadgeLogs(logs: readonly RpcLog[]): BadgeEvent[] {
  const out: BadgeEvent[] = [];
  for (const log of logs) {
    const t0 = log.topics[0];
    const event: BadgeEventName | undefined =
      t0 === BADGE_MINTED_TOPIC ? 'BadgeMinted' : t0 === BADGE_REVOKED_TOPIC ? 'BadgeRevoked' : undefined;
    if (!event || log.removed === true) continue;
    const [, tokenTopic, holderTopic, achievementTopic] = log.topics;
    if (!tokenTopic || !holderTopic || !achievementTopic)
      throw new Error(
        `${event} log ${log.transactionHash}:${log.logIndex} has ${log.topics.length} topics, not 4`,
      );
    out.push({
      event,
      tokenId: BigInt(tokenTopic),
      holder: `0x${holderTopic.slice(26).toLowerCase()}`,
      achievementKey: BigInt(achievementTopic),
      blockNumber: BigInt(log.blockNumber),
      blockHash: log.blockHash,
      txHash: log.transactionHash,
      logIndex: Number(log.logIndex),
      blockTimestamp: log.blockTimestamp === undefined ? undefined : BigInt(log.blockTimestamp),
    });
  }
  // Nodes answer in chain order; a split range is put back together in order too. Check, not assume.
  for (let i = 1; i < out.length; i++) {
    if (compareEvents(out[i - 1]!, out[i]!) > 0) {
      out.sort(compareEvents);
      break;
    }
  }
  return out;
}

/** Chain order: block, then log index. */
export function compareEvents(a: BadgeEvent, b: BadgeEvent): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.logIndex - b.logIndex;
}
