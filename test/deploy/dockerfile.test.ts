/**
 * The Dockerfile, read (no Docker daemon or base image here, so it is never built in the suite):
 * every file it copies exists and is in the build context (.dockerignore), the final image holds
 * every path the running process reads beside node_modules, runs the production dependencies only
 * as an unprivileged user, listens beyond loopback on the port it exposes and checks /healthz.
 *
 * With CB_TEST_IMAGE=1 it also plays the Dockerfile out in a temporary directory (needs the npm
 * registry; 1–3 minutes): the console stage builds from the files it copies, the final stage's
 * `npm ci --omit=dev` installs, and its default command serves /healthz and /readyz, as a user who
 * cannot write the application's files, passes the HEALTHCHECK, and stops on SIGTERM with 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, posix, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RUNBOOKS_DIR } from '../../src/ops/incidents/runbooks.ts';
import { DEPLOY_DIR } from '../../src/ops/monitor/start-monitor.ts';
import { MIGRATIONS_DIR } from '../../src/platform/db/migrate.ts';
import { WEB_DIST_DIR } from '../../src/web/index.ts';
import { configFrom, ROOT, run, SETTING_NAMES } from './support.ts';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}
interface Copy {
  from: string | undefined;
  sources: string[];
  /** Absolute in the image. */
  dest: string;
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m?.[1] ?? args, name: m?.[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${op} before FROM`);
    stage.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** The COPY instructions of a stage, destinations resolved against its WORKDIR. */
function copiesOf(stage: Stage): Copy[] {
  let workdir = '/';
  const copies: Copy[] = [];
  for (const { op, args } of stage.instructions) {
    if (op === 'WORKDIR') workdir = posix.resolve(workdir, args);
    if (op !== 'COPY') continue;
    const words = args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    const dest = paths.pop()!;
    copies.push({
      from,
      sources: paths,
      dest: posix.resolve(workdir, dest) + (dest.endsWith('/') ? '/' : ''),
    });
  }
  return copies;
}

/** Where each source of a COPY lands in the image. */
function targetsOf(copy: Copy): string[] {
  const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
  return copy.sources.map((s) =>
    intoDir ? posix.join(copy.dest, basename(s)) : copy.dest.replace(/\/$/, ''),
  );
}

function instruction(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

/** .dockerignore's patterns as regular expressions over context-relative paths. */
function dockerignore(): RegExp[] {
  return readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern) => {
      if (pattern.startsWith('!')) throw new Error('exceptions (!) are not handled here');
      const body = pattern
        .replace(/^\/+|\/+$/g, '')
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return new RegExp(`^${body}$`);
    });
}

/** Whether Docker leaves `path` (or a directory above it) out of the build context. */
function ignored(path: string, patterns: readonly RegExp[]): boolean {
  const parts = path.split('/');
  return parts.some((_, i) => patterns.some((p) => p.test(parts.slice(0, i + 1).join('/'))));
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const final = stages.at(-1)!;
const patterns = dockerignore();
const env = new Map(
  instruction(final, 'ENV').flatMap((args) => [...args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
);

describe('Dockerfile', () => {
  test('default: every file copied from the context exists and is not left out by .dockerignore', () => {
    const copied = stages.flatMap(copiesOf).filter((c) => c.from === undefined);
    expect(copied.length).toBeGreaterThan(5);
    for (const c of copied)
      for (const source of c.sources) {
        expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
        expect({ source, ignored: ignored(source, patterns) }).toEqual({ source, ignored: false });
      }
    // What must stay out of the image and the context.
    for (const path of [
      'node_modules',
      'web/node_modules',
      '.git',
      '.cb-data',
      'web/dist',
      'src/main.test.ts',
    ])
      expect({ path, ignored: ignored(path, patterns) }).toEqual({ path, ignored: true });
  });

  test('default: the final image holds every path the process reads besides node_modules', () => {
    const targets = copiesOf(final).flatMap(targetsOf);
    const workdir = posix.resolve('/', instruction(final, 'WORKDIR').at(-1)!);
    const needed = [
      'package.json',
      'bin/cb.js',
      'src/cli/index.ts',
      'src/governance/recover-worker.mjs',
      'hardhat.config.cjs',
      relative(ROOT, MIGRATIONS_DIR),
      relative(ROOT, RUNBOOKS_DIR),
      relative(ROOT, DEPLOY_DIR),
      relative(ROOT, WEB_DIST_DIR),
    ];
    for (const path of needed) {
      const inImage = posix.join(workdir, path);
      const covered = targets.some((t) => inImage === t || inImage.startsWith(`${t}/`));
      expect({ path, covered }).toEqual({ path, covered: true });
    }
    // The built console comes from the stage that builds it, where Vite writes it.
    const console = stages.find((s) => s.name === 'console');
    expect(console).toBeDefined();
    expect(instruction(console!, 'RUN')).toContain('npm run build:web');
    expect(copiesOf(final).find((c) => c.from === 'console')?.sources).toEqual([
      posix.join(posix.resolve('/', instruction(console!, 'WORKDIR').at(-1)!), relative(ROOT, WEB_DIST_DIR)),
    ]);
  });

  test('default: Node 20 slim, production dependencies only, an unprivileged user', () => {
    for (const s of stages) expect(s.from).toBe('node:20-slim');
    expect(instruction(final, 'RUN').some((r) => r.startsWith('npm ci --omit=dev '))).toBe(true);
    const user = instruction(final, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(instruction(final, 'ENTRYPOINT')).toEqual(['["node", "bin/cb.js"]']);
    expect(instruction(final, 'CMD')).toEqual(['["start", "--role", "all"]']);
  });

  test('default: listens beyond loopback on the port it exposes, and checks /healthz there', () => {
    for (const name of env.keys()) expect(SETTING_NAMES).toContain(name);
    const config = configFrom(Object.fromEntries(env));
    expect(config.host).toBe('0.0.0.0');
    expect(instruction(final, 'EXPOSE')).toEqual([String(config.port)]);
    const healthcheck = instruction(final, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]).toContain('/healthz');
    expect(healthcheck[0]).toContain('process.env.CB_PORT');
    // The data directory exists and belongs to that user.
    expect(instruction(final, 'RUN')).toContain(
      `mkdir -p ${config.dataDir} && chown node:node ${config.dataDir}`,
    );
    expect(instruction(final, 'USER').at(-1)).toBe('node');
  });
});

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Copies a COPY's sources from the repository as Docker would from the context. */
function copyFromContext(copy: Copy, imageRoot: string): void {
  for (const [i, target] of targetsOf(copy).entries()) {
    const source = copy.sources[i]!;
    cpSync(join(ROOT, source), join(imageRoot, target), {
      recursive: true,
      filter: (path) => !ignored(relative(ROOT, path), patterns) || relative(ROOT, path) === '',
    });
  }
}

const playImage = process.env.CB_TEST_IMAGE === '1';
/** The uid and gid the process runs as when the suite runs as root: Debian's nobody. */
const NOBODY = 65534;
if (!playImage)
  process.stdout.write(
    'Dockerfile play-out skipped: set CB_TEST_IMAGE=1 (needs the npm registry; a few minutes)\n',
  );

describe.skipIf(!playImage)('Dockerfile, played out', () => {
  test('behavior: built from its own files, the image serves, passes its health check and stops on SIGTERM', async () => {
    const base = mkdtempSync(join(tmpdir(), 'cb-image-'));
    chmodSync(base, 0o755);
    let child: ChildProcess | undefined;
    try {
      // Stage "console": its files, and the dependencies its `npm ci` installs (the lockfile's,
      // as in the checkout), then its build.
      const consoleStage = stages.find((s) => s.name === 'console')!;
      const consoleRoot = join(base, 'console');
      for (const c of copiesOf(consoleStage)) copyFromContext(c, consoleRoot);
      const consoleDir = join(consoleRoot, instruction(consoleStage, 'WORKDIR').at(-1)!);
      symlinkSync(join(ROOT, 'node_modules'), join(consoleDir, 'node_modules'));
      const build = await run('npm', ['run', 'build:web'], { cwd: consoleDir });
      expect(build.stderr + build.stdout).toContain('built in');
      expect(build.status).toBe(0);

      // The final stage: its files, its `npm ci --omit=dev` (not its cache clean: that is this
      // machine's cache), the console from the first stage.
      const imageRoot = join(base, 'image');
      for (const c of copiesOf(final)) {
        if (c.from === undefined) copyFromContext(c, imageRoot);
        else cpSync(join(consoleRoot, c.sources[0]!), join(imageRoot, targetsOf(c)[0]!), { recursive: true });
      }
      const app = join(imageRoot, instruction(final, 'WORKDIR').at(-1)!);
      const npmCi = instruction(final, 'RUN').find((r) => r.startsWith('npm ci --omit=dev '))!;
      const install = await run('sh', ['-c', npmCi.split(' && ')[0]!], { cwd: app });
      expect(install.status, install.stderr).toBe(0);
      expect(existsSync(join(app, 'node_modules/vite'))).toBe(false);
      expect(existsSync(join(app, 'node_modules/tsx'))).toBe(true);

      // The ENTRYPOINT and CMD, with the image's environment; when this runs as root, as a user
      // who cannot write the application's files (as the image's `node` user: only CB_DATA_DIR,
      // /tmp and its home are its own).
      const port = await freePort();
      const own = ['data', 'tmp', 'home'].map((d) => join(base, d));
      const asOther = process.getuid?.() === 0;
      for (const d of own) {
        mkdirSync(d);
        if (asOther) chownSync(d, NOBODY, NOBODY);
      }
      const childEnv: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        ...Object.fromEntries(env),
        CB_PORT: String(port),
        CB_DATA_DIR: own[0],
        TMPDIR: own[1],
        HOME: own[2],
        CB_LOG_LEVEL: 'warn',
      };
      const [binary, ...args] = [
        ...(JSON.parse(instruction(final, 'ENTRYPOINT')[0]!) as string[]),
        ...(JSON.parse(instruction(final, 'CMD')[0]!) as string[]),
      ];
      child = spawn(binary!, args, {
        cwd: app,
        env: childEnv,
        ...(asOther ? { uid: NOBODY, gid: NOBODY } : {}),
      });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 180_000;
      while (!stderr.includes('is serving') && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 250));
      expect(stderr).toContain('cb all is serving');

      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe('ready');
      expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html');

      // The image's HEALTHCHECK command, as written.
      const [, script] = /"-e", "((?:[^"\\]|\\.)*)"\]/.exec(instruction(final, 'HEALTHCHECK')[0]!) ?? [];
      expect(script).toBeDefined();
      const healthy = await run('node', ['-e', JSON.parse(`"${script}"`) as string], {
        env: { ...process.env, CB_PORT: String(port) },
      });
      expect(healthy.status).toBe(0);

      const stopping = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(configFrom({}).shutdownGraceMs + 5_000);
      child = undefined;
    } finally {
      child?.kill('SIGKILL');
      rmSync(base, { recursive: true, force: true });
    }
  }, 600_000);
});
