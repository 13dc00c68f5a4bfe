/**
 * Coalesces concurrent calls into batches — the DataLoader pattern, without its cache — so that a
 * hot path making one small database round trip per request makes one per batch instead.
 *
 * A call joins the pending batch. A batch starts at the end of the current event-loop turn
 * (`setImmediate`) when fewer than `concurrency` batches are running; otherwise it waits for one to
 * finish, collecting the calls made meanwhile (up to `maxBatch` per batch). Not on the next
 * microtask: requests and worker replies arrive as separate callbacks of one turn, and a database
 * answering within microtasks (PGlite, in process) would then run every call in a batch of its
 * own. So an idle batcher delays a lone call by one turn, and under load the batches grow with the
 * load: the round trips stay about constant.
 *
 * `run` answers every item of a batch, in order: a value, or an Error for that item alone. When
 * `run` throws, every item of the batch rejects with that error.
 */
export interface Batcher<I, O> {
  load(item: I): Promise<O>;
}

export interface BatcherOptions<I, O> {
  run(items: I[]): Promise<(O | Error)[]>;
  /** Most items in one batch. @defaultValue `100` */
  maxBatch?: number | undefined;
  /** Batches running at once. @defaultValue `2` */
  concurrency?: number | undefined;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export function createBatcher<I, O>(options: BatcherOptions<I, O>): Batcher<I, O> {
  const maxBatch = options.maxBatch ?? 100;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new RangeError('maxBatch must be a whole number ≥ 1');
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError('concurrency must be a whole number ≥ 1');
  const queue: Waiting<I, O>[] = [];
  let running = 0;
  let scheduled = false;

  const start = () => {
    scheduled = false;
    while (running < concurrency && queue.length > 0) void runBatch(queue.splice(0, maxBatch));
  };
  const schedule = () => {
    if (scheduled || running >= concurrency) return;
    scheduled = true;
    setImmediate(start);
  };

  const runBatch = async (batch: Waiting<I, O>[]) => {
    running++;
    try {
      const results = await options.run(batch.map((w) => w.item));
      if (results.length !== batch.length)
        throw new Error(`batcher: run answered ${results.length} items of ${batch.length}`);
      batch.forEach((w, i) => {
        const r = results[i] as O | Error;
        if (r instanceof Error) w.reject(r);
        else w.resolve(r);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      running--;
      schedule();
    }
  };

  return {
    load(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
