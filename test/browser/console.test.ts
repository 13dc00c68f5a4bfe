/**
 * The web console in a real browser (Debian Chromium through playwright-core) against a real
 * server: the console built with Vite, served by the web routes next to the achievement routes on
 * a migrated test database. Skipped with a reason when Chromium is missing, failed in CI.
 *
 * A second server runs the chain as `cb start` does without RPC_URLS (an in-process dev chain, its
 * minter and listener): its tests follow a real mint from unlock to the member's card and the Chain page.
 *
 * Not covered here: voting and incidents — see the governance and incidents suites below, which
 * run only when those modules are present in the tree.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { createPublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { achievementBadgeAbi } from '../../src/chain/abi/AchievementBadge.ts';
import type { AuditPageShape } from '../../src/ops/audit/audit-shape.ts';
import { appendAudit, createBackup, runDrill, verifyBackup } from '../../src/ops/index.ts';
import { createSlowQueryRecorder } from '../../src/platform/db/slow-queries.ts';
import { createSilentLogger } from '../../src/platform/logger.ts';
import { logFileName } from '../../src/platform/logs/log-files.ts';
import { type DevWalletAccount, hardhatDevAccounts } from '../../src/web/index.ts';
import {
  buildConsole,
  type ConsoleServer,
  type ConsoleServerOptions,
  chromiumProblem,
  launchChromium,
  SEED_CATALOGUE,
  seedMember,
  startConsoleServer,
} from './harness.ts';
import { HAS_GOVERNANCE, HAS_INCIDENTS, modules } from './modules.ts';

const problem = chromiumProblem();
if (problem) process.stdout.write(`browser tests skipped: ${problem}\n`);

const [member, other] = hardhatDevAccounts(2, 2) as [DevWalletAccount, DevWalletAccount];
const EXPLORER = 'https://explorer.example';
const mods = modules();

let built: Promise<string> | undefined;
/** The console built once for this file's servers. */
const consoleDist = () => {
  built ??= (async () => {
    const dist = join(mkdtempSync(join(tmpdir(), 'cb-console-')), 'dist');
    await buildConsole(dist);
    return dist;
  })();
  return built;
};

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

/** A console server (seeded with the member) and Chromium, for one describe block. */
async function openConsole(
  options: Omit<ConsoleServerOptions, 'distDir'>,
): Promise<{ server: ConsoleServer; browser: Browser }> {
  const [server, browser] = await Promise.all([
    startConsoleServer({ distDir: await consoleDist(), ...options }),
    launchChromium(),
  ]);
  await seedMember(server, member.address.toLowerCase());
  return { server, browser };
}

async function closeConsole(c: { server?: ConsoleServer; browser?: Browser }): Promise<void> {
  await c.browser?.close();
  await c.server?.close();
}

/** A fresh browser context and page; page errors are collected in `errors`. */
async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // Fail at the step that waits, well before the test's own timeout.
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, context, errors };
}

