/**
 * What happens to an event once its block is final (checkpoint − confirmations), inside the
 * transaction that makes it final:
 *
 * - it is posted to the achievement intake as `badge.minted` / `badge.revoked` (source `chain`,
 *   id `chainId:txHash:logIndex`, user = holder), so achievements can be earned from chain events;
 * - a BadgeMinted is matched to the `ach_mint_outbox` row of the same (holder, achievement) that is
 *   not yet confirmed (user_address is stored lower case, like the holder), which becomes
 *   `confirmed` with the token id, transaction and block. The
 *   minter does the same from its receipts; either may come first, and a confirmed row is never
 *   touched again (so nothing is downgraded). A `failed` row whose badge is on chain is confirmed:
 *   the chain is the truth.
 *
 * Posting only final events is what keeps the append-only intake right under ordinary reorgs. See
 * the listener's design note for a reorg deeper than the confirmation depth.
 */
import { ingestEvents, ingestTrustedEvents } from '../../achievements/index.ts';
import type { Db, Queryable, Transaction } from '../../platform/db/create-db.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AchievementIndex } from '../badges/index.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import type { BadgeEvent } from './decode-badge-logs.ts';
import type { ChainIngest, ChainIntakeEvent, IngestSummary } from './types.ts';

export interface PostFinalDeps {
  chainId: () => Promise<number>;
  achievements: AchievementIndex;
  /**
   * `intake`: the achievement intake's bulk path for events we decoded ourselves
   * (`ingestTrustedEvents`, {@link postToIntake}); a {@link ChainIngest}: that, with one object per
   * event; false: nothing.
   */
  ingest: 'intake' | ChainIngest | false;
  metrics: Metrics;
}

/**
 * What posting needs from outside the database, read *before* the transaction opens (on PGlite a
 * read through the Db inside a transaction waits forever).
 */
export interface PostFinalInputs {
  chainId: number;
  slugs: ReadonlyMap<bigint, { id: string }>;
}

/** Reads the {@link PostFinalInputs}. */
export async function postFinalInputs(deps: PostFinalDeps): Promise<PostFinalInputs> {
  const [chainId, slugs] = await Promise.all([deps.chainId(), deps.achievements.map()]);
  return { chainId, slugs };
}

export interface PostFinalResult extends IngestSummary {
  outboxConfirmed: number;
}

const INTAKE_LABELS = new Set(['chain', 'badge.minted', 'badge.revoked']);

/**
 * A {@link ChainIngest} through `ingestEvents` (the HTTP intake's path: every item validated).
 * The listener's default is the bulk path instead ({@link postToIntake}); this one stays for callers
 * that want the intake's per-item results.
 */
export function intakeIngest(db: Db, metrics: Metrics): ChainIngest {
  return async (items, tx, now) => {
    // ingestEvents runs one statement through `db.query`; hand it the transaction's instead.
    const txDb: Db = { ...db, query: (text, params) => tx.query(text, params) };
    const results = await ingestEvents(
      {
        db: txDb,
        metrics,
        labelOf: (_kind, value) => (value !== undefined && INTAKE_LABELS.has(value) ? value : 'other'),
      },
      items,
      now,
    );
    const summary = { accepted: 0, duplicates: 0, rejected: 0 };
    for (const r of results) {
      if (r.status === 'accepted') summary.accepted++;
      else if (r.status === 'duplicate') summary.duplicates++;
      else summary.rejected++;
    }
    return summary;
  };
}

/** The intake form of `e`. */
export function intakeEvent(chainId: number, e: BadgeEvent, slug: string | undefined): ChainIntakeEvent {
  return {
    id: `${chainId}:${e.txHash.toLowerCase()}:${e.logIndex}`,
    source: 'chain',
    type: e.event === 'BadgeMinted' ? 'badge.minted' : 'badge.revoked',
    user: e.holder,
    occurredAt: new Date(Number(e.blockTimestamp ?? 0n) * 1000).toISOString(),
    data: {
      tokenId: e.tokenId.toString(),
      achievementId: slug ?? e.achievementKey.toString(),
      block: Number(e.blockNumber),
    },
  };
}

