/**
 * The one place that handles signals and graceful exit. Subsystems register a close function;
 * on SIGTERM/SIGINT they run in reverse order of registration (the HTTP server stops accepting
 * first, then workers finish, then pools close), all within the grace period. When the grace
 * period runs out, `run` says which close functions had not finished (the one still running and
 * those after it) so the last lines can name them.
 */
import type { Logger } from './logger.ts';

export interface Shutdown {
  /** Registers `fn` to run at shutdown; later registrations run first. */
  add(name: string, fn: () => Promise<void> | void): void;
  /**
   * Runs every close function once; resolves when done or when the grace period ran out, then with
   * `unfinished`: the close functions still running or not yet started, in their order.
   */
  run(reason: string): Promise<ShutdownResult>;
  readonly isShuttingDown: boolean;
  /** Resolves when shutdown starts. */
  readonly started: Promise<string>;
}

export interface ShutdownResult {
  timedOut: boolean;
  unfinished: string[];
}

export function createShutdown(options: { graceMs: number; logger: Logger }): Shutdown {
  const hooks: { name: string; fn: () => Promise<void> | void }[] = [];
  let running: Promise<ShutdownResult> | undefined;
  /** Close functions not yet finished, in the order they run. */
  const unfinished: string[] = [];
  let markStarted!: (reason: string) => void;
  const started = new Promise<string>((resolve) => {
    markStarted = resolve;
  });

  const runAll = async () => {
    const order = [...hooks].reverse();
    unfinished.push(...order.map((h) => h.name));
    for (const hook of order) {
      const t0 = performance.now();
      try {
        await hook.fn();
        options.logger.debug(`closed ${hook.name}`, {
          metrics: { durationMs: Math.round(performance.now() - t0) },
        });
      } catch (err) {
        options.logger.error(`closing ${hook.name} failed`, { err });
      }
      unfinished.shift();
    }
  };

  return {
    add(name, fn) {
      hooks.push({ name, fn });
    },
    run(reason) {
      if (running) return running;
      markStarted(reason);
      options.logger.info('shutting down', { context: { reason }, metrics: { graceMs: options.graceMs } });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ShutdownResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ timedOut: true, unfinished: [...unfinished] }),
          options.graceMs + 1000,
        );
        timer.unref();
      });
      const done = runAll().then(() => ({ timedOut: false, unfinished: [] }));
      running = Promise.race([done, timeout]).finally(() => clearTimeout(timer));
      return running;
    },
    get isShuttingDown() {
      return running !== undefined;
    },
    started,
  };
}
