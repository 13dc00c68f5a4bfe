/**
 * The few JSON-RPC reads the listener makes, sent raw through any viem transport (the RPC pool's,
 * or a dev chain's): raw because viem's formatters would reshape every log and header, which costs
 * more than everything else the backfill does with them. Quantities stay hex until decoded.
 */
import { type Address, type Chain, type Hex, numberToHex, type Transport } from 'viem';

/** What the listener keeps of a block header. */
export interface BlockHeader {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  /** Seconds since the epoch. */
  timestamp: bigint;
}

/** A log as eth_getLogs returns it (hex quantities). */
export interface RpcLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: Hex;
  /** Sent by some nodes (geth ≥ 1.16, reth); saves a header read per block. */
  blockTimestamp?: Hex | undefined;
  removed?: boolean | undefined;
}

export interface LogFilter {
  address: Address;
  fromBlock: bigint;
  toBlock: bigint;
  /** topics[0] alternatives, then optional topics[1] alternatives. */
  topics: (Hex[] | null)[];
}

export interface ChainRpc {
  chainId(): Promise<number>;
  blockNumber(): Promise<bigint>;
  /** The header of block `n`, or undefined when the node has no such block (yet, or after a reorg). */
  header(n: bigint): Promise<BlockHeader | undefined>;
  logs(filter: LogFilter): Promise<RpcLog[]>;
  /** eth_call at block `block`. */
  call(to: Address, data: Hex, block: bigint): Promise<Hex>;
}

type RawRequest = (args: { method: string; params?: unknown }) => Promise<unknown>;

interface RawHeader {
  number: Hex;
  hash: Hex;
  parentHash: Hex;
  timestamp: Hex;
}

/** Transport failures (a reset keep-alive socket, a refused connection) are retried this often. */
const TRANSPORT_RETRIES = 2;

/**
 * Raw reads over `transport`. viem's own retries are turned off for a transport that does not set
 * them (they would retry a "response too large" three times before the range can be split); a
 * transport failure (no JSON-RPC answer, not a too-large refusal) is retried twice here, after 50
 * and 200 ms — e.g. a keep-alive socket the node closed just as it was reused. Anything else
 * surfaces, and the listener tries again on its next poll.
 */
export function createChainRpc(transport: Transport, chain?: Chain | undefined): ChainRpc {
  const send = transport({ chain, retryCount: 0 }).request as unknown as RawRequest;
  const request: RawRequest = async (args) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(args);
      } catch (err) {
        if (attempt >= TRANSPORT_RETRIES || !isTransportFailure(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * 4 ** attempt));
      }
    }
  };
  return {
    async chainId() {
      return Number(await request({ method: 'eth_chainId' }));
    },
    async blockNumber() {
      return BigInt((await request({ method: 'eth_blockNumber' })) as Hex);
    },
    async header(n) {
      const raw = (await request({
        method: 'eth_getBlockByNumber',
        params: [numberToHex(n), false],
      })) as RawHeader | null;
      if (!raw) return undefined;
      return {
        number: BigInt(raw.number),
        hash: raw.hash,
        parentHash: raw.parentHash,
        timestamp: BigInt(raw.timestamp),
      };
    },
    async logs(filter) {
      const topics = [...filter.topics];
      while (topics.length > 0 && topics[topics.length - 1] === null) topics.pop();
      return (await request({
        method: 'eth_getLogs',
        params: [
          {
            address: filter.address,
            fromBlock: numberToHex(filter.fromBlock),
            toBlock: numberToHex(filter.toBlock),
            topics,
          },
        ],
      })) as RpcLog[];
    },
    async call(to, data, block) {
      return (await request({ method: 'eth_call', params: [{ to, data }, numberToHex(block)] })) as Hex;
    },
  };
}

const TOO_LARGE =
  /too large|too big|too many|more than \d[\d,]* (results|logs|blocks)|response size|size exceeded|limit exceeded|exceeds? (the )?(max|limit)|block range|range (is )?too|range limit|max(imum)? (block )?range|query timeout|\b413\b|-32005/i;

/**
 * Whether `error` (or one of its causes) says an eth_getLogs answer would be too large or its
 * range too wide: viem's 10 MB body cap, HTTP 413, and the wordings of geth, Erigon, Alchemy,
 * Infura, QuickNode and others. Such a range is split, not retried as is.
 */
export function isTooLargeError(error: unknown): boolean {
  for (const e of causes(error)) {
    const { name, message, details, code } = e as {
      name?: unknown;
      message?: unknown;
      details?: unknown;
      code?: unknown;
    };
    if (name === 'ResponseBodyTooLargeError') return true;
    if (code === -32005) return true;
    for (const text of [message, details]) if (typeof text === 'string' && TOO_LARGE.test(text)) return true;
  }
  return false;
}

/** The block count a provider suggests in its refusal (`… try [0x10, 0x2f]`), if it does. */
export function suggestedRangeSize(error: unknown): bigint | undefined {
  for (const e of causes(error)) {
    const text = `${(e as { message?: unknown }).message ?? ''} ${(e as { details?: unknown }).details ?? ''}`;
    const m = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i.exec(text);
    if (m) {
      const size = BigInt(m[2]!) - BigInt(m[1]!) + 1n;
      if (size > 0n) return size;
    }
  }
  return undefined;
}

function* causes(error: unknown): Generator<object> {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}

/** No answer from the node at all (socket/connection trouble), as opposed to an answer refusing the call. */
function isTransportFailure(error: unknown): boolean {
  if (isTooLargeError(error)) return false;
  for (const e of causes(error)) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'number') return false; // a JSON-RPC error: the node answered
    if (typeof code === 'string' && /^(UND_ERR_|ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND)/.test(code))
      return true;
  }
  return false;
}