/** Posts `events` (all final, chain order) and confirms their outbox rows, inside `tx`. */
export async function postFinalEvents(
  tx: Transaction,
  deps: PostFinalDeps,
  inputs: PostFinalInputs,
  events: readonly BadgeEvent[],
): Promise<PostFinalResult> {
  const result: PostFinalResult = { accepted: 0, duplicates: 0, rejected: 0, outboxConfirmed: 0 };
  if (events.length === 0) return result;
  if (deps.ingest === 'intake') {
    Object.assign(result, await postToIntake(tx, deps.metrics, inputs, events));
  } else if (deps.ingest) {
    const { chainId, slugs } = inputs;
    let newest = 0;
    const items = events.map((e) => {
      const ts = Number(e.blockTimestamp ?? 0n) * 1000;
      if (ts > newest) newest = ts;
      return intakeEvent(chainId, e, slugs.get(e.achievementKey)?.id);
    });
    Object.assign(result, await deps.ingest(items, tx, Math.max(Date.now(), newest)));
  }
  result.outboxConfirmed = await confirmOutbox(tx, events);
  return result;
}

/**
 * Posts `events` to the achievement intake through its bulk path, inside `tx`: the same rows as
 * {@link intakeEvent} through `ingestEvents`, built as columns straight from the decoded events.
 * Nothing to validate: ids, holders (lower-case, from a topic) and types are ours.
 */
export async function postToIntake(
  tx: Transaction,
  metrics: Metrics,
  inputs: PostFinalInputs,
  events: readonly BadgeEvent[],
): Promise<IngestSummary> {
  const { chainId, slugs } = inputs;
  const n = events.length;
  const ids = new Array<string>(n);
  const types = new Array<string>(n);
  const users = new Array<string>(n);
  const occurredAt = new Array<number>(n);
  const tokenIds = new Array<string>(n);
  const achievementIds = new Array<string>(n);
  const blocks = new Array<number>(n);
  // A transaction's events come together (chain order): its id prefix is built once.
  let lastTx: string | undefined;
  let prefix = '';
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.txHash !== lastTx) {
      lastTx = e.txHash;
      prefix = `${chainId}:${e.txHash.toLowerCase()}:`;
    }
    ids[i] = `${prefix}${e.logIndex}`;
    types[i] = e.event === 'BadgeMinted' ? 'badge.minted' : 'badge.revoked';
    users[i] = e.holder;
    occurredAt[i] = Number(e.blockTimestamp ?? 0n);
    tokenIds[i] = e.tokenId.toString();
    achievementIds[i] = slugs.get(e.achievementKey)?.id ?? e.achievementKey.toString();
    blocks[i] = Number(e.blockNumber);
  }
  const summary = await ingestTrustedEvents(
    tx,
    {
      metrics,
      labelOf: (_kind, value) => (value !== undefined && INTAKE_LABELS.has(value) ? value : 'other'),
    },
    {
      source: 'chain',
      ids,
      types,
      users,
      occurredAt,
      data: { tokenId: tokenIds, achievementId: achievementIds, block: blocks },
    },
    // Above the finalized cursor, so not posted yet — but for a re-mined event after a reorg deeper
    // than the confirmations, or a commit the database lost: those take the on-conflict fallback.
    { fresh: true },
  );
  return { ...summary, rejected: 0 };
}

/** Marks the outbox rows of these mints confirmed (first mint per holder and achievement wins). */
export async function confirmOutbox(tx: Queryable, events: readonly BadgeEvent[]): Promise<number> {
  const mints = events.filter((e) => e.event === 'BadgeMinted');
  if (mints.length === 0) return 0;
  const holders = [...new Set(mints.map((e) => e.holder))];
  const { rows } = await tx.query<{ id: string; user_address: string; achievement_id: string }>(
    `select id::text as id, user_address, achievement_id
       from ach_mint_outbox where status <> 'confirmed' and user_address = any($1::text[])`,
    [holders],
  );
  if (rows.length === 0) return 0;
  const open = new Map<string, string>();
  for (const r of rows) open.set(`${r.user_address}:${achievementTokenId(r.achievement_id)}`, r.id);
  const ids: string[] = [];
  const tokens: string[] = [];
  const txs: string[] = [];
  const blocks: string[] = [];
  for (const e of mints) {
    const key = `${e.holder}:${e.achievementKey}`;
    const id = open.get(key);
    if (id === undefined) continue;
    open.delete(key);
    ids.push(id);
    tokens.push(e.tokenId.toString());
    txs.push(e.txHash);
    blocks.push(e.blockNumber.toString());
  }
  if (ids.length === 0) return 0;
  const updated = await tx.query(
    `update ach_mint_outbox o
        set status = 'confirmed', token_id = x.tok, tx_hash = x.t, block_number = x.b, error = null,
            updated_at = now()
       from unnest($1::bigint[], $2::numeric[], $3::text[], $4::bigint[]) as x(id, tok, t, b)
      where o.id = x.id and o.status <> 'confirmed'`,
    [ids, tokens, txs, blocks],
  );
  return updated.rowCount;
}
