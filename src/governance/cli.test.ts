import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import type { CliContext } from '../cli/with-database.ts';
import { loadConfig } from '../platform/config.ts';
import { createSilentLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { registerGovernance } from './cli.ts';
import { ballotBody, createGovernanceTest, type GovernanceTest, member } from './test-support.ts';

let g: GovernanceTest;
let id: string;
const a = member(1);
const b = member(2);
const c = member(3);

beforeAll(async () => {
  g = await createGovernanceTest();
  await g.mint(a.address, 'first-commit', 5n);
  await g.mint(b.address, 'reviewer', 5n);
  await g.mint(c.address, 'trader-gold', 5n);
  g.blocks.set(10n);
  await g.mint(c.address, 'reviewer', 9n); // after the snapshot (8): must not count
  id = await g.openSignal('Audit me');
  const vote = async (body: unknown) =>
    expect((await g.inject('POST', `/v1/proposals/${id}/votes`, body)).statusCode).toBe(201);
  await vote(await ballotBody(a, id, 'for', 1n));
  await vote(await ballotBody(b, id, 'against', 1n));
  await vote(await ballotBody(b, id, 'for', 2n, 'changed my mind'));
  await vote(await ballotBody(c, id, 'abstain', 1n));
});
afterAll(async () => {
  await g?.close();
});
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(...args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const program = new Command('cb').exitOverride();
  registerGovernance(program, {
    withDatabase: <T>(fn: (ctx: CliContext) => Promise<T>) =>
      fn({ config: loadConfig({}), db: g.t.db, logger: createSilentLogger(), metrics: createMetrics() }),
  });
  try {
    await program.parseAsync(['node', 'cb', 'governance', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

describe('cb governance verify', () => {
  test('default: the tally recomputed from the signatures agrees with the stored one', async () => {
    const report = JSON.parse(await run('verify', id, '--json', '--workers', '2'));
    expect(report).toMatchObject({
      proposalId: id,
      snapshotBlock: '8',
      ballots: { total: 4, valid: 4, invalid: [] },
      stored: { for: '3.5', against: '0', abstain: '10', voters: 3 },
      recomputed: { for: '3.5', against: '0', abstain: '10', voters: 3 },
      differences: [],
      agrees: true,
    });
    expect(process.exitCode).toBeUndefined();
    const text = await run('verify', id, '--workers', '0');
    expect(text).toContain('the stored tally agrees with the signatures');
  });

  test('behavior: a stored ballot altered after the fact no longer verifies, and the tallies differ (exit 3)', async () => {
    // Someone turns b's counting "for" into "against" in both tables, consistently.
    const { rows } = await g.t.db.query<{ id: string }>(
      'select id::text as id from gov_ballots where proposal_id = $1 and voter = $2 and nonce = 2',
      [id, b.address],
    );
    const ballotId = rows[0]!.id;
    await g.t.db.query("update gov_ballots set support = 'against' where id = $1", [ballotId]);
    await g.t.db.query("update gov_votes set support = 'against' where ballot_id = $1", [ballotId]);
    const report = JSON.parse(await run('verify', id, '--json', '--workers', '0'));
    expect(report.agrees).toBe(false);
    expect(report.ballots.invalid).toEqual([
      { ballotId, voter: b.address, reason: 'signature does not verify' },
    ]);
    expect(report.stored).toMatchObject({ for: '1', against: '2.5' });
    // b's last valid ballot is the first one: against, nonce 1.
    expect(report.recomputed).toMatchObject({ for: '1', against: '2.5', abstain: '10' });
    expect(report.differences).toEqual([
      {
        voter: b.address,
        stored: { ballotId, support: 'against', weight: '2.5' },
        recomputed: { ballotId: expect.any(String), support: 'against', weight: '2.5' },
      },
    ]);
    expect(process.exitCode).toBe(3);
    const text = await run('verify', id);
    expect(text).toContain('DIFFERS');
    expect(text).toContain('signature does not verify');
  });

  test('error: a bad id is one line; an unknown proposal says so', async () => {
    await expect(run('verify', 'abc')).rejects.toThrow('<proposalId> must be a whole number');
    await expect(run('verify', '99999')).rejects.toMatchObject({ code: 'GOV_PROPOSAL_NOT_FOUND' });
  });
});
