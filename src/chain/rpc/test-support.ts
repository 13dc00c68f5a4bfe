/**
 * Test helpers (not used in production): real `hardhat node` processes on free ports, each with its
 * own temporary config (so its chain id), a JSON-RPC call straight to one (around the pool), and a
 * local proxy in front of one that answers late or never.
 * Every node started is killed when the test process exits, even after a failed test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EthereumProvider } from 'hardhat/types/index.js';
import { freePort } from '../../../test/services.ts';

/** Re-exported for the chain suites that already import it from here. */
export { freePort };

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const HARDHAT_CLI = join(REPO, 'node_modules/hardhat/internal/cli/bootstrap.js');

/**
 * Runs the hardhat CLI in a child that exits when its stdin closes — that is, when the test process
 * ends for any reason, SIGKILL included — so that no node outlives a crashed or killed test run.
 */
const WATCHDOG = [
  "process.stdin.on('end', () => process.exit(0));",
  "process.stdin.on('error', () => process.exit(0));",
  'process.stdin.resume();',
  "process.argv.splice(1, 0, 'hardhat');",
  `require(${JSON.stringify(HARDHAT_CLI)});`,
].join(' ');

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-rpc-hardhat-'));
  tempDirs.add(dir);
  return dir;
}

export interface HardhatNode {
  readonly chainId: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** Kills the process (SIGKILL); `restart()` starts a fresh chain on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP: the port accepts connections but nothing answers (a hung node). */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** One JSON-RPC call straight to this node; throws on a JSON-RPC error. */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Kills the process and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Starts `hardhat node --hostname 127.0.0.1 --port <free>` serving `chainId`; resolves once it answers. */
export async function startHardhatNode(options: { chainId?: number } = {}): Promise<HardhatNode> {
  const chainId = options.chainId ?? 31337;
  const dir = tempDir();
  writeFileSync(
    join(dir, 'hardhat.config.cjs'),
    `module.exports = { networks: { hardhat: { chainId: ${chainId} } } };\n`,
  );
  // hardhat refuses to run from a directory without a local installation of itself.
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;

  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };

  const launch = async () => {
    let stderr = '';
    const proc = spawn(
      process.execPath,
      ['-e', WATCHDOG, 'node', '--hostname', '127.0.0.1', '--port', String(port)],
      {
        cwd: dir,
        env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    child = proc;
    live.add(proc);
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      live.delete(proc);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited) throw new Error(`hardhat node on port ${port} exited: ${stderr}`);
      try {
        await rpc('hardhat_setLoggingEnabled', [false]);
        return;
      } catch {
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`hardhat node on port ${port} did not answer within 20 s: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    chainId,
    port,
    url,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    rpc,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The in-process hardhat network's EIP-1193 provider (the embedded dev chain's kind of endpoint:
 * no URL). Hardhat reads its config from `HARDHAT_CONFIG`, set here to a temporary one.
 */
export async function inProcessHardhatProvider(): Promise<EthereumProvider> {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'hardhat.config.cjs'),
    'module.exports = { networks: { hardhat: { chainId: 31337 } } };\n',
  );
  process.env.HARDHAT_CONFIG = join(dir, 'hardhat.config.cjs');
  process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = 'true';
  const hre = (await import('hardhat')).default;
  const provider = hre.network.provider;
  await provider.request({ method: 'eth_chainId' }); // the config has been read: the file can go
  rmSync(dir, { recursive: true, force: true });
  return provider;
}

/** A local HTTP endpoint in front of a real node that answers late, or never (see {@link startDelayingProxy}). */
export interface DelayingProxy {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** The JSON-RPC method of every request received, in order (a batch counts once per call). */
  readonly methods: string[];
  /** Closes the server and every connection, held ones included. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 that reads each request, waits `delayMs`, then forwards it to
 * `target` and relays the answer — or, with `delayMs: 'never'`, accepts the request and never answers
 * (a hung node, like `freeze()`, without stopping the node others use).
 */
export async function startDelayingProxy(
  target: string,
  options: { delayMs: number | 'never' },
): Promise<DelayingProxy> {
  const methods: string[] = [];
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString('utf8')) as { method: string } | { method: string }[];
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) methods.push(call.method);
      held.add(res);
      res.on('close', () => held.delete(res));
      if (options.delayMs === 'never') return;
      setTimeout(async () => {
        try {
          const upstream = await fetch(target, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          const text = await upstream.text();
          res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
        } catch {
          res.destroy();
        }
      }, options.delayMs);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    methods,
    close: async () => {
      for (const res of held) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
