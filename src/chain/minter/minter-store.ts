/**
 * The minter's SQL: the outbox rows it consumes (ach_mint_outbox), its transactions (mint_txs, one
 * row per nonce of the sender) and its lease (chain_minter_lease). Every state change of a request
 * and of its transaction happens in one database transaction, so the two never disagree.
 */
import type { Db } from '../../platform/db/create-db.ts';

/** A mint request as the minter reads it from the outbox. */
export interface OutboxRow {
  id: string;
  userAddress: string;
  achievementId: string;
  attempts: number;
  traceparent: string | null;
}

/** A mint transaction not yet final (`submitted` or `mined`). */
export interface OpenTx {
  nonce: number;
  txHash: `0x${string}`;
  previousHashes: `0x${string}`[];
  outboxIds: string[];
  status: 'submitted' | 'mined';
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  rawTx: `0x${string}` | null;
  minedBlock: bigint | null;
  /** Milliseconds since the current hash was last broadcast (database clock). */
  sentAgeMs: number;
}

/** A row the minter finished (confirmed or failed), for its log line. */
export interface FinishedRow extends OutboxRow {
  /** Milliseconds from the unlock (outbox row created) to now. */
  ageMs: number;
}

/** What the minter's gauges show (see counts()). */
export interface MinterCounts {
  requests: number;
  txs: number;
  /** Seconds the next pending request has waited since it was queued; 0 when none is pending. */
  nextRequestAge: number;
  /** Seconds since the oldest open transaction was first sent; 0 when none is open. */
  oldestTxAge: number;
}

