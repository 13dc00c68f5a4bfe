/**
 * Operators' view of the chain plane, and one action (the console's Chain page reads these):
 *
 * - `GET /v1/ops/chain` (`ops:read`): what this database follows (chain id, badge contract, dev
 *   chain or not — `chain_identity`), where the listener is (applied and finalized block, when it
 *   last moved — `chain_checkpoints`), the mint requests still open (pending, submitted, the age of
 *   the oldest) and dead-lettered, the minter's open transactions; and, from this instance's
 *   memory, its listener (head, lag, chunk size, last error), its minter (account, sender lease,
 *   next nonce, waiting for fees, last error) and its RPC endpoints (the pool's health: up, circuit,
 *   latency, error rate, head, lag, last error — never a URL). `null` where this instance does not
 *   run that part (no chain module: an `api` instance without RPC_URLS; no minter: no key, or a
 *   role that works no jobs), `running: false` for a listener it built but does not run (its role).
 * - `GET /v1/ops/mints/failed?limit&offset` (`ops:read`): dead-lettered mint requests, most recent
 *   first, with the reason and attempts.
 * - `POST /v1/ops/mints/:id/retry` (`ops:write`): a dead-lettered request back to `pending` with
 *   fresh attempts (after fixing its cause: funds, role, a paused contract…); the minter picks it up
 *   on its next tick. 404 `CHAIN_MINT_NOT_FOUND`, 409 `CHAIN_MINT_NOT_FAILED` (it is not failed:
 *   its current status is in the details).
 * - `POST /v1/ops/mints/failed/retry` (`ops:write`) `{ failedBefore? }`: all of them at once — those
 *   that failed at or before `failedBefore` (default now), so what failed after the operator looked
 *   stays put → `{ retried }`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { optionalBody } from '../../api/optional-body.ts';
import type { Queryable } from '../../platform/db/create-db.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Listener } from '../listener/index.ts';
import type { Minter } from '../minter/index.ts';
import { readReconcileRuns } from '../reconcile/reconcile-runs.ts';
import type { RpcPool } from '../rpc/index.ts';
import type { ChainStatusShape, FailedMintPageShape } from './chain-status-shape.ts';
import { BACK_TO_PENDING, retryFailedMints } from './retry-failed-mints.ts';

export interface ChainOpsRoutesDeps {
  db: Queryable;
  logger: Logger;
  /** What this instance runs of the chain module (none: no chain module here). */
  chain?:
    | {
        listener?: Pick<Listener, 'status'> | undefined;
        minter?: Pick<Minter, 'status'> | undefined;
        pool?: Pick<RpcPool, 'health'> | undefined;
      }
    | undefined;
}

const text = (value: bigint | number | undefined | null): string | null =>
  value === undefined || value === null ? null : value.toString();
const iso = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : new Date(value).toISOString();

const FailedMint = Type.Object(
  {
    id: Type.String(),
    user: Type.String({ description: 'The holder the badge is for (lower case).' }),
    achievementId: Type.String(),
    error: Type.Union([Type.String(), Type.Null()], { description: 'Why it was dead-lettered.' }),
    attempts: Type.Integer(),
    txHash: Type.Union([Type.String(), Type.Null()], {
      description: 'The last transaction it was in, if any.',
    }),
    createdAt: Type.String(),
    failedAt: Type.String(),
  },
  { title: 'FailedMint' },
);

