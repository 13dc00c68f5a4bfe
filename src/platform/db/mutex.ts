/** A FIFO async mutex: `acquire()` resolves with a release function. */
export class Mutex {
  #locked = false;
  #waiters: { wake: () => void; since: number }[] = [];

  get locked(): boolean {
    return this.#locked;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** How long the first in line has waited (ms); 0 when nobody waits. */
  oldestWaitMs(now = performance.now()): number {
    const first = this.#waiters[0];
    return first ? now - first.since : 0;
  }

  async acquire(): Promise<() => void> {
    if (this.#locked)
      await new Promise<void>((wake) => this.#waiters.push({ wake, since: performance.now() }));
    this.#locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.wake();
      else this.#locked = false;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