export interface NewTx {
  nonce: number;
  txHash: `0x${string}`;
  rawTx: `0x${string}`;
  outboxIds: readonly string[];
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** A request going back to `pending`, or to `failed` when it used up its attempts. */
export interface ReleasedRows {
  pending: string[];
  failed: FinishedRow[];
}

class NotPending extends Error {}

/** Inside a transaction: holds this sender's lease row locked, so no other holder can record meanwhile. */
const HOLDS_LEASE = `select 1 from chain_minter_lease
                      where account = $1 and holder = $2 and expires_at > now() for update`;

const ROW_COLUMNS = `id::text as id, user_address, achievement_id, attempts, traceparent`;

interface RawRow {
  id: string;
  user_address: string;
  achievement_id: string;
  attempts: number;
  traceparent: string | null;
  age_ms?: number;
}

const toRow = (r: RawRow): OutboxRow => ({
  id: r.id,
  userAddress: r.user_address,
  achievementId: r.achievement_id,
  attempts: r.attempts,
  traceparent: r.traceparent,
});
const toFinished = (r: RawRow): FinishedRow => ({ ...toRow(r), ageMs: Math.round(r.age_ms ?? 0) });

const AGE_MS = `(extract(epoch from now() - created_at) * 1000)::float8 as age_ms`;

export type MinterStore = ReturnType<typeof createMinterStore>;

/** The statements of one minter account (`from` = its address, lower-case). */
export function createMinterStore(db: Db, from: string) {
  return {
    /** Oldest pending requests, at most `limit`. */
    async pendingRows(limit: number): Promise<OutboxRow[]> {
      const { rows } = await db.query<RawRow>(
        `select ${ROW_COLUMNS} from ach_mint_outbox where status = 'pending' order by ach_mint_outbox.id limit $1`,
        [limit],
      );
      return rows.map(toRow);
    },

    /**
     * Requests whose member already holds a live badge of that achievement, as the listener has
     * indexed it (`badge_tokens`), are `confirmed` with that token instead of minted again — a
     * soulbound badge must not be minted twice. It happens when an unlock is recorded again after
     * its mint: a database restored from a backup older than the mint, whose events were sent again.
     * Returns the ids confirmed, with their tokens.
     */
    async confirmAlreadyMinted(
      items: readonly { id: string; holder: string; achievementKey: bigint }[],
    ): Promise<{ id: string; tokenId: string }[]> {
      if (items.length === 0) return [];
      const { rows } = await db.query<{ id: string; token_id: string }>(
        `update ach_mint_outbox o
            set status = 'confirmed', token_id = t.token_id, tx_hash = t.minted_tx, block_number = t.minted_block,
                error = null, updated_at = now()
           from unnest($1::bigint[], $2::text[], $3::numeric[]) as v(id, holder, ach)
           join lateral (select token_id, minted_tx, minted_block from badge_tokens b
                          where b.owner = v.holder and b.achievement_key = v.ach
                          order by b.token_id limit 1) t on true
          where o.id = v.id and o.status = 'pending'
          returning o.id::text as id, t.token_id::text as token_id`,
        [items.map((i) => i.id), items.map((i) => i.holder), items.map((i) => i.achievementKey.toString())],
      );
      return rows.map((r) => ({ id: r.id, tokenId: r.token_id }));
    },

    /** Marks requests `failed` with their reason (from `pending` only); returns the rows it changed. */
    async deadLetter(items: readonly { id: string; reason: string }[]): Promise<FinishedRow[]> {
      if (items.length === 0) return [];
      const { rows } = await db.query<RawRow>(
        `update ach_mint_outbox o set status = 'failed', error = v.reason, updated_at = now()
           from unnest($1::bigint[], $2::text[]) as v(id, reason)
          where o.id = v.id and o.status = 'pending'
          returning o.id::text as id, o.user_address, o.achievement_id, o.attempts, o.traceparent,
                    (extract(epoch from now() - o.created_at) * 1000)::float8 as age_ms`,
        [items.map((i) => i.id), items.map((i) => i.reason)],
      );
      return rows.map(toFinished);
    },

    /**
     * Records a signed transaction BEFORE it is broadcast: the mint_txs row and its requests
     * `submitted` with hash and nonce, in one transaction. False (and nothing written) when a
     * request is no longer pending or the lease was lost — then the transaction must not be sent.
     */
    async recordTx(holder: string, tx: NewTx): Promise<boolean> {
      try {
        await db.transaction(async (q) => {
          if ((await q.query(HOLDS_LEASE, [from, holder])).rows.length !== 1) throw new NotPending();
          const updated = await q.query(
            `update ach_mint_outbox
                set status = 'submitted', tx_hash = $2, nonce = $3, attempts = attempts + 1, error = null,
                    updated_at = now()
              where id = any($1::bigint[]) and status = 'pending'`,
            [tx.outboxIds, tx.txHash, tx.nonce.toString()],
          );
          if (updated.rowCount !== tx.outboxIds.length) throw new NotPending();
          await q.query(
            `insert into mint_txs (from_address, nonce, tx_hash, outbox_ids, status, max_fee_per_gas,
                                   max_priority_fee_per_gas, raw_tx)
             values ($1, $2, $3, $4::bigint[], 'submitted', $5, $6, $7)`,
            [
              from,
              tx.nonce.toString(),
              tx.txHash,
              tx.outboxIds,
              tx.maxFeePerGas.toString(),
              tx.maxPriorityFeePerGas.toString(),
              tx.rawTx,
            ],
          );
        });
        return true;
      } catch (err) {
        if (err instanceof NotPending) return false;
        throw err;
      }
    },

    /**
     * Replaces the current hash of a transaction (same nonce), BEFORE the replacement is broadcast:
     * the old hash joins previous_hashes (any of them may be the one mined). False when the lease
     * was lost or the transaction changed meanwhile.
     */
    async recordReplacement(
      holder: string,
      tx: OpenTx,
      next: {
        txHash: `0x${string}`;
        rawTx: `0x${string}`;
        maxFeePerGas: bigint;
        maxPriorityFeePerGas: bigint;
      },
    ): Promise<boolean> {
      return db.transaction(async (q) => {
        if ((await q.query(HOLDS_LEASE, [from, holder])).rows.length !== 1) return false;
        const updated = await q.query(
          `update mint_txs
              set previous_hashes = previous_hashes || tx_hash, tx_hash = $3, raw_tx = $4,
                  max_fee_per_gas = $5, max_priority_fee_per_gas = $6, last_sent_at = now()
            where from_address = $1 and nonce = $2 and tx_hash = $7 and status in ('submitted', 'mined')`,
          [
            from,
            tx.nonce.toString(),
            next.txHash,
            next.rawTx,
            next.maxFeePerGas.toString(),
            next.maxPriorityFeePerGas.toString(),
            tx.txHash,
          ],
        );
        if (updated.rowCount !== 1) return false;
        await q.query(
          `update ach_mint_outbox set tx_hash = $2, updated_at = now()
            where id = any($1::bigint[]) and status = 'submitted'`,
          [tx.outboxIds, next.txHash],
        );
        return true;
      });
    },

    /** Restarts the replacement clock (the same bytes were broadcast again). */
    async touchSent(nonce: number): Promise<void> {
      await db.query(`update mint_txs set last_sent_at = now() where from_address = $1 and nonce = $2`, [
        from,
        nonce.toString(),
      ]);
    },

    /** Transactions of this sender not final yet, lowest nonce first. */
    async openTxs(): Promise<OpenTx[]> {
      const { rows } = await db.query<{
        nonce: string;
        tx_hash: `0x${string}`;
        previous_hashes: `0x${string}`[];
        outbox_ids: string[];
        status: 'submitted' | 'mined';
        max_fee_per_gas: string;
        max_priority_fee_per_gas: string;
        raw_tx: `0x${string}` | null;
        mined_block: string | null;
        sent_age_ms: number;
      }>(
        `select nonce::text, tx_hash, previous_hashes, outbox_ids::text[] as outbox_ids, status,
                max_fee_per_gas::text, max_priority_fee_per_gas::text, raw_tx, mined_block::text,
                (extract(epoch from now() - last_sent_at) * 1000)::float8 as sent_age_ms
           from mint_txs where from_address = $1 and status in ('submitted', 'mined') order by mint_txs.nonce`,
        [from],
      );
      return rows.map((r) => ({
        nonce: Number(r.nonce),
        txHash: r.tx_hash,
        previousHashes: r.previous_hashes,
        outboxIds: r.outbox_ids,
        status: r.status,
        maxFeePerGas: BigInt(r.max_fee_per_gas),
        maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
        rawTx: r.raw_tx,
        minedBlock: r.mined_block === null ? null : BigInt(r.mined_block),
        sentAgeMs: r.sent_age_ms,
      }));
    },

    /** Highest nonce this sender recorded (any status), or undefined. */
    async maxNonce(): Promise<number | undefined> {
      const { rows } = await db.query<{ n: string | null }>(
        `select max(nonce)::text as n from mint_txs where from_address = $1`,
        [from],
      );
      const n = rows[0]?.n;
      return n === null || n === undefined ? undefined : Number(n);
    },

    /** Highest nonce of a final (confirmed or failed) transaction, or undefined. */
    async maxFinalNonce(): Promise<number | undefined> {
      const { rows } = await db.query<{ n: string | null }>(
        `select max(nonce)::text as n from mint_txs where from_address = $1 and status in ('confirmed', 'failed')`,
        [from],
      );
      const n = rows[0]?.n;
      return n === null || n === undefined ? undefined : Number(n);
    },

    /** A receipt was seen (not yet deep enough): status `mined` at `block`. */
    async markMined(nonce: number, block: bigint): Promise<void> {
      await db.query(
        `update mint_txs set status = 'mined', mined_block = $3
          where from_address = $1 and nonce = $2 and status in ('submitted', 'mined')`,
        [from, nonce.toString(), block.toString()],
      );
    },

    /** The receipt disappeared (reorg): back to `submitted`. */
    async markUnmined(nonce: number): Promise<void> {
      await db.query(
        `update mint_txs set status = 'submitted', mined_block = null
          where from_address = $1 and nonce = $2 and status = 'mined'`,
        [from, nonce.toString()],
      );
    },

    /**
     * The transaction is deep enough: its requests `confirmed` with token ids, block and the hash
     * that was mined; the transaction `confirmed`. The listener may have confirmed some requests
     * first (from the BadgeMinted logs): they are left as they are. Returns the seconds from first
     * submission to now.
     */
    async confirmTx(
      tx: OpenTx,
      mined: { txHash: `0x${string}`; blockNumber: bigint; tokenIds: readonly bigint[] },
    ): Promise<{ submittedSeconds: number }> {
      return db.transaction(async (q) => {
        await q.query(
          `update ach_mint_outbox o
              set status = 'confirmed', token_id = v.token_id, tx_hash = $3, block_number = $4, error = null,
                  updated_at = now()
             from unnest($1::bigint[], $2::numeric[]) as v(id, token_id)
            where o.id = v.id and o.status <> 'confirmed'`,
          [tx.outboxIds, mined.tokenIds.map(String), mined.txHash, mined.blockNumber.toString()],
        );
        const t = await q.query<{ seconds: number }>(
          `update mint_txs
              set status = 'confirmed', previous_hashes = array_remove(previous_hashes || tx_hash, $3),
                  tx_hash = $3, mined_block = $4, confirmed_at = now(), error = null
            where from_address = $1 and nonce = $2
            returning extract(epoch from now() - submitted_at)::float8 as seconds`,
          [from, tx.nonce.toString(), mined.txHash, mined.blockNumber.toString()],
        );
        return { submittedSeconds: t.rows[0]?.seconds ?? 0 };
      });
    },

    /**
     * The transaction failed for good (reverted, or its nonce was used by another transaction):
     * `failed` with `error`; its requests go back to `pending` for another transaction, or to
     * `failed` with `error` once they used `maxAttempts` transactions.
     */
    async failTx(tx: OpenTx, error: string, maxAttempts: number, minedBlock?: bigint): Promise<ReleasedRows> {
      return db.transaction(async (q) => {
        await q.query(
          `update mint_txs set status = 'failed', error = $3, mined_block = coalesce($4::bigint, mined_block)
            where from_address = $1 and nonce = $2`,
          [from, tx.nonce.toString(), error, minedBlock === undefined ? null : minedBlock.toString()],
        );
        const { rows } = await q.query<RawRow & { status: string }>(
          `update ach_mint_outbox
              set status = case when attempts >= $2 then 'failed' else 'pending' end,
                  error = case when attempts >= $2 then $3 else null end,
                  tx_hash = case when attempts >= $2 then tx_hash else null end,
                  nonce = case when attempts >= $2 then nonce else null end,
                  updated_at = now()
            where id = any($1::bigint[]) and status = 'submitted'
            returning id::text as id, user_address, achievement_id, attempts, traceparent, status, ${AGE_MS}`,
          [tx.outboxIds, maxAttempts, `${error} (after ${maxAttempts} attempts)`],
        );
        return {
          pending: rows.filter((r) => r.status === 'pending').map((r) => r.id),
          failed: rows.filter((r) => r.status === 'failed').map(toFinished),
        };
      });
    },

    /** Requests of a transaction in its recorded order, for decoding its receipt and logging. */
    async rowsOf(ids: readonly string[]): Promise<FinishedRow[]> {
      const { rows } = await db.query<RawRow>(
        `select ${ROW_COLUMNS}, ${AGE_MS} from ach_mint_outbox where id = any($1::bigint[])`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, toFinished(r)]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },

    /**
     * For the gauges: requests not final (pending + submitted) and transactions not final, with the
     * age in seconds (0 when none) of the request next in line — the lowest pending id, which the
     * minter takes first, since it was queued or re-queued (its updated_at) — and of the oldest open
     * transaction since it was first sent. Both read one row through a partial or primary index.
     */
    async counts(): Promise<MinterCounts> {
      const { rows } = await db.query<MinterCounts>(
        `select (select count(*) from ach_mint_outbox where status in ('pending', 'submitted'))::int as requests,
                (select count(*) from mint_txs where from_address = $1 and status in ('submitted', 'mined'))::int as txs,
                coalesce((select extract(epoch from now() - updated_at) from ach_mint_outbox
                           where status = 'pending' order by id limit 1), 0)::float8 as "nextRequestAge",
                coalesce((select extract(epoch from now() - min(submitted_at)) from mint_txs
                           where from_address = $1 and status in ('submitted', 'mined')), 0)::float8 as "oldestTxAge"`,
        [from],
      );
      return rows[0] ?? { requests: 0, txs: 0, nextRequestAge: 0, oldestTxAge: 0 };
    },

    /** Takes or renews this sender's lease for `holder`; false while another holder's lease runs. */
    async acquireLease(holder: string, ttlMs: number): Promise<boolean> {
      const { rows } = await db.query<{ holder: string }>(
        `insert into chain_minter_lease as l (account, holder, expires_at)
         values ($1, $2, now() + $3 * interval '1 millisecond')
         on conflict (account) do update
            set holder = excluded.holder, expires_at = excluded.expires_at,
                acquired_at = case when l.holder = excluded.holder then l.acquired_at else now() end
          where l.holder = excluded.holder or l.expires_at < now()
         returning holder`,
        [from, holder, ttlMs],
      );
      return rows[0]?.holder === holder;
    },

    /** Gives the lease up (at stop) so another instance takes over at once. */
    async releaseLease(holder: string): Promise<void> {
      await db.query(`delete from chain_minter_lease where account = $1 and holder = $2`, [from, holder]);
    },
  };
}
