/**
 * The one place that handles signals and graceful exit. Subsystems register a close function;
 * on SIGTERM/SIGINT they run in reverse order of registration (the HTTP server stops accepting
 * first, then workers finish, then pools close), all within the grace period.
 */
import type { Logger } from './logger.ts';

export interface Shutdown {
  /** Registers `fn` to run at shutdown; later registrations run first. */
  add(name: string, fn: () => Promise<void> | void): void;
  /** Runs every close function once; resolves when done or when the grace period ran out. */
  run(reason: string): Promise<{ timedOut: boolean }>;
  readonly isShuttingDown: boolean;
  /** Resolves when shutdown starts. */
  readonly started: Promise<string>;
}

export function createShutdown(options: { graceMs: number; logger: Logger }): Shutdown {
  const hooks: { name: string; fn: () => Promise<void> | void }[] = [];
  let running: Promise<{ timedOut: boolean }> | undefined;
  let markStarted!: (reason: string) => void;
  const started = new Promise<string>((resolve) => {
    markStarted = resolve;
  });

  const runAll = async () => {
    for (const hook of [...hooks].reverse()) {
      const t0 = performance.now();
      try {
        await hook.fn();
        options.logger.debug(`closed ${hook.name}`, {
          metrics: { durationMs: Math.round(performance.now() - t0) },
        });
      } catch (err) {
        options.logger.error(`closing ${hook.name} failed`, { err });
      }
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
      const timeout = new Promise<{ timedOut: boolean }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), options.graceMs + 1000);
        timer.unref();
      });
      running = Promise.race([runAll().then(() => ({ timedOut: false })), timeout]).finally(() =>
        clearTimeout(timer),
      );
      return running;
    },
    get isShuttingDown() {
      return running !== undefined;
    },
    started,
  };
}
