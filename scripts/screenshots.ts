/**
 * `npm run screenshots`: refreshes docs/screenshots/*.png — each main page of the web console,
 * as a member and as an operator, on a desktop (1280 px) and one on a phone (375 px).
 *
 * It builds the console, starts a real server on an in-memory database (the browser tests'
 * harness), seeds a catalogue, a member's events, badges, proposals with votes and an incident
 * through the API, then drives Debian's Chromium (`apt-get install chromium`; and a Chinese font
 * for the seed's metric names, `apt-get install fonts-wqy-microhei`). The Chain page is
 * taken from a second server that runs the chain module over an in-process dev chain.
 *
 * Usage: tsx scripts/screenshots.ts [--out docs/screenshots]
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { privateKeyToAccount } from 'viem/accounts';
import { appendAudit, createBackup, listAudit, runDrill, verifyBackup } from '../src/ops/index.ts';
import { createSilentLogger } from '../src/platform/logger.ts';
import { hardhatDevAccounts } from '../src/web/index.ts';
import {
  buildConsole,
  chromiumProblem,
  launchChromium,
  ROOT,
  seedMember,
  startConsoleServer,
} from '../test/browser/harness.ts';
import { HAS_INCIDENTS, modules } from '../test/browser/modules.ts';

const outAt = process.argv.indexOf('--out');
const OUT = outAt > 0 ? process.argv[outAt + 1]! : join(ROOT, 'docs', 'screenshots');

const problem = chromiumProblem();
if (problem) {
  console.error(`screenshots: ${problem}`);
  process.exit(1);
}
// The pages quote the seed's (Chinese) metric names: without a CJK font they show as boxes.
const cjk = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
if (cjk.status !== 0 || cjk.stdout.trim() === '')
  console.warn(
    'screenshots: no Chinese font found (fc-list :lang=zh): the seed references will show as boxes — apt-get install -y fonts-wqy-microhei',
  );

mkdirSync(OUT, { recursive: true });
const dist = join(mkdtempSync(join(tmpdir(), 'cb-screens-')), 'dist');
console.log('building the console…');
await buildConsole(dist);
const mods = modules();
const server = await startConsoleServer({ distDir: dist, withJobs: HAS_INCIDENTS, extraRoutes: mods.routes });
const browser = await launchChromium();
const shots: string[] = [];

try {
  const [member, ...others] = hardhatDevAccounts(2, 6);
  await seedMember(server, member!.address.toLowerCase());

  let proposalId: string | undefined;
  if (mods.governance) {
    const gov = mods.governance;
    await gov.mint(member!.address, 'first-trade');
    await gov.mint(member!.address, 'trader-silver');
    const slugs = ['first-trade', 'volume-1000', 'topics-3', 'trader-silver', 'first-vote'];
    for (const [i, o] of others.entries()) await gov.mint(o.address, slugs[i % slugs.length]!);
    await gov.propose(
      server.url,
      server.adminKey,
      'Publish the Q2 treasury report',
      'A signal that the treasury report should be published every quarter.',
    );
    proposalId = await gov.propose(
      server.url,
      server.adminKey,
      'Fund the community hackathon',
      '## Budget\n\nAllocate **5 000 tokens** from the community treasury to the autumn hackathon:\n\n- prizes\n- venue\n- a travel fund for first-time contributors\n\nVoting for means the grants committee releases the funds after the timelock. Discussion: [forum thread](https://forum.example.org/t/hackathon).',
    );
    const supports = ['for', 'for', 'against', 'abstain', 'for'] as const;
    for (const [i, o] of others.entries())
      await gov.vote(
        server.url,
        privateKeyToAccount(o.privateKey),
        proposalId,
        supports[i % supports.length]!,
      );
  }
  let incidentId: string | undefined;
  if (mods.incidents) {
    incidentId = await mods.incidents.fire(
      'database',
      'DatabaseSlowQueries',
      'P1',
      'Slow queries above 5/min on the primary',
    );
    await mods.incidents.fire('rpc', 'RpcErrorRate', 'P2', 'RPC error rate above 1 % on the backup endpoint');
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const shot = async (name: string, p: Page = page) => {
    await p.waitForLoadState('networkidle');
    await p.evaluate(
      'document.activeElement && document.activeElement.blur && document.activeElement.blur()',
    );
    const file = join(OUT, `${name}.png`);
    await p.screenshot({ path: file, fullPage: true });
    shots.push(file);
    console.log(`  ${file}`);
  };

  console.log('member pages…');
  await page.goto(`${server.url}/`);
  await page.getByRole('button', { name: 'Sign in with dev account' }).waitFor();
  await shot('home-sign-in');
  await page.getByRole('button', { name: 'Sign in with dev account' }).click();
  await page.getByRole('heading', { name: 'My achievements' }).waitFor();
  await page.locator('.achievement', { hasText: 'Seasoned trader' }).getByRole('button').click();
  await page.getByText('3 more trade event(s)').waitFor();
  await shot('achievements');
  if (proposalId) {
    await page.goto(`${server.url}/proposals`);
    await page.locator('.proposal').first().waitFor();
    await shot('proposals');
    await page.goto(`${server.url}/proposals/${proposalId}`);
    await page.getByRole('button', { name: 'Sign and vote' }).waitFor();
    await shot('proposal');
    await page.goto(`${server.url}/voting-power`);
    await page.getByTestId('power-total').waitFor();
    await shot('voting-power');
  }

  console.log('operator pages…');
  await page.goto(`${server.url}/ops/health`);
  await page.getByLabel('API key').fill(server.adminKey);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.locator('.dep').first().waitFor();
  await shot('ops-health');
  if (incidentId) {
    await page.goto(`${server.url}/ops/incidents`);
    await page.locator('tbody tr').first().waitFor();
    await shot('ops-incidents');
    await page.goto(`${server.url}/ops/incidents/${incidentId}`);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Acknowledged: escalation stopped.').waitFor();
    await shot('ops-incident');
  }
  await page.goto(`${server.url}/ops/queues`);
  await page.getByRole('heading', { name: 'Queues' }).waitFor();
  await page.locator('table, .notice').first().waitFor();
  await shot('ops-queues');
  // A backup, its check and a drill, as the operators' cron would leave them.
  await createBackup(server.backupConfig, server.t.db);
  await verifyBackup(server.backupConfig, 'latest');
  await runDrill(server.backupConfig, undefined, { logger: createSilentLogger() });
  await page.goto(`${server.url}/ops/backups`);
  await page.getByTestId('drills').waitFor();
  await shot('ops-backups');
  await page.goto(`${server.url}/ops/catalogue/new`);
  await page.getByLabel('Id', { exact: true }).fill('Weekly Streak');
  await page.getByLabel('Name', { exact: true }).fill('Weekly regular');
  await page.getByLabel('Category', { exact: true }).fill('community');
  await page.getByLabel('Rule type').selectOption('streak');
  await page.getByLabel('Event types').fill('post');
  await page.getByLabel('Target', { exact: true }).fill('0');
  await page.getByLabel('Time zone').fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Create achievement' }).click();
  await page.locator('.field-error').first().waitFor();
  await shot('ops-catalogue-editor');
  // The audit trail: the changes above, a command's record, and a change a read-only key was refused.
  await appendAudit(server.t.db, {
    actorKind: 'cli',
    actor: 'deploy@bastion',
    action: 'cb apikey create',
    target: 'name=dashboard-readonly',
    outcome: 'ok',
    status: 0,
    details: { options: { name: 'dashboard-readonly', scopes: 'ops:read' } },
  });
  const readOnly = await server.t.apiKeys.create({ name: 'dashboard-readonly', scopes: ['ops:read'] });
  await fetch(`${server.url}/v1/achievements/first-trade`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${readOnly.key}` },
    body: JSON.stringify({ name: 'First trade!' }),
  });
  // Recorded once the reply went out.
  while ((await listAudit(server.t.db, { outcome: 'refused', limit: 1 })).items.length === 0)
    await new Promise((r) => setTimeout(r, 50));
  await page.goto(`${server.url}/ops/audit`);
  const refusedRow = page.locator('tr.audit-row[data-outcome="refused"]').first();
  await refusedRow.getByRole('button', { name: /^Details/ }).click();
  await page.locator('.audit-details').waitFor();
  await shot('ops-audit');

  console.log('chain page, over a running dev chain…');
  // A server of its own that runs the chain as `cb start` does: the member's unlock is minted and
  // indexed, so the page shows the listener and the minter at work.
  const chainServer = await startConsoleServer({ distDir: dist, chain: true });
  try {
    await seedMember(chainServer, member!.address.toLowerCase());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await chainServer.t.db.query<{ status: string }>('select status from ach_mint_outbox');
      if (rows.length > 0 && rows.every((r) => r.status === 'confirmed')) break;
      if (Date.now() > deadline) throw new Error(`mints not confirmed within 60 s: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const chainContext = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
    });
    const chainPage = await chainContext.newPage();
    chainPage.setDefaultTimeout(15_000);
    await chainPage.goto(`${chainServer.url}/ops/chain`);
    await chainPage.getByLabel('API key').fill(chainServer.adminKey);
    await chainPage.getByRole('button', { name: 'Use this key' }).click();
    await chainPage.locator('table.health').waitFor();
    await chainPage.getByText(/^balance /).waitFor();
    await shot('ops-chain', chainPage);
    await chainContext.close();
  } finally {
    await chainServer.close();
  }

  console.log('phone…');
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 });
  const phonePage = await phone.newPage();
  await phonePage.goto(`${server.url}/achievements?address=${member!.address}`);
  await phonePage.locator('.achievement').first().waitFor();
  await shot('phone-achievements', phonePage);
  await phone.close();
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
console.log(`${shots.length} screenshots in ${OUT}`);