export function chainOpsRoutes(deps: ChainOpsRoutesDeps): FastifyPluginAsync {
  const { db } = deps;
  return async (app) => {
    app.get(
      '/v1/ops/chain',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            "The chain plane: identity, the listener's checkpoint, open and failed mints, open transactions; this instance's listener, minter and RPC endpoints.",
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        return chainStatus(deps);
      },
    );

    app.get(
      '/v1/ops/mints/failed',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary: 'Dead-lettered mint requests, most recent first, with the reason.',
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(FailedMint),
              total: Type.Integer(),
              limit: Type.Integer(),
              offset: Type.Integer(),
            }),
          },
        },
      },
      async (request, reply) => {
        const { limit = 50, offset = 0 } = request.query as { limit?: number; offset?: number };
        const [{ rows }, count] = await Promise.all([
          db.query<{
            id: string;
            user_address: string;
            achievement_id: string;
            error: string | null;
            attempts: number;
            tx_hash: string | null;
            created_at: Date;
            updated_at: Date;
          }>(
            `select id::text as id, user_address, achievement_id, error, attempts, tx_hash, created_at, updated_at
               from ach_mint_outbox where status = 'failed'
              order by updated_at desc, id desc limit $1 offset $2`,
            [limit, offset],
          ),
          db.query<{ n: number }>(`select count(*)::int as n from ach_mint_outbox where status = 'failed'`),
        ]);
        reply.header('cache-control', 'no-store');
        const page: FailedMintPageShape = {
          items: rows.map((r) => ({
            id: r.id,
            user: r.user_address,
            achievementId: r.achievement_id,
            error: r.error,
            attempts: r.attempts,
            txHash: r.tx_hash,
            createdAt: iso(r.created_at)!,
            failedAt: iso(r.updated_at)!,
          })),
          total: count.rows[0]!.n,
          limit,
          offset,
        };
        return page;
      },
    );

    app.post(
      '/v1/ops/mints/:id/retry',
      {
        config: { scope: 'ops:write' },
        schema: {
          tags: ['ops'],
          summary: 'Send a dead-lettered mint request again: back to pending, with fresh attempts.',
          params: Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,17}$' }) }),
          response: { 200: Type.Object({ id: Type.String(), status: Type.Literal('pending') }) },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { rows } = await db.query<{
          user_address: string;
          achievement_id: string;
          error: string | null;
        }>(
          `with old as (select id, error from ach_mint_outbox where id = $1 and status = 'failed' for update)
           update ach_mint_outbox o set ${BACK_TO_PENDING}
             from old where o.id = old.id
           returning o.user_address, o.achievement_id, old.error`,
          [id],
        );
        const retried = rows[0];
        if (!retried) {
          const found = await db.query<{ status: string }>(
            'select status from ach_mint_outbox where id = $1',
            [id],
          );
          const status = found.rows[0]?.status;
          if (status === undefined)
            throw new NotFoundError(`no mint request ${id}`, 'CHAIN_MINT_NOT_FOUND', { id });
          throw new ConflictError('CHAIN_MINT_NOT_FAILED', `mint request ${id} is ${status}, not failed`, {
            details: { id, status },
          });
        }
        deps.logger.info('dead-lettered mint request retried', {
          context: {
            outboxId: id,
            user: retried.user_address,
            achievementId: retried.achievement_id,
            previousError: retried.error,
            keyName: request.apiKey?.name,
          },
        });
        return { id, status: 'pending' as const };
      },
    );

    app.post(
      '/v1/ops/mints/failed/retry',
      {
        config: { scope: 'ops:write' },
        schema: {
          tags: ['ops'],
          summary:
            'Send every dead-lettered mint request again (those failed at or before failedBefore, default now): back to pending, with fresh attempts.',
          response: { 200: Type.Object({ retried: Type.Integer() }) },
        },
      },
      async (request) => {
        // failedBefore is usually a failedAt the operator was shown (milliseconds): compared as such.
        const { failedBefore } = optionalBody<{ failedBefore?: string }>(request, RetryAllBody);
        if (failedBefore !== undefined && Number.isNaN(Date.parse(failedBefore)))
          throw new ValidationError('invalid request: body.failedBefore is not a date-time', [
            { path: 'body.failedBefore', message: 'an ISO 8601 date-time, e.g. 2026-11-27T10:00:00Z' },
          ]);
        const retried = await retryFailedMints(db, { failedBefore });
        deps.logger.info('dead-lettered mint requests retried', {
          context: { failedBefore: failedBefore ?? 'now', keyName: request.apiKey?.name },
          metrics: { retried },
        });
        return { retried };
      },
    );
  };
}

