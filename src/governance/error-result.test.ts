import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { DefinitionInvalidError } from '../achievements/index.ts';
import { ERROR_CODES, mapError } from '../api/errors.ts';
import { BaseError, ExposedUnavailableError, UnavailableError } from '../platform/errors.ts';
import { errorResult } from './error-result.ts';
import {
  badRequest,
  conflict,
  notProposer,
  proposalInvalid,
  proposalNotFound,
  ruleViolation,
  SignatureError,
} from './errors.ts';
import {
  ballotBody,
  createGovernanceTest,
  type GovernanceTest,
  member,
  proposalBody,
} from './test-support.ts';

/** One error per GOV_ code, built the way the governance code throws it. */
const GOVERNANCE_ERRORS: BaseError[] = [
  badRequest('GOV_BAD_ADDRESS', 'voter is not an address'),
  badRequest('GOV_REQUEST_INVALID', 'support must be for, against or abstain'),
  new SignatureError('GOV_SIGNATURE_INVALID', 'not the signer'),
  new SignatureError('GOV_DOMAIN_MISMATCH', 'another chain'),
  new SignatureError('GOV_SIGNATURE_EXPIRED', 'expired'),
  notProposer(),
  proposalNotFound('7'),
  conflict('GOV_PROPOSAL_NOT_ACTIVE', 'voting closed'),
  conflict('GOV_VOTE_CHANGE_NOT_ALLOWED', 'no change'),
  conflict('GOV_NONCE_STALE', 'use a higher nonce'),
  conflict('GOV_NONCE_USED', 'used'),
  conflict('GOV_CANCEL_NOT_ALLOWED', 'executed'),
  conflict('GOV_NOT_EXECUTABLE', 'not queued'),
  conflict('GOV_EXECUTION_IN_PROGRESS', 'running'),
  conflict('GOV_EXECUTION_PAUSED', 'paused'),
  ruleViolation('GOV_NO_VOTING_POWER', 'no power'),
  ruleViolation('GOV_BELOW_PROPOSAL_THRESHOLD', 'too little power'),
  proposalInvalid([{ path: 'title', message: '1-200 characters' }]),
  ruleViolation('GOV_SELF_DELEGATION', 'self'),
  ruleViolation('GOV_BLOCK_NOT_INDEXED', 'ahead'),
  ruleViolation('GOV_ONCHAIN_DISABLED', 'no executor'),
  new ExposedUnavailableError('GOV_SNAPSHOT_NOT_INDEXED', 'the listener went back'),
  new UnavailableError('GOV_VERIFIER_UNAVAILABLE', 'no chain'),
  new BaseError('GOV_WEIGHT_SET_MISSING', 'weight set missing'),
];

describe('errorResult', () => {
  test('default: what the HTTP edge answers with a 4xx is refused, a 5xx (or anything unknown) failed', () => {
    const thrown: unknown[] = [
      ...GOVERNANCE_ERRORS,
      new DefinitionInvalidError([{ path: 'actions.0.definition.id', message: 'no achievement x' }]),
      Object.assign(new Error('deadlock detected'), { code: '40P01' }),
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      Object.assign(new Error('relation "gov_ballots" does not exist'), { code: '42P01' }),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      'a string',
      undefined,
    ];
    const disagreements = thrown
      .map((e) => ({ e, status: mapError(e).status, result: errorResult(e) }))
      .filter(({ status, result }) => (status < 500 ? 'refused' : 'failed') !== result)
      .map(
        ({ e, status, result }) => `${e instanceof BaseError ? e.code : String(e)}: ${status} → ${result}`,
      );
    expect(disagreements).toEqual([]);
  });

  test('behavior: the list above covers every GOV_ code of the error table', () => {
    const covered = new Set(GOVERNANCE_ERRORS.map((e) => e.code));
    expect(Object.keys(ERROR_CODES).filter((c) => c.startsWith('GOV_') && !covered.has(c))).toEqual([]);
  });

  test('error: database errors, timeouts and bugs are failed; refusals are refused', () => {
    expect(errorResult(ruleViolation('GOV_NO_VOTING_POWER', 'no power'))).toBe('refused');
    expect(errorResult(conflict('GOV_PROPOSAL_NOT_ACTIVE', 'closed'))).toBe('refused');
    expect(errorResult(badRequest('GOV_REQUEST_INVALID', 'bad support'))).toBe('refused');
    expect(errorResult(Object.assign(new Error('connection terminated'), { code: '57P01' }))).toBe('failed');
    expect(errorResult(new UnavailableError('CB_DB_UNAVAILABLE', 'down'))).toBe('failed');
    expect(errorResult(new RangeError('bug'))).toBe('failed');
  });
});

