/**
 * Test helper: a private `redis-server` on a free port that a test may kill and start again to
 * simulate an outage, without touching the shared Redis other suites use. Not used in production.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../test/services.ts';

/** Why a private server cannot run here, or undefined. Throws in CI, where it must run. */
export function redisServerMissing(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  const problem = probe.error ? `redis-server is not runnable: ${probe.error.message}` : undefined;
  if (problem && process.env.CI === 'true') throw new Error(`${problem} (required in CI)`);
  return problem;
}

export interface PrivateRedis {
  readonly url: string;
  /** Starts the server (again, on the same port; it loads the last SAVE). */
  start(): Promise<void>;
  /** SIGKILLs the server: a crash, nothing is saved. */
  kill(): Promise<void>;
  /** SAVE, so a restart comes back with the current data. */
  save(): Promise<void>;
  /** A plain client for assertions (caller disconnects it). */
  client(): Redis;
  /** Kills the server and removes its directory. */
  dispose(): Promise<void>;
}

export async function createPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cb-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const client = () => {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {}); // failures surface through the awaited commands
    return c;
  };

  const answers = async () => {
    const c = client();
    try {
      await c.connect();
      await c.ping();
      return true;
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };

  const self: PrivateRedis = {
    url,
    async start() {
      if (child && child.exitCode === null) return;
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      );
      const started = child;
      for (let i = 0; i < 100; i++) {
        if (started.exitCode !== null) break; // e.g. the port was taken meanwhile
        if (await answers()) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      await self.kill();
      throw new Error(`private redis-server on port ${port} did not start`);
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    async save() {
      const c = client();
      try {
        await c.connect();
        await c.save();
      } finally {
        c.disconnect();
      }
    },
    client,
    async dispose() {
      await self.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}
