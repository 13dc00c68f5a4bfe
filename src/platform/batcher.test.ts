import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.ts';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createBatcher', () => {
  it('runs a lone call at once, in a batch of its own', async () => {
    const batches: number[][] = [];
    const b = createBatcher<number, number>({
      run: async (items) => {
        batches.push(items);
        return items.map((i) => i * 2);
      },
    });
    expect(await b.load(21)).toBe(42);
    expect(batches).toEqual([[21]]);
  });

  it('collects the calls made while batches run, up to maxBatch, in order', async () => {
    const batches: number[][] = [];
    let running = 0;
    let most = 0;
    const b = createBatcher<number, string>({
      maxBatch: 4,
      concurrency: 2,
      run: async (items) => {
        running++;
        most = Math.max(most, running);
        batches.push(items);
        await later(20);
        running--;
        return items.map((i) => `#${i}`);
      },
    });
    const all = Array.from({ length: 11 }, (_, i) => b.load(i));
    expect(await Promise.all(all)).toEqual(Array.from({ length: 11 }, (_, i) => `#${i}`));
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10],
    ]);
    expect(most).toBe(2);
  });

  it('batches the calls of one event-loop turn even when each comes from its own callback', async () => {
    const batches: number[][] = [];
    const b = createBatcher<number, number>({
      run: async (items) => {
        batches.push(items);
        return items; // answers within microtasks, as an in-process database can
      },
    });
    const results = await new Promise<number[]>((resolve) => {
      const got: Promise<number>[] = [];
      // Three callbacks of one turn, like three requests read in one poll phase.
      for (let i = 0; i < 3; i++)
        setImmediate(() => {
          got.push(b.load(i));
          if (got.length === 3) void Promise.all(got).then(resolve);
        });
    });
    expect(results).toEqual([0, 1, 2]);
    expect(batches).toEqual([[0, 1, 2]]);
  });

  it('rejects one item for its Error, and every item when the batch throws', async () => {
    let fail = false;
    const b = createBatcher<number, number>({
      run: async (items) => {
        if (fail) throw new Error('database went away');
        return items.map((i) => (i < 0 ? new Error(`negative ${i}`) : i));
      },
    });
    const [ok, bad] = await Promise.allSettled([b.load(1), b.load(-1)]);
    expect(ok).toEqual({ status: 'fulfilled', value: 1 });
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'negative -1' } });
    fail = true;
    const both = await Promise.allSettled([b.load(2), b.load(3)]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await b.load(4)).toBe(4);
  });

  it('refuses a run that answers the wrong number of items', async () => {
    const b = createBatcher<number, number>({ run: async () => [] });
    await expect(b.load(1)).rejects.toThrow('answered 0 items of 1');
  });

  it('validates its options', () => {
    expect(() => createBatcher({ run: async () => [], maxBatch: 0 })).toThrow(RangeError);
    expect(() => createBatcher({ run: async () => [], concurrency: 1.5 })).toThrow(RangeError);
  });
});
