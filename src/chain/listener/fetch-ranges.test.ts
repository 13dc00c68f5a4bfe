import { describe, expect, test } from 'vitest';
import type { BlockHeader, ChainRpc } from './chain-rpc.ts';
import { ChainMovedError } from './errors.ts';
import { createChunkSizer, readHeaders } from './fetch-ranges.ts';
import { createLimiter } from './limiter.ts';

/** A ChainRpc whose header reads are recorded in waves: the reads started before any of them ended. */
function fakeRpc(missing = new Set<bigint>()) {
  const waves: bigint[][] = [];
  let current: bigint[] | undefined;
  const rpc = {
    async header(n: bigint): Promise<BlockHeader | undefined> {
      if (!current) {
        current = [];
        waves.push(current);
      }
      current.push(n);
      await new Promise((resolve) => setTimeout(resolve, 5));
      current = undefined;
      if (missing.has(n)) return undefined;
      return { number: n, hash: `0x${n.toString(16)}`, parentHash: '0x0', timestamp: 1000n + n };
    },
  } as unknown as ChainRpc;
  return { rpc, waves };
}

const reader = (rpc: ChainRpc, concurrency: number) => ({
  rpc,
  address: '0x0000000000000000000000000000000000000001' as const,
  limit: createLimiter(concurrency),
  sizer: createChunkSizer(20),
});

describe('readHeaders', () => {
  test('default: a range’s headers are sent together, 100 per limiter slot (one JSON-RPC batch each over HTTP)', async () => {
    const { rpc, waves } = fakeRpc();
    const numbers = Array.from({ length: 250 }, (_, i) => BigInt(i + 1));
    const headers = await readHeaders(reader(rpc, 1), [...numbers, 5n]);
    expect([...headers.keys()]).toEqual(numbers);
    expect(headers.get(7n)?.timestamp).toBe(1007n);
    expect(waves.map((w) => w.length).sort((x, y) => y - x)).toEqual([100, 100, 50]);
  });

  test('behavior: a block the node does not have is a ChainMovedError', async () => {
    const { rpc } = fakeRpc(new Set([3n]));
    await expect(readHeaders(reader(rpc, 4), [1n, 2n, 3n])).rejects.toBeInstanceOf(ChainMovedError);
  });
});
