/**
 * Applying badge events to the database, set-based (a few statements per range whatever its size)
 * and idempotent: applying the same events again leaves the same rows, which is what replay relies
 * on. Tokens are soulbound, so a token's history is one mint and at most one revoke:
 *
 * - BadgeMinted → `badge_tokens` row (owner = holder) and an open `badge_ownership` row
 *   [mint block, ∞); a token already revoked at or after that block keeps its revoke.
 * - BadgeRevoked → `badge_tokens.owner` null, `revoked_block` set; the open ownership row is closed
 *   at the revoke block.
 * - Every event → `chain_events` (by chain position; a re-read replaces the row).
 */
import { arrayLiteral } from '../../platform/db/array-literal.ts';
import { copyField } from '../../platform/db/copy-text.ts';
import type { Queryable, Transaction } from '../../platform/db/create-db.ts';
import type { BadgeEvent } from './decode-badge-logs.ts';

export interface ApplyOptions {
  /**
   * Also close re-opened ownership rows of tokens whose revoke is recorded outside these events
   * (replaying a mint whose revoke lies after the replayed range). @defaultValue false
   */
  closeRevoked?: boolean | undefined;
  /**
   * Awaited once, after the inserts (events, minted tokens and their ownership rows) and before
   * the updates (revokes), e.g. to take the checkpoint lock: inserts of different ranges never
   * touch the same rows, so they may run before it, while a revoke must see the mint it closes.
   */
  beforeUpdates?: (() => Promise<unknown>) | undefined;
  /**
   * The events are above everything applied so far (the listener's next range): COPY the rows in — about half the database's CPU of the upserts —
   * falling back to the upserts, under a savepoint, if a row exists after all. @defaultValue false
   */
  fresh?: boolean | undefined;
}

const UNIQUE_VIOLATION = '23505';

/** The batch as rows, once for the three tables (materialized: unnest runs once). */
const ROWS = `with x as materialized (
    select * from unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::float8[]) as x(b, h, t, l, e, tok, holder, ach, ts))`;
const EVENT_ROW = `select b, h, t, l, e,
            jsonb_build_object('tokenId', tok, case when e = 'BadgeMinted' then 'to' else 'owner' end, holder,
                               'achievementId', ach),
            to_timestamp(ts)
       from x`;
const TOKEN_ROW = `select tok::numeric, ach::numeric, holder, b, t, now() from x where e = 'BadgeMinted'`;
const OWNERSHIP_ROW = `select tok::numeric, holder, b, t, l, h from x where e = 'BadgeMinted'`;

/** Idempotent: a re-read event replaces its row; a token revoked at or after its mint keeps the revoke. */
const UPSERT = `${ROWS},
  events as (insert into chain_events (block_number, block_hash, tx_hash, log_index, event, args, block_timestamp)
     ${EVENT_ROW}
     on conflict (block_number, log_index) do update
       set block_hash = excluded.block_hash, tx_hash = excluded.tx_hash, event = excluded.event,
           args = excluded.args, block_timestamp = excluded.block_timestamp),
  tokens as (insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx, updated_at)
     ${TOKEN_ROW}
     on conflict (token_id) do update set
       achievement_key = excluded.achievement_key,
       minted_block = excluded.minted_block,
       minted_tx = excluded.minted_tx,
       owner = case when badge_tokens.revoked_block >= excluded.minted_block then null else excluded.owner end,
       revoked_block = case when badge_tokens.revoked_block >= excluded.minted_block then badge_tokens.revoked_block end,
       updated_at = now())
  insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index, block_hash)
     ${OWNERSHIP_ROW}
     on conflict (token_id, from_block) do update
       set owner = excluded.owner, tx_hash = excluded.tx_hash, log_index = excluded.log_index,
           block_hash = excluded.block_hash`;

/** Applies `events` (chain order) inside `tx`; returns the holders concerned. */
export async function applyEvents(
  tx: Transaction,
  events: readonly BadgeEvent[],
  options: ApplyOptions = {},
): Promise<Set<string>> {
  const holders = new Set<string>();
  if (events.length === 0) {
    await options.beforeUpdates?.();
    return holders;
  }
  const mints: BadgeEvent[] = [];
  const revokes: BadgeEvent[] = [];
  for (const e of events) {
    holders.add(e.holder);
    (e.event === 'BadgeMinted' ? mints : revokes).push(e);
  }

  if (!(options.fresh && (await copyFresh(tx, events)))) await upsert(tx, events);

  if (mints.length > 0 && options.closeRevoked) {
    await tx.query(
      `update badge_ownership o set to_block = t.revoked_block
         from badge_tokens t
        where t.token_id = any($1::numeric[]) and o.token_id = t.token_id and o.to_block is null
          and t.revoked_block is not null and o.from_block <= t.revoked_block`,
      [mints.map((e) => e.tokenId.toString())],
    );
  }

  await options.beforeUpdates?.();
  if (revokes.length > 0) {
    const tokenIds = revokes.map((e) => e.tokenId.toString());
    const blocks = revokes.map((e) => e.blockNumber.toString());
    await tx.query(
      `update badge_tokens t set owner = null, revoked_block = x.b, updated_at = now()
         from unnest($1::numeric[], $2::bigint[]) as x(tok, b)
        where t.token_id = x.tok`,
      [tokenIds, blocks],
    );
    await tx.query(
      `update badge_ownership o set to_block = x.b
         from unnest($1::numeric[], $2::bigint[]) as x(tok, b)
        where o.token_id = x.tok and o.to_block is null and o.from_block <= x.b`,
      [tokenIds, blocks],
    );
  }
  return holders;
}