/** `POST /v1/ops/mints/failed/retry`'s body, which may be left out. */
const RetryAllBody = Type.Object(
  { failedBefore: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
);

/** The body of `GET /v1/ops/chain`. */
export async function chainStatus(deps: ChainOpsRoutesDeps): Promise<ChainStatusShape> {
  const { db, chain } = deps;
  const [identity, checkpoint, outbox, failed, txs] = await Promise.all([
    db.query<{ chain_id: string; badge_address: string; dev: boolean; recorded_at: Date }>(
      'select chain_id::text as chain_id, badge_address, dev, recorded_at from chain_identity',
    ),
    db.query<{
      contract: string;
      block_number: string;
      block_hash: string | null;
      finalized_block: string | null;
      updated_at: Date;
    }>(
      `select contract, block_number::text as block_number, block_hash, finalized_block::text as finalized_block, updated_at
         from chain_checkpoints order by contract`,
    ),
    // Open and failed requests in two queries, each on its partial index (ach_mint_outbox_open,
    // ach_mint_outbox_failed): one query over the three statuses scans the whole table instead
    // (300,000 rows: 0.3 + 0.3 ms against 23 ms).
    db.query<{ pending: number; submitted: number; oldest: Date | null }>(
      `select count(*) filter (where status = 'pending')::int as pending,
              count(*) filter (where status = 'submitted')::int as submitted, min(created_at) as oldest
         from ach_mint_outbox where status in ('pending', 'submitted')`,
    ),
    db.query<{ n: number; latest: Date | null }>(
      `select count(*)::int as n, max(updated_at) as latest from ach_mint_outbox where status = 'failed'`,
    ),
    db.query<{ n: number; oldest: Date | null; replaced: number }>(
      `select count(*)::int as n, min(submitted_at) as oldest,
              coalesce(sum(cardinality(previous_hashes)), 0)::int as replaced
         from mint_txs where status in ('submitted', 'mined')`,
    ),
  ]);
  const open = outbox.rows[0]!;
  const id = identity.rows[0];
  // The recorded contract; before a start recorded it (a database a command filled), the listener's.
  const contract = id?.badge_address ?? checkpoint.rows[0]?.contract;
  const [reconciliation] = contract ? await readReconcileRuns(db, contract, 1) : [];
  const listener = chain?.listener?.status();
  const minter = chain?.minter?.status();
  return {
    identity: id
      ? {
          chainId: Number(id.chain_id),
          badgeAddress: id.badge_address,
          dev: id.dev,
          recordedAt: iso(id.recorded_at),
        }
      : null,
    checkpoints: checkpoint.rows.map((r) => ({
      contract: r.contract,
      appliedBlock: r.block_number,
      appliedHash: r.block_hash,
      finalizedBlock: r.finalized_block,
      updatedAt: iso(r.updated_at),
    })),
    mints: {
      pending: open.pending,
      submitted: open.submitted,
      oldestOpenAt: iso(open.oldest),
      failed: failed.rows[0]!.n,
      lastFailedAt: iso(failed.rows[0]!.latest),
    },
    transactions: {
      open: txs.rows[0]!.n,
      oldestSubmittedAt: iso(txs.rows[0]!.oldest),
      replacements: txs.rows[0]!.replaced,
    },
    reconciliation: reconciliation ?? null,
    instance: {
      listener: listener
        ? {
            running: listener.running,
            headBlock: text(listener.headBlock),
            processedBlock: text(listener.processedBlock),
            finalizedBlock: text(listener.finalizedBlock),
            lagBlocks:
              listener.headBlock !== undefined && listener.processedBlock !== undefined
                ? Number(listener.headBlock - listener.processedBlock)
                : null,
            chunkBlocks: listener.chunkBlocks,
            lastError: listener.lastError ?? null,
          }
        : null,
      minter: minter
        ? {
            account: minter.account,
            active: minter.active,
            nextNonce: minter.nextNonce ?? null,
            waitingForFees: minter.waitingForFees,
            lastTickAt: minter.lastTickAt ?? null,
            lastError: minter.lastError ?? null,
            balanceWei: text(minter.balanceWei),
            balanceAt: minter.balanceAt ?? null,
          }
        : null,
      rpc: chain?.pool ? chain.pool.health() : null,
    },
  };
}