describe.skipIf(problem !== undefined)('web console in Chromium', () => {
  let dist: string;
  let server: ConsoleServer;
  let browser: Browser;

  beforeAll(async () => {
    dist = await consoleDist();
    ({ server, browser } = await openConsole({
      withJobs: HAS_INCIDENTS,
      extraRoutes: mods.routes,
      explorerUrl: EXPLORER,
    }));
  }, 120_000);

  afterAll(() => closeConsole({ server, browser }));

  const newPage = (viewport?: { width: number; height: number }) => openPage(browser, viewport);

  const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();

  test('bundle: the first page loads at most 250 KB of gzipped JavaScript', () => {
    const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
      string,
      ManifestChunk
    >;
    const entry = Object.entries(manifest).find(([, c]) => c.isEntry)!;
    const files = new Set<string>();
    const add = (key: string) => {
      const chunk = manifest[key];
      if (!chunk || files.has(chunk.file)) return;
      files.add(chunk.file);
      for (const i of chunk.imports ?? []) add(i);
    };
    add(entry[0]);
    // The start page's own chunk, loaded right after the entry.
    add('src/pages/Home.tsx');
    const bytes = [...files]
      .filter((f) => f.endsWith('.js'))
      .reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0);
    process.stdout.write(
      `first page JavaScript: ${(bytes / 1024).toFixed(1)} KB gzipped (${files.size} files)\n`,
    );
    expect(bytes).toBeLessThanOrEqual(250 * 1024);
    // The wallet code (viem) is not part of it.
    expect([...files].some((f) => f.includes('wallet'))).toBe(false);
  });

  test('member: signs in with the dev wallet and sees unlocked badges, progress and what is missing', async () => {
    const { page, context, errors } = await newPage();
    try {
      await page.goto(server.url);
      // Browser-side code as strings: the test project is typed for Node, not the DOM.
      const lcp = await page.evaluate<number>(`new Promise((resolve) => new PerformanceObserver((list) =>
        resolve(list.getEntries().at(-1).startTime)).observe({ type: 'largest-contentful-paint', buffered: true }))`);
      process.stdout.write(`LCP of / on localhost: ${Math.round(lcp)} ms\n`);
      // A guard against a gross regression only, at the seed's own LCP threshold (2.5 s): the
      // figure is printed above; the first page's weight is checked exactly by the test before.
      // (A 1 s limit failed under CI load at 1.2 s with nothing wrong.)
      expect(lcp).toBeLessThan(2500);

      await page.getByLabel('Account').selectOption({ index: 0 });
      await page.getByRole('button', { name: 'Sign in with dev account' }).click();
      await page.getByRole('heading', { name: 'My achievements' }).waitFor();
      expect(page.url()).toBe(`${server.url}/achievements`);
      await expect.poll(() => page.getByText(`Signed in as`).first().isVisible()).toBe(true);

      const unlocked = page.locator('.achievement.unlocked');
      await expect.poll(() => unlocked.count()).toBe(1);
      expect(await unlocked.first().textContent()).toContain('First trade');

      const seasoned = page.locator('.achievement', { hasText: 'Seasoned trader' });
      expect(await seasoned.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('2');
      expect(await seasoned.textContent()).toContain('2 / 5 (40 %)');
      await seasoned.getByRole('button', { name: "What's missing?" }).click();
      await seasoned.getByText('3 more trade event(s)').waitFor();
      expect(await page.locator('.achievement', { hasText: 'Big volume' }).textContent()).toContain(
        '73 / 1,000',
      );
      await page.getByText('Not started').click();
      await page.getByText('Voice heard').waitFor();

      // The session survives a reload (httpOnly cookie), and ends with Sign out.
      await page.reload();
      await page.getByRole('heading', { name: 'My achievements' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('header').getByRole('link', { name: 'Sign in' }).waitFor();
      await page.reload();
      await page.locator('header').getByRole('link', { name: 'Sign in' }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('member: an unlocked badge shows its mint — token and block once minted, the reason when it failed', async () => {
    const setMint = (set: string) =>
      server.t.db.query(
        `update ach_mint_outbox set ${set} where user_address = $1 and achievement_id = 'first-trade'`,
        [member.address.toLowerCase()],
      );
    const { page, context, errors } = await newPage();
    try {
      const tx = `0x${'cd'.repeat(32)}`;
      await setMint(`status = 'confirmed', token_id = 17, block_number = 4242, tx_hash = '${tx}'`);
      await page.goto(`${server.url}/achievements?address=${member.address}`);
      const card = page.locator('.achievement.unlocked', { hasText: 'First trade' });
      await card.getByText('Badge #17 minted').waitFor();
      // The transaction and its block open on the block explorer (CB_EXPLORER_URL).
      expect(await card.getByRole('link', { name: /^0xcdcd…cdcd$/ }).getAttribute('href')).toBe(
        `${EXPLORER}/tx/${tx}`,
      );
      expect(await card.getByRole('link', { name: 'block 4242' }).getAttribute('href')).toBe(
        `${EXPLORER}/block/4242`,
      );
      // So does the member's address.
      expect(
        await page
          .getByRole('link', { name: /^0x3C44…93BC$/ })
          .first()
          .getAttribute('href'),
      ).toBe(`${EXPLORER}/address/${member.address}`);

      await setMint(
        `status = 'failed', token_id = null, block_number = null, tx_hash = null, error = 'execution reverted: AccessControlUnauthorizedAccount (after 3 attempts)'`,
      );
      await page.reload();
      await card.getByText('Badge mint failed').waitFor();
      await card
        .getByText(/Why: execution reverted: AccessControlUnauthorizedAccount \(after 3 attempts\)/)
        .waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await setMint(`status = 'pending', token_id = null, block_number = null, tx_hash = null, error = null`);
    }
  });

  test("member: a new unlock and its mint moving on show at once, pushed by the member's stream", async () => {
    // A member of this test only, with nothing unlocked yet.
    const address = `0x${'5e'.repeat(20)}`;
    const { page, context, errors } = await newPage();
    try {
      await page.goto(`${server.url}/achievements?address=${address}`);
      await page.getByText('No badge yet.').waitFor();
      // Live: the list stops polling (every 15 s otherwise), so what follows within 5 s was pushed.
      await page.getByText('Live', { exact: true }).waitFor();
      const res = await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
        body: JSON.stringify({
          id: `live-${address}`,
          type: 'trade',
          source: 'app',
          user: address,
          occurredAt: new Date().toISOString(),
          data: { amount: 5 },
        }),
      });
      expect(res.status).toBe(202);
      const card = page.locator('.achievement.unlocked', { hasText: 'First trade' });
      await card.getByText('Badge mint pending').waitFor({ timeout: 5000 });
      await page.getByRole('status').filter({ hasText: 'First trade unlocked' }).waitFor({ timeout: 5000 });
      await server.t.db.query(
        `update ach_mint_outbox set status = 'submitted', tx_hash = $2 where user_address = $1 and achievement_id = 'first-trade'`,
        [address, `0x${'ef'.repeat(32)}`],
      );
      await card.getByText('Badge mint submitted, waiting for confirmations').waitFor({ timeout: 5000 });
      await page
        .getByRole('status')
        .filter({ hasText: 'First trade: badge mint submitted' })
        .waitFor({ timeout: 5000 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('RUM: vitals, page views, API calls and the session outcome reach /metrics', async () => {
    const { page, context } = await newPage();
    await page.goto(`${server.url}/proposals`);
    await page.getByRole('heading', { name: 'Proposals' }).waitFor();
    await page.getByRole('link', { name: 'Achievements' }).click();
    await page.getByRole('heading', { name: /achievements/i }).waitFor();
    // Closing the page hides it: the last batch goes with sendBeacon.
    await context.close();
    await expect
      .poll(metricsText, { timeout: 10_000, interval: 250 })
      .toMatch(/^cb_web_vital_seconds_count\{name="FCP",page="\/proposals"\} [1-9]/m);
    const text = await metricsText();
    expect(text).toMatch(/^cb_web_vital_seconds_count\{name="TTFB",page="\/proposals"\} [1-9]/m);
    expect(text).toMatch(/^cb_frontend_page_views_total\{page="\/proposals"\} [1-9]/m);
    expect(text).toMatch(/^cb_frontend_page_views_total\{page="\/achievements"\} [1-9]/m);
    expect(text).toMatch(/^cb_frontend_api_calls_total\{route="\/v1\/web\/config"\} [1-9]/m);
    // Landed on /proposals: the session counts under that page type.
    expect(text).toMatch(/^cb_frontend_sessions_total\{outcome="engaged",page_type="proposals"\} [1-9]/m);
    expect(text).toMatch(/^cb_frontend_conversions_total\{goal="sign_in_completed"\} [1-9]/m);
  });

  test('phone and keyboard: fits 375 px, skip link first, menu button, focus visible', async () => {
    const { page, context } = await newPage({ width: 375, height: 740 });
    try {
      await page.goto(`${server.url}/achievements?address=${member.address}`);
      await page.getByRole('heading', { name: 'Achievements' }).waitFor();
      await page.locator('.achievement').first().waitFor();
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);

      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement?.textContent')).toBe('Skip to content');
      const menu = page.getByRole('button', { name: 'Menu' });
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      expect(await page.getByRole('link', { name: 'Proposals' }).isVisible()).toBe(false);
      await menu.focus();
      await page.keyboard.press('Enter');
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      await page.getByRole('link', { name: 'Proposals' }).focus();
      const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Proposals' }).waitFor();
      // Navigation moves focus to the page.
      expect(await page.evaluate<string>('document.activeElement?.id')).toBe('main');
    } finally {
      await context.close();
    }
  });

  test("layout: no page shifts while its data arrives (CLS under the seed's 0.1), phone and desktop", async () => {
    const CLS = `new Promise((resolve) => { let cls = 0; new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) cls += e.value; })
      .observe({ type: 'layout-shift', buffered: true }); setTimeout(() => resolve(cls), 300); })`;
    for (const viewport of [
      { width: 375, height: 740 },
      { width: 1280, height: 800 },
    ]) {
      const { page, context } = await newPage(viewport);
      try {
        await goToOps(page, server, '/ops/health');
        for (const [path, ready] of [
          ['/', 'h1'],
          [`/achievements?address=${member.address}`, '.achievement'],
          ['/ops/health', '.dep'],
        ] as const) {
          await page.goto(`${server.url}${path}`);
          await page.locator(ready).first().waitFor();
          const cls = await page.evaluate<number>(CLS);
          expect(cls, `${path} at ${viewport.width} px`).toBeLessThan(0.1);
        }
      } finally {
        await context.close();
      }
    }
  });

  test('operators: a refused key shows the code; with a key, health shows dependencies and thresholds', async () => {
    const { page, context } = await newPage();
    try {
      await page.goto(`${server.url}/ops/health`);
      await page.getByLabel('API key').fill('cbk_notakey_000');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('alert').getByText('CB_UNAUTHORIZED').waitFor();

      await page.getByLabel('API key').fill(server.adminKey);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('heading', { name: 'System health' }).waitFor();
      await page.locator('.dep', { hasText: 'database' }).getByText('up').waitFor();
      const p95 = page.locator('tr[data-metric="api.p95"]');
      expect(await p95.textContent()).toContain('≤ 1.00 s');
      // The API figures say which requests they count: the alerts' (every route but the probes).
      expect(await page.locator('table.health', { has: p95 }).locator('caption').textContent()).toBe(
        'API — every route but the probes (/healthz, /readyz, /metrics), as the alerts count',
      );
      expect(await page.locator('tr[data-metric="web.lcp_p75"]').textContent()).toContain('≤ 2.50 s');

      // The slow-query log of every instance, below the figures: a shape written by another process.
      const log = createSlowQueryRecorder({ instance: 'cb-api-7', logger: createSilentLogger() });
      log.record('select * from ach_events where user_address = ?', 'select', 900);
      log.record('select * from ach_events where user_address = ?', 'select', 1500);
      await log.flush(server.t.db);
      await page.getByRole('combobox', { name: 'Window' }).selectOption('1h');
      const row = page.locator('table.slow-queries tr', {
        hasText: 'from ach_events where user_address = ?',
      });
      await row.waitFor();
      const cells = await row.textContent();
      expect(cells).toContain('2.4 s');
      expect(cells).toContain('new');
      expect(cells).toContain('1.2 s / 1.5 s');
      expect(cells).toContain('cb-api-7');
      expect(await page.getByTestId('slow-queries-summary').textContent()).toMatch(/over \d+ shape/);
    } finally {
      await context.close();
    }
  });

  test('operators: the Logs page finds lines by words, opens a line, follows its trace, and groups the errors', async () => {
    const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();
    const trace = 'f'.repeat(32);
    const entry = (secondsAgo: number, fields: Record<string, unknown>) =>
      JSON.stringify({
        timestamp: at(secondsAgo),
        level: 'INFO',
        service: 'api',
        instance: 'web-1',
        traceId: 'e'.repeat(32),
        message: 'request completed',
        context: {},
        metrics: {},
        ...fields,
      });
    writeFileSync(
      join(server.logDir, logFileName('web-1', Date.now())),
      `${[
        entry(120, { traceId: trace, message: 'proposal executed', context: { proposalId: '7' } }),
        entry(110, {
          level: 'ERROR',
          service: 'minter',
          traceId: trace,
          message: 'mint batch 12 failed',
          context: { error: { code: 'CB_RPC_TIMEOUT' } },
        }),
        entry(100, {
          level: 'ERROR',
          service: 'minter',
          message: 'mint batch 13 failed',
          context: { error: { code: 'CB_RPC_TIMEOUT' } },
        }),
        entry(90, { message: 'unrelated line' }),
      ].join('\n')}\n`,
    );
    const { page, context } = await newPage();
    try {
      await goToOps(page, server, '/ops/logs');
      await page.getByRole('heading', { name: 'Logs' }).waitFor();
      await page.getByTestId('logs-stats').getByText('4 of 4 line(s) matched in 1 file(s)').waitFor();

      await page.getByLabel('Words').fill('proposal executed');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByTestId('logs-stats').getByText('1 of 4 line(s) matched').waitFor();
      expect(new URL(page.url()).searchParams.get('q')).toBe('proposal executed');
      await page.getByRole('button', { name: 'proposal executed' }).click();
      await page.locator('.log-details').getByText('"proposalId": "7"').waitFor();

      // Its trace: the request's line and the mint that failed in it, nothing else.
      await page
        .getByRole('button', { name: `Every line of trace ${trace}` })
        .first()
        .click();
      await page.getByTestId('logs-stats').getByText('2 of 4 line(s) matched').waitFor();
      expect(new URL(page.url()).searchParams.get('trace')).toBe(trace);
      expect(await page.locator('table.logs tbody tr').count()).toBe(2);

      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByRole('tab', { name: 'Error groups' }).click();
      const group = page.locator('table.logs tbody tr', { hasText: 'mint batch ? failed' });
      await group.waitFor();
      expect(await group.textContent()).toContain('CB_RPC_TIMEOUT');
      expect(await group.locator('td').first().textContent()).toBe('2');
    } finally {
      await context.close();
    }
  });

  test('operators: the Backups page shows the newest backup against the RPO, its restore check and the last drill', async () => {
    const { page, context } = await newPage();
    try {
      await page.goto(`${server.url}/ops/backups`);
      await page.getByLabel('API key').fill(server.adminKey);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('heading', { name: 'Backups' }).waitFor();
      await page.getByTestId('backup-status').getByText('no backup').waitFor();
      await page.getByText('no drill yet').waitFor();
      // The embedded database has no WAL archive: the page says what gives it its RPO instead.
      expect(await page.getByTestId('wal-archive').textContent()).toContain(
        'The embedded database has no WAL archive',
      );

      // What an operator's cron does: a backup, its check, a drill.
      const config = server.backupConfig;
      const { backup } = await createBackup(config, server.t.db);
      await verifyBackup(config, backup.id);
      const drill = await runDrill(config, undefined, { logger: createSilentLogger() });
      expect(drill.ok).toBe(true);

      await page.reload();
      const status = page.getByTestId('backup-status');
      await status.getByText(/newest \d+ s old, RPO 26 h 0 min/).waitFor();
      await status.getByText(/last drill passed: recovery \d+ s, RTO 60 min/).waitFor();
      const row = page.getByTestId('backups').locator('tr', { hasText: backup.id });
      expect(await row.textContent()).toMatch(/restores \(/);
      expect(await row.textContent()).toContain(backup.migration!);
      // No CB_BACKUP_ENCRYPTION_KEY_FILE on this server: the page says the file is not encrypted.
      expect(await row.textContent()).toContain('not encrypted');
      expect(await page.getByTestId('drills').locator('tbody tr').count()).toBe(1);
      expect(await page.getByTestId('drills').textContent()).toContain('passed');
    } finally {
      await context.close();
    }
  });

  test('operators: the Audit page shows changes with their outcome, filters them, pages back and opens a record', async () => {
    const reader = await server.t.apiKeys.create({ name: 'audit-reader', scopes: ['ops:read'] });
    const trail = async (query: string) => {
      const res = await fetch(`${server.url}/v1/ops/audit?${query}`, {
        headers: { authorization: `Bearer ${reader.key}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as AuditPageShape;
    };
    const headSeq = async () => BigInt((await trail('limit=1')).items[0]?.seq ?? '0');
    /** One API call; waits until its record is written (after the reply), so the order is the calls'. */
    const call = async (key: string, method: string, path: string, body: unknown, headers = {}) => {
      const before = await headSeq();
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
        body: JSON.stringify(body),
      });
      await expect.poll(headSeq).toBeGreaterThan(before);
      return res.status;
    };

    // Older records of a command, enough for two pages of them (50 a page).
    for (let i = 0; i < 52; i++)
      await appendAudit(server.t.db, {
        actorKind: 'cli',
        actor: 'ops@bastion',
        action: 'cb apikey create',
        target: `name=ci-${i}`,
        outcome: 'ok',
        status: 0,
        details: { options: { name: `ci-${i}`, scopes: 'events:write' } },
      });
    const probe = { ...SEED_CATALOGUE[0]!, id: 'audit-probe', name: 'Audit probe', series: 'audit' };
    expect(await call(server.adminKey, 'POST', '/v1/achievements', probe)).toBe(201);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(
      await call(
        reader.key,
        'PUT',
        '/v1/achievements/audit-probe',
        { ...probe, name: 'Renamed' },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      ),
    ).toBe(403);
    const failed = await call(server.adminKey, 'PUT', '/v1/achievements/audit-probe', {
      ...probe,
      id: 'other',
      token: 'not-for-the-trail',
    });
    expect(failed).toBeGreaterThanOrEqual(400);
    const refusedRecord = (await trail('actor=audit-reader')).items[0]!;
    const failedRecord = (await trail('outcome=failed&action=PUT')).items[0]!;

    const { page, context, errors } = await newPage();
    try {
      await goToOps(page, server, '/ops/audit');
      await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
      expect(await page.getByTestId('audit-about').textContent()).toMatch(
        /append-only and hash-chained.*cb audit verify/,
      );
      const rows = page.getByTestId('audit').locator('tr.audit-row');
      await rows.first().waitFor();
      // Newest first: the failed change, the refused one, the one that went through.
      const top = await Promise.all([0, 1, 2].map((i) => rows.nth(i).textContent()));
      expect(await Promise.all([0, 1, 2].map((i) => rows.nth(i).getAttribute('data-outcome')))).toEqual([
        'failed',
        'refused',
        'ok',
      ]);
      expect(top[0]).toMatch(/console-admin\s*API key.*PUT \/v1\/achievements\/:id.*id=audit-probe.*failed/);
      expect(top[0]).toContain(String(failed));
      expect(top[1]).toMatch(
        /audit-reader\s*API key.*PUT \/v1\/achievements\/:id.*id=audit-probe.*refused.*403/,
      );
      expect(top[2]).toMatch(/console-admin\s*API key.*POST \/v1\/achievements.*ok.*201/);
      expect(await rows.count()).toBe(50);

      // A record's details: the body as recorded, its secret blanked.
      await rows
        .first()
        .getByRole('button', { name: /^Details/ })
        .click();
      const failedDetails = page.locator(`#audit-record-${failedRecord.seq}`);
      expect(await failedDetails.textContent()).toContain('"id": "other"');
      expect(await failedDetails.textContent()).toContain('"token": "[REDACTED]"');
      expect(await failedDetails.textContent()).not.toContain('not-for-the-trail');

      // Outcome refused: only the refused change (the only one this server has seen).
      await page.getByLabel('Outcome').selectOption('refused');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(`${server.url}/ops/audit?outcome=refused`);
      await expect.poll(() => rows.count()).toBe(1);
      const refused = rows.first();
      expect(await refused.getAttribute('data-outcome')).toBe('refused');
      expect(await refused.textContent()).toContain('audit-reader');

      // Its details: the seq, the trace and the chain links (refused before its body was read).
      await refused.getByRole('button', { name: /^Details/ }).click();
      const details = page.locator(`#audit-record-${refusedRecord.seq}`);
      await details.waitFor();
      const text = (await details.textContent()) ?? '';
      expect(text).toContain(`#${refusedRecord.seq}`);
      expect(text).toContain(traceId);
      expect(text).toContain(refusedRecord.hash);
      expect(text).toContain(refusedRecord.prevHash);
      expect(text).toContain('No query, body or options recorded.');
      await refused.getByRole('button', { name: /^Hide/ }).click();
      expect(await details.count()).toBe(0);

      // Nothing matches: the empty state. Then a command's records, a page at a time.
      await page.getByLabel('Action contains').fill('no such action');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByText('No record matches these filters.').waitFor();
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByLabel('Actor').fill('ops@bastion');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(`${server.url}/ops/audit?actor=ops%40bastion`);
      await expect.poll(() => rows.count()).toBe(50);
      expect(await rows.first().textContent()).toMatch(
        /ops@bastion\s*cb command.*cb apikey create.*name=ci-51/,
      );
      await page.getByRole('button', { name: 'Older' }).click();
      await expect.poll(() => rows.count()).toBe(2);
      expect(page.url()).toMatch(/\/ops\/audit\?actor=ops%40bastion&before=\d+$/);
      expect(await rows.last().textContent()).toContain('name=ci-0');
      await page.getByText('End of the trail for these filters.').waitFor();
      await page.goBack();
      await expect.poll(() => rows.count()).toBe(50);
      expect(await page.getByLabel('Actor').inputValue()).toBe('ops@bastion');

      // A refusal of the read itself shows its code, as on the other pages.
      await page.route('**/v1/ops/audit?**', (route) =>
        route.fulfill({
          status: 403,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'CB_FORBIDDEN', message: 'the key lacks ops:read' } }),
        }),
      );
      await page.reload();
      await page.getByRole('alert').getByText('CB_FORBIDDEN').waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('Could not load the audit trail');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('chain: an operator sees dead-lettered mints with their reason, sends one again, then all the others', async () => {
    const { rows } = await server.t.db.query<{ id: string }>(
      `insert into ach_mint_outbox (user_address, achievement_id, status, error, attempts, updated_at)
       select u, 'first-trade', 'failed', 'transaction 0xabc reverted in block ' || n || ' (after 3 attempts)', 3,
              now() - n * interval '1 minute'
         from unnest($1::text[]) with ordinality as t(u, n)
       returning id::text as id`,
      [
        [
          '0x00000000000000000000000000000000000000b7',
          '0x00000000000000000000000000000000000000b8',
          '0x00000000000000000000000000000000000000b9',
        ],
      ],
    );
    const ids = rows.map((r) => r.id);
    const { page, context, errors } = await newPage();
    try {
      await goToOps(page, server, '/ops/chain');
      await page.getByRole('heading', { name: 'Chain sync' }).waitFor();
      await page.getByText('No chain recorded yet').waitFor();
      // No listener or minter in this server: the figures say why they are empty, the new ones included.
      await page.getByText('No chain listener or minter reports to this instance yet.').waitFor();
      await page.getByRole('row', { name: /Oldest unconfirmed mint transaction.*no data/ }).waitFor();
      const card = page.locator('.card', { hasText: 'reverted in block 1 ' });
      await card.getByText(/request \d+/).waitFor();
      await card.getByRole('button', { name: 'Retry this mint' }).click();
      await page.getByText(/Mint request \d+ is pending again/).waitFor();
      await page.getByRole('button', { name: 'Retry all 2 failed mints' }).click();
      await page.getByText('2 mint request(s) are pending again').waitFor();
      await page.getByText('No failed mint request.').waitFor();
      const after = await server.t.db.query<{ status: string; attempts: number }>(
        'select status, attempts from ach_mint_outbox where id = any($1::bigint[])',
        [ids],
      );
      expect(after.rows).toEqual(Array(3).fill({ status: 'pending', attempts: 0 }));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.t.db.query('delete from ach_mint_outbox where id = any($1::bigint[])', [ids]);
    }
  });

  test('operators: the Chain page pauses minting with a reason (confirmed), shows who and why, and resumes it', async () => {
    const { page, context, errors } = await newPage();
    try {
      await goToOps(page, server, '/ops/chain');
      const pauses = page.getByTestId('emergency-pauses');
      const minting = pauses.locator('.card', { hasText: 'Minting' });
      await minting.getByText('running').waitFor();
      // The button waits for a reason.
      const button = minting.getByRole('button', { name: 'Pause minting' });
      expect(await button.isDisabled()).toBe(true);
      await minting.getByLabel('Reason (for the others on call)').fill('minter key in a CI log (INC-42)');
      page.once('dialog', (d) => void d.accept());
      await button.click();
      await page.getByText('Minting paused on every instance.').waitFor();
      await minting.getByText('PAUSED').waitFor();
      await minting.getByText(/by apikey:.*: minter key in a CI log \(INC-42\)/).waitFor();
      // What the minter reads is the same row.
      const row = await server.t.db.query<{ reason: string }>(
        "select reason from ops_pauses where name = 'minting'",
      );
      expect(row.rows).toEqual([{ reason: 'minter key in a CI log (INC-42)' }]);
      // Execution is untouched.
      await pauses.locator('.card', { hasText: 'Proposal execution' }).getByText('running').waitFor();

      await minting.getByRole('button', { name: 'Resume minting' }).click();
      await page.getByText('Minting resumed.').waitFor();
      await minting.getByText('running').waitFor();
      expect((await server.t.db.query('select 1 from ops_pauses')).rows).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.t.db.query('delete from ops_pauses');
    }
  });

  test('catalogue editor: the 422 issues appear at their fields', async () => {
    const { page, context } = await newPage();
    try {
      await page.goto(`${server.url}/ops/catalogue/new`);
      await page.getByLabel('API key').fill(server.adminKey);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('heading', { name: 'New achievement' }).waitFor();
      await page.getByLabel('Id', { exact: true }).fill('Bad Id!');
      await page.getByLabel('Name', { exact: true }).fill('Broken');
      await page.getByLabel('Category', { exact: true }).fill('test');
      await page.getByLabel('Event types', { exact: true }).fill('trade');
      await page.getByLabel('Target', { exact: true }).fill('-3');
      await page.getByRole('button', { name: 'Create achievement' }).click();
      await page.getByRole('alert').getByText('ACH_DEFINITION_INVALID').waitFor();
      const idField = page.locator('[data-field="id"]');
      expect(await idField.locator('.field-error').textContent()).toMatch(/a-z 0-9/);
      expect(await idField.locator('input').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('[data-field="rule.target"] .field-error').count()).toBe(1);
      expect(await page.locator('[data-field="name"] .field-error').count()).toBe(0);

      await page.getByLabel('Id', { exact: true }).fill('broken-fixed');
      await page.getByLabel('Target', { exact: true }).fill('2');
      await page.getByRole('button', { name: 'Create achievement' }).click();
      await page.getByText('Saved broken-fixed, version 1.').waitFor();
      expect(page.url()).toBe(`${server.url}/ops/catalogue/broken-fixed?saved=1`);
      expect(await page.getByLabel('Id', { exact: true }).inputValue()).toBe('broken-fixed');
    } finally {
      await context.close();
    }
  });

  test('operators: a key without ops:write or achievements:admin sees no retry or save control, and the scope it needs', async () => {
    const reader = await server.t.apiKeys.create({ name: 'ops-reader', scopes: ['ops:read'] });
    const writer = await server.t.apiKeys.create({
      name: 'ops-writer',
      scopes: ['ops:read', 'ops:write', 'achievements:admin'],
    });
    const { rows } = await server.t.db.query<{ id: string }>(
      `insert into ach_mint_outbox (user_address, achievement_id, status, error, attempts, updated_at)
       values ('0x00000000000000000000000000000000000000c1', 'first-trade', 'failed',
               'transaction 0xdef reverted (after 3 attempts)', 3, now())
       returning id::text as id`,
    );
    const mintId = rows[0]!.id;
    /** A queue with a dead letter (no worker runs here to fail a job): the API's answer, as it is shaped. */
    const withDeadLetter = (page: Page) =>
      page.route('**/v1/ops/queues/*/dead-letters?**', (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            items: [
              {
                id: '00000000-0000-4000-8000-0000000000d1',
                queue: 'mint',
                payload: { mintId },
                error: { code: 'CHAIN_REVERTED', message: 'the mint reverted' },
                deadLetteredAt: new Date().toISOString(),
              },
            ],
            limit: 100,
            offset: 0,
          }),
        }),
      );
    const mintCard = (page: Page) => page.locator('.card', { hasText: `request ${mintId}` });

    const ro = await newPage();
    try {
      const { page } = ro;
      await withDeadLetter(page);
      await goToOps(page, server, '/ops/queues/mint', reader.key);
      await page.getByText('the mint reverted').waitFor();
      await page.getByText('Retrying a dead-lettered job needs a key with ops:write.').waitFor();
      expect(await page.getByRole('button', { name: 'Retry this job' }).count()).toBe(0);

      await page.goto(`${server.url}/ops/chain`);
      await mintCard(page).waitFor();
      await page.getByText('Retrying a failed mint needs a key with ops:write.').waitFor();
      expect(await page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);

      await page.goto(`${server.url}/ops/catalogue`);
      await page.getByRole('link', { name: 'First trade' }).waitFor();
      await page
        .getByText('Creating or changing achievements needs a key with achievements:admin.')
        .waitFor();
      expect(await page.getByRole('link', { name: 'New achievement' }).count()).toBe(0);

      await page.goto(`${server.url}/ops/catalogue/first-trade`);
      await page.getByRole('heading', { name: 'Edit First trade' }).waitFor();
      await page.getByText('Changing an achievement needs a key with achievements:admin.').waitFor();
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('First trade');
      expect(await page.getByLabel('Name', { exact: true }).isEditable()).toBe(false);
      expect(await page.getByRole('button', { name: 'Save a new version' }).count()).toBe(0);

      await page.goto(`${server.url}/ops/catalogue/new`);
      await page.getByText('Creating an achievement needs a key with achievements:admin.').waitFor();
      expect(await page.getByRole('button', { name: 'Create achievement' }).count()).toBe(0);
      expect(await page.getByLabel('Id', { exact: true }).count()).toBe(0);
      expect(ro.errors).toEqual([]);
    } finally {
      await ro.context.close();
    }

    // The scopes themselves (not admin) bring the controls back, and they work.
    const rw = await newPage();
    try {
      const { page } = rw;
      await withDeadLetter(page);
      await goToOps(page, server, '/ops/queues/mint', writer.key);
      await page.getByRole('button', { name: 'Retry this job' }).waitFor();

      await page.goto(`${server.url}/ops/chain`);
      await mintCard(page).getByRole('button', { name: 'Retry this mint' }).click();
      await page.getByText(`Mint request ${mintId} is pending again`, { exact: false }).waitFor();

      await page.goto(`${server.url}/ops/catalogue`);
      await page.getByRole('link', { name: 'New achievement' }).waitFor();
      await page.goto(`${server.url}/ops/catalogue/first-trade`);
      await page.getByRole('button', { name: 'Save a new version' }).waitFor();
      expect(await page.getByLabel('Name', { exact: true }).isEditable()).toBe(true);
      expect(await page.locator('[data-needs-scope]').count()).toBe(0);
      expect(rw.errors).toEqual([]);
    } finally {
      await rw.context.close();
      await server.t.db.query('delete from ach_mint_outbox where id = $1::bigint', [mintId]);
    }
  });

  test('operators: a queue whose name has a dot opens from its URL and after a reload', async () => {
    const { page, context, errors } = await newPage();
    try {
      // Opened from its URL (as a link from an alert or a reload does), not by clicking through.
      await goToOps(page, server, '/ops/queues/chain.reconcile');
      const heading = page.getByRole('heading', { name: 'Dead letters of chain.reconcile' });
      await heading.waitFor();
      await page.reload();
      await heading.waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('pages of a module the server lacks say "not available" instead of inventing data', async () => {
    const { page, context } = await newPage();
    try {
      // As a server without the governance and incidents modules answers.
      const missing = (route: { fulfill(r: object): Promise<void> }) =>
        route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'CB_ROUTE_NOT_FOUND', message: 'no route' } }),
        });
      await page.route('**/v1/proposals**', missing);
      await page.route('**/v1/incidents**', missing);
      await page.goto(`${server.url}/proposals`);
      await page.getByText('The governance API is not available on this server yet.').waitFor();
      await goToOps(page, server, '/ops/incidents');
      await page.getByText('The incidents API is not available on this server yet.').waitFor();
    } finally {
      await context.close();
    }
  });

  test.skipIf(!HAS_GOVERNANCE)(
    'governance: votes with a signed ballot and watches the tally change',
    async () => {
      const gov = mods.governance!;
      await gov.mint(member.address, 'first-trade');
      await gov.mint(member.address, 'trader-silver');
      await gov.mint(other.address, 'volume-1000');
      const id = await gov.propose(
        server.url,
        server.adminKey,
        'Fund the community hackathon',
        [
          '## Budget',
          '',
          'Allocate the **Q3 budget**: see [the forum](https://forum.example.org/t/42).',
          '',
          '- prizes',
          '- venue',
          '',
          '[a trap](javascript:window.__pwned=1) <img src=x onerror="window.__pwned=1">',
        ].join('\n'),
      );
      const { page, context, errors } = await newPage();
      try {
        await signIn(page, server, `/proposals/${id}`);
        await page.getByRole('heading', { name: `#${id} Fund the community hackathon` }).waitFor();
        // The body's Markdown, rendered (as Snapshot does), never as HTML.
        await page.getByRole('heading', { name: 'Budget', level: 4 }).waitFor();
        expect(await page.locator('.markdown strong').textContent()).toBe('Q3 budget');
        const forum = page.getByRole('link', { name: 'the forum' });
        expect(await forum.getAttribute('href')).toBe('https://forum.example.org/t/42');
        expect(await forum.getAttribute('rel')).toContain('noopener');
        expect(await page.locator('.markdown li').allTextContents()).toEqual(['prizes', 'venue']);
        expect(await page.getByRole('link', { name: 'a trap' }).count()).toBe(0);
        await page.getByText('<img src=x onerror="window.__pwned=1">').waitFor();
        expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(await page.getByTestId('tally-for').textContent()).toBe('0');
        await page.getByLabel('For', { exact: true }).check();
        await page.getByRole('button', { name: 'Sign and vote' }).click();
        await page.getByText(/Your ballot \(for, weight [0-9.,]+\) was accepted\./).waitFor();
        await expect.poll(() => page.getByTestId('tally-for').textContent()).not.toBe('0');
        await page.getByText(/You voted for with power/).waitFor();

        // Someone else votes elsewhere: the open page's polling shows it.
        await gov.vote(server.url, privateKeyToAccount(other.privateKey), id, 'against');
        await expect
          .poll(() => page.getByTestId('tally-against').textContent(), { timeout: 8000 })
          .not.toBe('0');
        expect(await page.getByTestId('tally-voters').textContent()).toBe('2');

        await page.getByRole('link', { name: 'Voting power' }).click();
        await expect
          .poll(async () => Number(await page.getByTestId('power-total').textContent()))
          .toBeGreaterThan(0);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
      await expect
        .poll(metricsText, { timeout: 10_000, interval: 250 })
        .toMatch(/^cb_frontend_conversions_total\{goal="first_vote_after_sign_in"\} 1$/m);
      expect(await metricsText()).toMatch(/^cb_frontend_feature_use_total\{feature="vote"\} 1$/m);
    },
  );

  test.skipIf(!HAS_GOVERNANCE)(
    'governance: an operator executes a queued proposal and cancels another as guardian from its page',
    async () => {
      const gov = mods.governance!;
      const run = await gov.propose(server.url, server.adminKey, 'Run the signal', 'Executes.');
      const stop = await gov.propose(server.url, server.adminKey, 'Stop the signal', 'Canceled.');
      // Fixture: the first one passed its vote and its timelock (what the clock does over days).
      await server.t.db.query(
        `update gov_proposals set state = 'queued', queued_at = now() - interval '2 minutes',
                eta = now() - interval '1 minute', expires_at = now() + interval '1 day'
          where id = $1`,
        [run],
      );
      const { page, context, errors } = await newPage();
      try {
        // A member's page shows no operator actions.
        await page.goto(`${server.url}/proposals/${stop}`);
        await page.getByRole('heading', { name: `#${stop} Stop the signal` }).waitFor();
        expect(await page.getByTestId('operator-actions').count()).toBe(0);

        // With the key pasted on an operator page (this tab's sessionStorage), the actions appear.
        await page.goto(`${server.url}/ops/health`);
        await page.getByLabel('API key').fill(server.adminKey);
        await page.getByRole('button', { name: 'Use this key' }).click();
        await page.getByRole('heading', { name: 'System health' }).waitFor();

        await page.goto(`${server.url}/proposals/${run}`);
        await page.getByRole('button', { name: 'Execute now' }).click();
        await page.getByText('Execution started: see the attempt above.').waitFor();
        await page.locator('.pill', { hasText: 'executed' }).first().waitFor();
        expect(await page.getByTestId('executions').textContent()).toMatch(/Attempt 1\s*ok/);

        await page.goto(`${server.url}/proposals/${stop}`);
        await page.getByLabel('Reason for canceling (public)').fill('superseded by #1');
        await page.getByRole('button', { name: 'Cancel as guardian' }).click();
        await page.getByText('The proposal was canceled.').waitFor();
        await page.locator('.pill', { hasText: 'canceled' }).first().waitFor();
        await page.getByText('superseded by #1').waitFor();
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );

  test.skipIf(!HAS_GOVERNANCE)(
    'governance: a key without governance:admin or governance:guardian sees no execute or cancel button, and the scope it needs',
    async () => {
      const gov = mods.governance!;
      const first = await gov.propose(server.url, server.adminKey, 'Queued for the guardian', 'Canceled.');
      const second = await gov.propose(server.url, server.adminKey, 'Queued for the executor', 'Executes.');
      // Fixture: both passed their vote and their timelock.
      await server.t.db.query(
        `update gov_proposals set state = 'queued', queued_at = now() - interval '2 minutes',
                eta = now() - interval '1 minute', expires_at = now() + interval '1 day'
          where id in ($1, $2)`,
        [first, second],
      );
      const keys = server.t.apiKeys;
      const reader = (await keys.create({ name: 'gov-ops-reader', scopes: ['ops:read'] })).key;
      const guardian = (await keys.create({ name: 'gov-guardian', scopes: ['governance:guardian'] })).key;
      const executor = (await keys.create({ name: 'gov-executor', scopes: ['governance:admin'] })).key;
      const executeLine = 'Executing the proposal needs a key with governance:admin.';
      const cancelLine = 'Canceling as guardian needs a key with governance:guardian.';
      /** A fresh tab with `apiKey` pasted on an operator page, then the proposal's page. */
      const openWith = async (apiKey: string, id: string, title: string) => {
        const tab = await newPage();
        await goToOps(tab.page, server, '/ops/health', apiKey);
        await tab.page.goto(`${server.url}/proposals/${id}`);
        await tab.page.getByRole('heading', { name: `#${id} ${title}` }).waitFor();
        await tab.page.getByTestId('operator-actions').waitFor();
        return tab;
      };

      const ro = await openWith(reader, first, 'Queued for the guardian');
      try {
        await ro.page.getByText(executeLine).waitFor();
        await ro.page.getByText(cancelLine).waitFor();
        expect(await ro.page.getByRole('button', { name: 'Execute now' }).count()).toBe(0);
        expect(await ro.page.getByRole('button', { name: 'Cancel as guardian' }).count()).toBe(0);
        expect(await ro.page.getByLabel('Reason for canceling (public)').count()).toBe(0);
        expect(ro.errors).toEqual([]);
      } finally {
        await ro.context.close();
      }

      // The guardian's scope alone: cancel, not execute.
      const g = await openWith(guardian, first, 'Queued for the guardian');
      try {
        await g.page.getByText(executeLine).waitFor();
        expect(await g.page.getByRole('button', { name: 'Execute now' }).count()).toBe(0);
        await g.page.getByLabel('Reason for canceling (public)').fill('wrong target');
        await g.page.getByRole('button', { name: 'Cancel as guardian' }).click();
        await g.page.getByText('The proposal was canceled.').waitFor();
        await g.page.locator('.pill', { hasText: 'canceled' }).first().waitFor();
        expect(g.errors).toEqual([]);
      } finally {
        await g.context.close();
      }

      // governance:admin (not admin): execute, and cancel too (a resource's admin has its every scope).
      const x = await openWith(executor, second, 'Queued for the executor');
      try {
        await x.page.getByRole('button', { name: 'Cancel as guardian' }).waitFor();
        expect(await x.page.locator('[data-needs-scope]').count()).toBe(0);
        await x.page.getByRole('button', { name: 'Execute now' }).click();
        await x.page.getByText('Execution started: see the attempt above.').waitFor();
        await x.page.locator('.pill', { hasText: 'executed' }).first().waitFor();
        expect(x.errors).toEqual([]);
      } finally {
        await x.context.close();
      }
    },
  );

  test.skipIf(!HAS_GOVERNANCE)(
    'governance: delegates to another member with a signed delegation, then revokes it',
    async () => {
      const { page, context, errors } = await newPage();
      try {
        await signIn(page, server, '/delegation');
        await page.getByRole('heading', { name: 'Delegation' }).waitFor();
        await page.getByText('You vote with your own power (no delegation).').waitFor();
        const input = page.getByLabel('Delegatee address');
        const send = page.getByRole('button', { name: 'Sign and delegate' });
        await input.fill('0x1234');
        expect(await send.isDisabled()).toBe(true);
        await input.fill(other.address);
        await send.click();
        await page.getByText(/^Delegated to 0x[0-9a-fA-F]{40} from block \d+\.$/).waitFor();
        await page.getByText(/since block \d+/).waitFor();
        expect(await input.inputValue()).toBe('');

        await page.getByRole('button', { name: 'Revoke the delegation' }).click();
        await page.getByText(/^Delegation revoked from block \d+\.$/).waitFor();
        await page.getByText('You vote with your own power (no delegation).').waitFor();
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
      await expect
        .poll(metricsText, { timeout: 10_000, interval: 250 })
        .toMatch(/^cb_frontend_feature_use_total\{feature="delegate"\} 2$/m);
    },
  );

  test.skipIf(!HAS_INCIDENTS)(
    'incidents: an operator with incidents:write acknowledges, resolves and edits the postmortem',
    async () => {
      const id = await mods.incidents!.fire('database', 'DatabaseDown', 'P1', 'The database does not answer');
      const writer = await server.t.apiKeys.create({
        name: 'incident-writer',
        scopes: ['incidents:read', 'incidents:write'],
      });
      const { page, context } = await newPage();
      try {
        await goToOps(page, server, '/ops/incidents', writer.key);
        await page.getByRole('link', { name: `#${id} ` }).click();
        await page.getByRole('heading', { name: new RegExp(`^#${id} `) }).waitFor();
        await page.getByText('triggered', { exact: true }).first().waitFor();
        expect(await page.locator('[data-needs-scope]').count()).toBe(0);
        await page.getByRole('button', { name: 'Acknowledge' }).click();
        await page.getByText('Acknowledged: escalation stopped.').waitFor();
        await page.getByText('acknowledged', { exact: true }).first().waitFor();

        await page
          .getByLabel('Status update (sent on the update channels)')
          .fill('Failing over to the replica.');
        await page.getByRole('button', { name: 'Post update' }).click();
        await page.locator('.timeline').getByText('Failing over to the replica.').waitFor();

        await page.getByRole('button', { name: 'Resolve' }).click();
        await page.getByRole('heading', { name: 'Postmortem' }).waitFor();
        const editor = page.getByLabel('Markdown');
        await expect.poll(async () => (await editor.inputValue()).length).toBeGreaterThan(0);
        await editor.fill(`${await editor.inputValue()}\n\n## Root cause\nA full disk.\n`);
        await page.getByRole('button', { name: 'Save postmortem' }).click();
        await page.getByText('Postmortem saved.').waitFor();
        await page.getByRole('button', { name: 'Close' }).click();
        await page.getByText('Closed.').waitFor();
      } finally {
        await context.close();
      }
    },
  );

  test.skipIf(!HAS_INCIDENTS)(
    'incidents: a key with only incidents:read sees no acknowledge, resolve, update or postmortem control, and the scope they need',
    async () => {
      const id = await mods.incidents!.fire('queue', 'QueueBacklog', 'P2', 'The mint queue backs up');
      const reader = await server.t.apiKeys.create({ name: 'incident-watcher', scopes: ['incidents:read'] });
      const { page, context, errors } = await newPage();
      const needsWrite = page.getByText(
        'Acknowledging, resolving, closing or posting an update needs a key with incidents:write.',
      );
      const controls = page.getByRole('button', {
        name: /^(Acknowledge|Resolve|Close|Post update|Save postmortem)$/,
      });
      try {
        await goToOps(page, server, '/ops/incidents', reader.key);
        await page.getByRole('link', { name: `#${id} ` }).click();
        await page.getByRole('heading', { name: new RegExp(`^#${id} `) }).waitFor();
        await page.getByText('triggered', { exact: true }).first().waitFor();
        await needsWrite.waitFor();
        expect(await controls.count()).toBe(0);
        expect(await page.getByLabel('Status update (sent on the update channels)').count()).toBe(0);

        // Resolved by someone who may: the postmortem draft can be read, not edited; Close is not offered.
        const res = await fetch(`${server.url}/v1/incidents/${id}/resolve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
          body: '{}',
        });
        expect(res.status).toBe(200);
        await page.reload();
        await page.getByRole('heading', { name: 'Postmortem' }).waitFor();
        const editor = page.getByLabel('Markdown');
        await expect.poll(async () => (await editor.inputValue()).length).toBeGreaterThan(0);
        expect(await editor.isEditable()).toBe(false);
        await page.getByText('Editing the postmortem needs a key with incidents:write.').waitFor();
        await needsWrite.waitFor();
        expect(await controls.count()).toBe(0);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );

  test.skipIf(!HAS_INCIDENTS)(
    'incidents: action items are added, done, dropped with a reason and reopened; overdue ones are listed',
    async () => {
      const kit = mods.incidents!;
      const id = await kit.fire('redis', 'RedisDown', 'P2', 'Redis does not answer');
      // An overdue item on another incident, through the API: due three days ago.
      const late = await kit.fire('rpc', 'RpcDown', 'P2', 'The RPC provider does not answer');
      const res = await fetch(`${server.url}/v1/incidents/${late}/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
        body: JSON.stringify({
          title: 'Add a second RPC provider',
          owner: 'carol',
          dueAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
        }),
      });
      expect(res.status).toBe(201);
      const reader = await server.t.apiKeys.create({ name: 'incident-reader', scopes: ['incidents:read'] });

      const { page, context, errors } = await newPage();
      try {
        await goToOps(page, server, `/ops/incidents/${id}`);
        await page.getByRole('heading', { name: 'Action items' }).waitFor();
        await page.getByText('No action item yet', { exact: false }).waitFor();
        const add = async (title: string, owner = '', due = '') => {
          await page.getByLabel('New action item').fill(title);
          await page.getByLabel('Owner').fill(owner);
          await page.getByLabel('Due date').fill(due);
          await page.getByRole('button', { name: 'Add', exact: true }).click();
          await page.getByText('Action item added.').waitFor();
          await page.getByRole('row', { name: new RegExp(title) }).waitFor();
        };
        await add('Alert on Redis memory at 80 %', 'alice', '2031-03-15');
        await add('Document the failover');
        await add('Rewrite the cache layer', 'bob');
        expect(await page.getByLabel('New action item').inputValue()).toBe('');

        const table = page.getByTestId('incident-actions');
        const row = (title: string) => table.getByRole('row', { name: new RegExp(title) });
        expect(await row('Alert on Redis memory').textContent()).toMatch(
          /Alert on Redis memory at 80 %\s*alice\s*Mar 15, 2031\s*open/,
        );
        expect(await row('Alert on Redis memory').getAttribute('data-overdue')).toBe('false');

        await row('Alert on Redis memory').getByRole('button', { name: 'Done' }).click();
        await page.getByText('Done: Alert on Redis memory at 80 %.').waitFor();
        await expect.poll(() => row('Alert on Redis memory').getAttribute('data-status')).toBe('done');

        // Dropping asks why; nothing is sent without a reason.
        await row('Rewrite the cache layer').getByRole('button', { name: 'Drop' }).click();
        const reason = page.getByLabel('Why drop “Rewrite the cache layer”? (required)');
        const confirm = page.getByRole('button', { name: 'Drop the item' });
        expect(await confirm.isDisabled()).toBe(true);
        await reason.fill('Replaced by the managed Redis.');
        await confirm.click();
        await page.getByText('Dropped: Rewrite the cache layer.').waitFor();
        await row('Rewrite the cache layer').getByText('Dropped: Replaced by the managed Redis.').waitFor();
        expect(await reason.count()).toBe(0);

        await row('Document the failover').getByRole('button', { name: 'Done' }).click();
        await page.getByText('Done: Document the failover.').waitFor();
        await row('Document the failover').getByRole('button', { name: 'Reopen' }).click();
        await page.getByText('Reopened: Document the failover.').waitFor();
        // The message comes as the change is accepted; the table follows with the incident's reload.
        await expect.poll(() => row('Document the failover').getAttribute('data-status')).toBe('open');
        expect(
          await Promise.all(
            ['Alert on Redis memory', 'Document the failover', 'Rewrite the cache layer'].map((t) =>
              row(t).locator('.pill').first().textContent(),
            ),
          ),
        ).toEqual(['done', 'open', 'dropped']);

        // Each change is on the timeline.
        const timeline = page.locator('.timeline');
        await expect.poll(() => timeline.locator('li', { hasText: 'action_added' }).count()).toBe(3);
        await timeline
          .locator('li', {
            hasText: /action_added.*Alert on Redis memory at 80 % \(owner alice\), due 2031-03-1[56]/,
          })
          .waitFor();
        await timeline
          .locator('li', {
            hasText: /action_updated.*dropped: Rewrite the cache layer — Replaced by the managed Redis\./,
          })
          .waitFor();
        await timeline
          .locator('li', { hasText: /action_updated.*reopened: Document the failover/ })
          .waitFor();
        expect(await timeline.locator('li', { hasText: 'action_updated' }).count()).toBe(4);

        // The incidents page lists the overdue item (not the ones due later or closed), linked to its incident.
        await page.goto(`${server.url}/ops/incidents`);
        const overdue = page.getByTestId('overdue-actions');
        await overdue.getByText('Add a second RPC provider').waitFor();
        expect(await overdue.textContent()).toMatch(/carol · due .+ \(3 d late\)/);
        expect(await overdue.getByText('Document the failover').count()).toBe(0);
        await overdue.getByRole('link', { name: `incident #${late}` }).click();
        await page.getByRole('heading', { name: new RegExp(`^#${late} `) }).waitFor();
        expect(
          await table.getByRole('row', { name: /Add a second RPC provider/ }).getAttribute('data-overdue'),
        ).toBe('true');
        await table.getByText('overdue', { exact: true }).waitFor();
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }

      // A key that may only read sees the items but no control to change them.
      const ro = await newPage();
      try {
        await ro.page.goto(`${server.url}/ops/incidents/${id}`);
        await ro.page.getByLabel('API key').fill(reader.key);
        await ro.page.getByRole('button', { name: 'Use this key' }).click();
        await ro.page.getByRole('heading', { name: 'Action items' }).waitFor();
        await ro.page.getByTestId('incident-actions').getByText('Document the failover').waitFor();
        await ro.page
          .getByText('Adding or changing action items needs a key with incidents:write.')
          .waitFor();
        expect(await ro.page.getByLabel('New action item').count()).toBe(0);
        expect(await ro.page.getByRole('button', { name: /^(Done|Drop|Reopen)$/ }).count()).toBe(0);
        expect(ro.errors).toEqual([]);
      } finally {
        await ro.context.close();
      }
    },
  );
});

describe.skipIf(problem !== undefined)('web console over a running dev chain', () => {
  let server: ConsoleServer;
  let browser: Browser;

  // The member's unlock with a badge (first-trade): the minter sends it, the listener indexes the token.
  beforeAll(async () => {
    ({ server, browser } = await openConsole({ chain: true }));
  }, 120_000);

  afterAll(() => closeConsole({ server, browser }));

  /** The member's badges as the listener indexed them, once it has `count`. */
  const heldBadges = async (count: number) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await fetch(`${server.url}/v1/users/${member.address}/badges`);
      const body = (await res.json()) as {
        items: { tokenId: string; achievementId: string; sinceBlock: string }[];
      };
      if (res.ok && body.items.length >= count) return body.items;
      if (Date.now() > deadline)
        throw new Error(`the listener indexed ${body.items?.length ?? 0} badge(s), not ${count}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  test('member: an unlock becomes a token on the chain; the card shows the token the chain holds', async () => {
    const held = await heldBadges(1);
    const firstTrade = held.find((b) => b.achievementId === 'first-trade');
    expect(firstTrade).toBeDefined();
    const chain = server.chain!;
    const client = createPublicClient({ transport: chain.transport, chain: chain.chain });
    const owner = await client.readContract({
      address: chain.badgeAddress,
      abi: achievementBadgeAbi,
      functionName: 'ownerOf',
      args: [BigInt(firstTrade!.tokenId)],
    });
    expect(owner.toLowerCase()).toBe(member.address.toLowerCase());

    const { page, context, errors } = await openPage(browser);
    try {
      // The outbox row is confirmed by the minter's receipt or the listener, whichever comes first.
      const card = page.locator('.achievement.unlocked', { hasText: 'First trade' });
      const minted = card.getByText(`Badge #${firstTrade!.tokenId} minted`);
      const deadline = Date.now() + 30_000;
      for (;;) {
        await page.goto(`${server.url}/achievements?address=${member.address}`);
        await card.waitFor();
        if (await minted.isVisible()) break;
        if (Date.now() > deadline) throw new Error(`card says: ${await card.textContent()}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await card
        .getByText(/block \d+/)
        .first()
        .waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  test("operator: the Chain page shows the listener and the minter at work, the minter's balance and the figures", async () => {
    await heldBadges(1);
    const { page, context, errors } = await openPage(browser);
    try {
      await goToOps(page, server, '/ops/chain');
      await page.getByText('Chain 31337 (embedded dev chain), badge contract').waitFor();
      const listener = page.locator('.card', { hasText: 'Listener' });
      await listener.getByText('running', { exact: true }).waitFor();
      await listener.getByText(/processed \d+ · final \d+/).waitFor();
      const minter = page.locator('.card', { hasText: 'Minter' });
      await minter.getByText(/account 0x7099…79C8/).waitFor();
      // Dev account #1 starts with 10,000 of the native unit; sampled before or after its mint's gas.
      await minter
        .getByText(/^balance (10000|9999\.\d{1,4}) \(the chain's native unit\) · sampled /)
        .waitFor();
      await page.getByRole('row', { name: /Last processed block\s.*\s\d+\s/ }).waitFor();
      expect(await page.getByText('No chain listener or minter reports to this instance yet.').count()).toBe(
        0,
      );
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

async function signIn(page: Page, server: ConsoleServer, next: string) {
  await page.goto(`${server.url}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Account').selectOption({ index: 0 });
  await page.getByRole('button', { name: 'Sign in with dev account' }).click();
  await page.waitForURL(`${server.url}${next}`);
}

/** Opens an operator page with `key` (the admin key unless given), once the key's scopes are known. */
async function goToOps(page: Page, server: ConsoleServer, path: string, key = server.adminKey) {
  await page.goto(`${server.url}${path}`);
  // A fresh tab has no key yet: the page asks for one (the lazily loaded page renders first).
  const keyInput = page.getByLabel('API key');
  await page.locator('.operator-bar').or(keyInput).first().waitFor();
  if (await keyInput.isVisible()) {
    await keyInput.fill(key);
    await page.getByRole('button', { name: 'Use this key' }).click();
  }
  // The key's name shows once GET /v1/whoami answered: from then on the pages hide what it may not do.
  await page.locator('.operator-bar strong').waitFor();
}
