/**
 * Worker threads that recover ECDSA signers off the event loop. For platforms where libsecp256k1's
 * native binding does not load: recovery in JavaScript costs ≈1.5 ms of CPU, so one thread tops
 * out near 650 signatures per second, and a pool of one worker per core lets ballot intake use
 * every core. (Native recovery, ≈0.06 ms, is cheaper in the calling thread.) A request to a closed pool or
 * to a crashed worker is recovered in the calling thread instead.
 */
import { Worker } from 'node:worker_threads';
import type { Hex } from 'viem';
import { type RecoverSigner, recoverInThread } from './verify-signature.ts';

export interface RecoverPool {
  readonly recover: RecoverSigner;
  close(): Promise<void>;
}

interface Pending {
  worker: number;
  hash: Hex;
  signature: Hex;
  resolve: (address: string | undefined) => void;
}

export function createRecoverPool(options: { workers: number }): RecoverPool {
  const workers: (Worker | undefined)[] = [];
  const pending = new Map<number, Pending>();
  const load: number[] = [];
  let nextId = 0;
  let closed = false;

  const fallBack = (worker: number) => {
    for (const [id, p] of pending) {
      if (p.worker !== worker) continue;
      pending.delete(id);
      void recoverInThread(p.hash, p.signature).then(p.resolve);
    }
  };

  for (let i = 0; i < options.workers; i++) {
    const worker = new Worker(new URL('./recover-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', ([id, address]: [number, string | null]) => {
      load[i]!--;
      const p = pending.get(id);
      pending.delete(id);
      p?.resolve(address ?? undefined);
    });
    worker.on('error', () => {
      workers[i] = undefined;
      fallBack(i);
    });
    workers.push(worker);
    load.push(0);
  }

  return {
    recover(hash, signature) {
      let best = -1;
      for (let i = 0; i < workers.length; i++)
        if (workers[i] && (best < 0 || load[i]! < load[best]!)) best = i;
      if (closed || best < 0) return recoverInThread(hash, signature);
      const id = nextId++;
      load[best]!++;
      return new Promise<string | undefined>((resolve) => {
        pending.set(id, { worker: best, hash, signature, resolve });
        workers[best]!.postMessage([id, hash, signature]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const all = workers.map((w, i) => [w, i] as const);
      await Promise.all(all.map(([w]) => w?.terminate()));
      for (const [, i] of all) fallBack(i);
    },
  };
}
