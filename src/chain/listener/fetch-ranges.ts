/**
 * Reading badge events from the chain: eth_getLogs over block ranges, several in flight (bounded
 * by a {@link Limiter}), handed back in chain order; a range the node refuses as too large is split
 * and the chunk size shrinks for the ranges after it (and grows back slowly after successes).
 * Each range comes with the header of its last block (the checkpoint's hash) and the time of every
 * block that has an event.
 */
import type { Address, Hex } from 'viem';
import { chunks } from '../../platform/chunks.ts';
import {
  type BlockHeader,
  type ChainRpc,
  isTooLargeError,
  type RpcLog,
  suggestedRangeSize,
} from './chain-rpc.ts';
import { type BadgeEvent, decodeBadgeLogs } from './decode-badge-logs.ts';
import { ChainMovedError, LogsTooLargeError } from './errors.ts';
import type { Limiter } from './limiter.ts';

/** The blocks per eth_getLogs request, adapted to what the endpoint accepts. */
export interface ChunkSizer {
  readonly current: bigint;
  /** A range of `blocks` was refused as too large: use at most `suggested` (or half) from now on. */
  shrink(blocks: bigint): void;
  /** A range was served: after 8 in a row, grow by half again, up to the configured size. */
  served(): void;
}

export function createChunkSizer(maxBlocks: number): ChunkSizer {
  const max = BigInt(Math.max(1, maxBlocks));
  let current = max;
  let streak = 0;
  return {
    get current() {
      return current;
    },
    shrink(blocks) {
      streak = 0;
      if (blocks < current) current = blocks < 1n ? 1n : blocks;
    },
    served() {
      if (current >= max || ++streak < 8) return;
      streak = 0;
      const grown = current + (current + 1n) / 2n;
      current = grown > max ? max : grown;
    },
  };
}

export interface EventReader {
  rpc: ChainRpc;
  address: Address;
  limit: Limiter;
  sizer: ChunkSizer;
}

/** Events of one range, ready to apply. */
export interface FetchedRange {
  fromBlock: bigint;
  toBlock: bigint;
  events: BadgeEvent[];
  /** Header of `toBlock`. */
  end: BlockHeader;
  /** Every header read for the range (`toBlock`'s and those of blocks with events), by number. */
  headers: ReadonlyMap<bigint, BlockHeader>;
}

/**
 * The logs of [from, to] matching `topics`, split as needed when the node refuses a range.
 * @throws LogsTooLargeError when even one block is refused.
 */
export async function readLogs(
  reader: EventReader,
  from: bigint,
  to: bigint,
  topics: (Hex[] | null)[],
): Promise<RpcLog[]> {
  try {
    const logs = await reader.limit(() =>
      reader.rpc.logs({ address: reader.address, fromBlock: from, toBlock: to, topics }),
    );
    reader.sizer.served();
    return logs;
  } catch (err) {
    if (!isTooLargeError(err)) throw err;
    if (from === to) throw new LogsTooLargeError(from, err);
    const size = to - from + 1n;
    const suggested = suggestedRangeSize(err);
    const part = suggested !== undefined && suggested < size ? suggested : (size + 1n) / 2n;
    reader.sizer.shrink(part);
    const parts: Promise<RpcLog[]>[] = [];
    for (let a = from; a <= to; a += part) {
      const b = a + part - 1n > to ? to : a + part - 1n;
      parts.push(readLogs(reader, a, b, topics));
    }
    return (await Promise.all(parts)).flat();
  }
}

/** Header reads sent together in one slot of the limiter: the RPC pool's largest batch over HTTP. */
const HEADERS_PER_SLOT = 100;

/**
 * Headers of `numbers` (distinct), {@link HEADERS_PER_SLOT} at a time per slot of the limiter, sent
 * together: over HTTP each group is one JSON-RPC batch (see the RPC pool's connect-endpoint.ts),
 * so a range costs a request or two instead of one per block.
 */
export async function readHeaders(
  reader: EventReader,
  numbers: Iterable<bigint>,
): Promise<Map<bigint, BlockHeader>> {
  const list = [...new Set(numbers)];
  const headers = (
    await Promise.all(
      chunks(list, HEADERS_PER_SLOT).map((group) =>
        reader.limit(() => Promise.all(group.map((n) => reader.rpc.header(n))), { urgent: true }),
      ),
    )
  ).flat();
  const out = new Map<bigint, BlockHeader>();
  headers.forEach((h, i) => {
    if (!h) throw new ChainMovedError(`block ${list[i]} is not on the node (any more)`);
    out.set(h.number, h);
  });
  return out;
}

/**
 * One range's events with their block times, and the header of its last block. Checks that every
 * event's block hash is the one of the header read for it (else the chain moved while reading).
 */
export async function readRange(
  reader: EventReader,
  from: bigint,
  to: bigint,
  topics: (Hex[] | null)[],
): Promise<FetchedRange> {
  const events = decodeBadgeLogs(await readLogs(reader, from, to, topics));
  const wanted = new Set<bigint>([to]);
  for (const e of events) if (e.blockTimestamp === undefined) wanted.add(e.blockNumber);
  const headers = await readHeaders(reader, wanted);
  for (const e of events) {
    const h = headers.get(e.blockNumber);
    if (!h) continue;
    if (h.hash !== e.blockHash)
      throw new ChainMovedError(
        `block ${e.blockNumber} changed while its logs were read (reorg in progress?)`,
      );
    e.blockTimestamp ??= h.timestamp;
  }
  return { fromBlock: from, toBlock: to, events, end: headers.get(to)!, headers };
}

/**
 * Ranges covering [from, to] in order, read ahead: up to `ahead` ranges are in flight or waiting to
 * be taken while the caller applies the previous one. Stop early with `break` (what was read ahead
 * is dropped).
 */
export async function* readRanges(
  reader: EventReader,
  from: bigint,
  to: bigint,
  topics: (Hex[] | null)[],
  ahead: number,
): AsyncGenerator<FetchedRange> {
  let next = from;
  const window: Promise<FetchedRange>[] = [];
  const fill = () => {
    while (window.length < ahead && next <= to) {
      const a = next;
      const size = reader.sizer.current;
      const b = a + size - 1n > to ? to : a + size - 1n;
      next = b + 1n;
      const p = readRange(reader, a, b, topics);
      p.catch(() => {}); // awaited in order below; this only keeps an early failure from going unhandled
      window.push(p);
    }
  };
  fill();
  while (window.length > 0) {
    const range = await window.shift()!;
    fill();
    yield range;
  }
}