/**
 * COPYs the events, and the tokens and ownership rows of the mints, in (text format: numbers and our
 * names go in as they are; hashes and holders, which come from the node, through copyField, so a
 * malformed answer cannot add a column or a row). Returns false, with the savepoint rolled back,
 * when a row was there already (then the caller upserts).
 */
async function copyFresh(tx: Transaction, events: readonly BadgeEvent[]): Promise<boolean> {
  // Rows gathered in arrays and joined: one flat string per table (a string grown by += is a
  // rope that costs more to flatten than to build).
  const eventRows = new Array<string>(events.length);
  const tokenRows: string[] = [];
  const ownershipRows: string[] = [];
  let lastBlock: bigint | undefined;
  let block = '';
  let lastTime: bigint | undefined | null = null;
  let time = '';
  let lastBlockHash: string | undefined;
  let blockHash = '';
  let lastTx: string | undefined;
  let txHash = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    // Events come in chain order: a block's number, time and hash, and a transaction's hash, are
    // written once for their run of events.
    if (e.blockNumber !== lastBlock) {
      lastBlock = e.blockNumber;
      block = e.blockNumber.toString();
    }
    if (e.blockTimestamp !== lastTime) {
      lastTime = e.blockTimestamp;
      time = e.blockTimestamp === undefined ? '\\N' : new Date(Number(e.blockTimestamp) * 1000).toISOString();
    }
    if (e.blockHash !== lastBlockHash) {
      lastBlockHash = e.blockHash;
      blockHash = copyField(e.blockHash);
    }
    if (e.txHash !== lastTx) {
      lastTx = e.txHash;
      txHash = copyField(e.txHash);
    }
    const holder = copyField(e.holder);
    const token = e.tokenId.toString();
    const key = e.achievementKey.toString();
    const minted = e.event === 'BadgeMinted';
    eventRows[i] =
      `${block}\t${blockHash}\t${txHash}\t${e.logIndex}\t${e.event}\t{"tokenId": "${token}", "${minted ? 'to' : 'owner'}": "${holder}", "achievementId": "${key}"}\t${time}\n`;
    if (!minted) continue;
    tokenRows.push(`${token}\t${key}\t${holder}\t${block}\t${txHash}\n`);
    ownershipRows.push(`${token}\t${holder}\t${block}\t${txHash}\t${e.logIndex}\t${blockHash}\n`);
  }
  await tx.query('savepoint cb_apply_fresh');
  try {
    await tx.copyIn(
      'chain_events',
      ['block_number', 'block_hash', 'tx_hash', 'log_index', 'event', 'args', 'block_timestamp'],
      eventRows.join(''),
    );
    if (tokenRows.length > 0) {
      await tx.copyIn(
        'badge_tokens',
        ['token_id', 'achievement_key', 'owner', 'minted_block', 'minted_tx'],
        tokenRows.join(''),
      );
      await tx.copyIn(
        'badge_ownership',
        ['token_id', 'owner', 'from_block', 'tx_hash', 'log_index', 'block_hash'],
        ownershipRows.join(''),
      );
    }
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    await tx.query('rollback to savepoint cb_apply_fresh');
    return false;
  }
}

/** The idempotent path: every table upserted in one statement, its arrays sent once. */
async function upsert(tx: Queryable, events: readonly BadgeEvent[]): Promise<void> {
  const n = events.length;
  const blocks = new Array<string>(n);
  const blockHashes = new Array<string>(n);
  const txs = new Array<string>(n);
  const logIndexes = new Array<number>(n);
  const names = new Array<string>(n);
  const tokenIds = new Array<string>(n);
  const owners = new Array<string>(n);
  const keys = new Array<string>(n);
  const times = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    blocks[i] = e.blockNumber.toString();
    blockHashes[i] = e.blockHash;
    txs[i] = e.txHash;
    logIndexes[i] = e.logIndex;
    names[i] = e.event;
    tokenIds[i] = e.tokenId.toString();
    owners[i] = e.holder;
    keys[i] = e.achievementKey.toString();
    times[i] = e.blockTimestamp === undefined ? null : Number(e.blockTimestamp);
  }
  // Hex, addresses and decimals: array literals (see arrayLiteral), each sent once for all three tables.
  await tx.query(
    UPSERT,
    [blocks, blockHashes, txs, logIndexes, names, tokenIds, owners, keys, times].map(arrayLiteral),
  );
}