describe('cb_votes_total and cb_proposals_created_total: refused (the caller) against failed (the system)', () => {
  let g: GovernanceTest;
  const alice = member(1); // first-commit = 1
  const erin = member(5); // nothing
  let id: string;

  const votes = (result: string) => g.metric('cb_votes_total', { result });
  const creations = (result: string) => g.metric('cb_proposals_created_total', { result });
  const vote = async (body: unknown) => g.inject('POST', `/v1/proposals/${id}/votes`, body);
  /** Renames a table for the duration of `fn`: every statement over it fails in the database. */
  const withoutTable = async <T>(table: string, fn: () => Promise<T>): Promise<T> => {
    await g.t.db.query(`alter table ${table} rename to ${table}_gone`);
    try {
      return await fn();
    } finally {
      await g.t.db.query(`alter table ${table}_gone rename to ${table}`);
    }
  };

  beforeAll(async () => {
    g = await createGovernanceTest();
    await g.mint(alice.address, 'first-commit', 10n);
    g.blocks.set(100n); // confirmed: 98
    id = await g.openSignal('Refused or failed');
  });
  afterAll(async () => {
    await g?.close();
  });

  test('behavior: a member’s invalid ballots are refused, not failed', async () => {
    const noPower = await vote(await ballotBody(erin, id, 'for', 1n));
    expect(noPower.statusCode).toBe(422);
    const badSupport = await vote({ ...(await ballotBody(alice, id, 'for', 1n)), support: 'maybe' });
    expect(badSupport.statusCode).toBe(400);
    expect(await votes('refused')).toBe(2);
    expect(await g.metric('cb_votes_total', { support: 'invalid', result: 'refused' })).toBe(1);
    expect(await g.metric('cb_votes_total', { support: 'for', result: 'refused' })).toBe(1);
    expect(await votes('failed')).toBe(0);

    expect((await vote(await ballotBody(alice, id, 'for', 1n))).statusCode).toBe(201);
    // The same nonce again with another choice: the member's mistake (409), refused.
    expect((await vote(await ballotBody(alice, id, 'against', 1n))).statusCode).toBe(409);
    expect(await votes('accepted')).toBe(1);
    expect(await votes('refused')).toBe(3);
    expect(await votes('failed')).toBe(0);
  });

  test('behavior: a ballot the database fails on is failed, not refused', async () => {
    const res = await withoutTable('gov_ballots', async () => vote(await ballotBody(alice, id, 'for', 2n)));
    expect(res.statusCode).toBe(500);
    expect(await g.metric('cb_votes_total', { support: 'for', result: 'failed' })).toBe(1);
    expect(await votes('refused')).toBe(3);
    // The database is back: the same ballot is accepted.
    expect((await vote(await ballotBody(alice, id, 'for', 2n))).statusCode).toBe(201);
    expect(await votes('accepted')).toBe(2);
  });

  test('behavior: a ballot refused for the system’s own reason (the listener went back, 503) is failed', async () => {
    g.blocks.set(50n);
    // The applied block is re-read once the last read is over a second old.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2000);
    try {
      const res = await vote(await ballotBody(alice, id, 'abstain', 3n));
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('GOV_SNAPSHOT_NOT_INDEXED');
    } finally {
      vi.useRealTimers();
      g.blocks.set(100n);
    }
    expect(await votes('failed')).toBe(2);
    expect(await votes('refused')).toBe(3);
  });

  test('behavior: an invalid proposal or one below the threshold is refused; the database failing is failed', async () => {
    const invalid = await g.inject(
      'POST',
      '/v1/proposals',
      { title: '', body: '', type: 'signal' },
      g.adminKey,
    );
    expect(invalid.statusCode).toBe(422);
    const weak = await g.inject(
      'POST',
      '/v1/proposals',
      await proposalBody(erin, { title: 't', type: 'signal' }, 1n),
    );
    expect(weak.statusCode).toBe(422);
    expect(await creations('refused')).toBe(2);
    expect(await creations('failed')).toBe(0);

    const res = await withoutTable('gov_proposals', () =>
      g.inject('POST', '/v1/proposals', { title: 'Down', body: '', type: 'signal' }, g.adminKey),
    );
    expect(res.statusCode).toBe(500);
    expect(await g.metric('cb_proposals_created_total', { type: 'signal', result: 'failed' })).toBe(1);
    expect(await creations('refused')).toBe(2);
  });
});
