/**
 * `reconcileChain`: the database's badge records against the chain, the chain being the truth
 * (seed 5.2: 链上与链下数据同步 — 以链上数据为准). Compared at the listener's checkpoint block, so a
 * listener that is behind is not a difference:
 *
 * - every token id the contract ever issued (1 … nextTokenId − 1): `ownerOf` and `achievementOf`
 *   by eth_call at that block (a revert = revoked), against `badge_tokens`;
 *   `missing`: on chain, unknown to the database (or known revoked while the chain has a holder);
 *   `unexpected`: recorded as held but not on chain (never minted, or revoked on chain);
 *   `wrong_owner`, `wrong_achievement`;
 * - the ownership history: each held token has exactly one open `badge_ownership` row with its
 *   holder, a revoked one none, and no row without a token (`history`);
 * - the mint records: a confirmed `ach_mint_outbox` row must name a token the chain gives that
 *   holder for that achievement, and a request whose badge is on chain must be confirmed (`outbox`).
 *
 * `fix` repairs the database: each token with a difference is rebuilt from its own chain history
 * (its BadgeMinted/BadgeRevoked logs, read with the token id as topic filter) in one transaction
 * taken under the listener's locks; outbox rows are pointed at the token the chain shows, or
 * confirmed. A confirmed request with no badge on chain is reported, not changed (re-minting is
 * the minter's decision). Every change is listed.
 */
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex, numberToHex, pad } from 'viem';
import { chunks } from '../../platform/chunks.ts';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { achievementTokenId } from '../contracts/achievement-token-id.ts';
import {
  applyEvents,
  BADGE_TOPICS,
  type BadgeEvent,
  type ChainSyncContext,
  CheckpointMovedError,
  createLimiter,
  createSyncCore,
  lockAll,
  postFinalEvents,
  postFinalInputs,
  readCheckpoint,
  readRanges,
  type SyncCore,
} from '../listener/index.ts';

export interface ReconcileChainOptions {
  /** Repair the database. @defaultValue false */
  fix?: boolean | undefined;
  /**
   * Stops the run (the scheduled job's expiry, a shutdown): no further group of token reads is
   * sent and no repair starts; the run fails with the signal's reason.
   */
  signal?: AbortSignal | undefined;
  /**
   * Groups of {@link TOKENS_PER_GROUP} token reads in flight (each group: its `ownerOf` calls sent
   * together, then its `achievementOf` calls; over HTTP, one JSON-RPC batch each).
   * @defaultValue listenerConcurrency
   */
  concurrency?: number | undefined;
  /**
   * `fix` reads the history of the tokens it rebuilds from the chain: up to this many, with their
   * ids as an eth_getLogs topic filter (cheap for the node when few differ); more, in one pass over
   * every badge event, kept when their token is one of them (instead of one pass per 100 ids).
   * @defaultValue 100
   */
  tokenFilterMax?: number | undefined;
  /** Called as the chain is read: after each group of tokens, and after each range of `fix`'s history. */
  onProgress?: ((progress: ReconcileProgress) => void) | undefined;
}

/** How far the chain reads of a reconciliation got. */
export type ReconcileProgress =
  | {
      phase: 'tokens';
      /** Token ids read so far (ownerOf, and achievementOf of the held ones). */
      tokensRead: number;
      /** Token ids to read: every id the contract issued, 1 … nextTokenId − 1. */
      tokens: number;
    }
  | {
      /** `fix` reading the badge events of the tokens it rebuilds. */
      phase: 'history';
      /** Blocks fromBlock … doneBlock were read. */
      doneBlock: bigint;
      fromBlock: bigint;
      toBlock: bigint;
      /** Events of the tokens to rebuild found so far. */
      events: number;
    };

export type ChainDifference =
  | {
      kind: 'missing';
      tokenId: string;
      chain: { owner: string | null; achievementKey: string | null };
      db: { owner: string | null } | null;
    }
  | {
      kind: 'unexpected';
      tokenId: string;
      reason: 'never minted' | 'revoked on chain';
      db: { owner: string };
    }
  | { kind: 'wrong_owner'; tokenId: string; db: { owner: string | null }; chain: { owner: string } }
  | {
      kind: 'wrong_achievement';
      tokenId: string;
      db: { achievementKey: string };
      chain: { achievementKey: string };
    }
  | { kind: 'history'; tokenId: string; detail: string }
  | {
      kind: 'outbox';
      outboxId: string;
      user: string;
      achievementId: string;
      status: string;
      tokenId: string | null;
      detail: string;
    };

export interface ReconcileChainReport {
  contract: string;
  /** The block both sides were compared at (the listener's checkpoint, or the head before it ran). */
  block: bigint;
  nextTokenId: bigint;
  chainSupply: bigint;
  /** Held tokens in badge_tokens. */
  dbSupply: number;
  checkedTokens: number;
  differences: ChainDifference[];
  /** True when `fix` ran and every difference was repaired. */
  fixed: boolean;
  /** What `fix` changed, one line each. */
  changes: string[];
  /** Differences `fix` left alone (with why, in `detail`). */
  unfixed: ChainDifference[];
}

interface ChainToken {
  owner: string | null;
  achievementKey: bigint | null;
}

interface DbToken {
  owner: string | null;
  achievementKey: bigint;
}

/** Token reads sent together: the RPC pool's largest JSON-RPC batch over HTTP. */
const TOKENS_PER_GROUP = 100;

export async function reconcileChain(
  ctx: ChainSyncContext,
  options: ReconcileChainOptions = {},
): Promise<ReconcileChainReport> {
  const core = createSyncCore(ctx, 'chain-reconcile');
  const checkpoint = await readCheckpoint(core.db, core.contract);
  const block = checkpoint?.block ?? (await core.rpc.blockNumber());
  const limit = createLimiter(options.concurrency ?? core.options.concurrency);

  const nextTokenId = await readUint(core, 'nextTokenId', [], block);
  const chainSupply = await readUint(core, 'totalSupply', [], block);
  const ids: bigint[] = [];
  for (let id = 1n; id < nextTokenId; id++) ids.push(id);
  const chainTokens = new Map<bigint, ChainToken>();
  await Promise.all(
    chunks(ids, TOKENS_PER_GROUP).map((group) =>
      limit(async () => {
        options.signal?.throwIfAborted();
        const owners = await Promise.all(group.map((id) => readOwner(core, id, block)));
        const keys = await Promise.all(
          group.map((id, i) => (owners[i] === null ? null : readUint(core, 'achievementOf', [id], block))),
        );
        for (const [i, id] of group.entries())
          chainTokens.set(id, { owner: owners[i]!, achievementKey: keys[i]! });
        options.onProgress?.({ phase: 'tokens', tokensRead: chainTokens.size, tokens: ids.length });
      }),
    ),
  );

  const dbRows = await core.db.query<{ token_id: string; owner: string | null; key: string }>(
    'select token_id::text as token_id, owner, achievement_key::text as key from badge_tokens',
  );
  const dbTokens = new Map<bigint, DbToken>(
    dbRows.rows.map((r) => [BigInt(r.token_id), { owner: r.owner, achievementKey: BigInt(r.key) }]),
  );

  const differences: ChainDifference[] = [];
  for (const id of ids) {
    const c = chainTokens.get(id)!;
    const d = dbTokens.get(id);
    const tokenId = id.toString();
    if (c.owner !== null) {
      if (!d)
        differences.push({
          kind: 'missing',
          tokenId,
          chain: { owner: c.owner, achievementKey: String(c.achievementKey) },
          db: null,
        });
      else {
        if (d.owner === null)
          differences.push({
            kind: 'missing',
            tokenId,
            chain: { owner: c.owner, achievementKey: String(c.achievementKey) },
            db: { owner: null },
          });
        else if (d.owner !== c.owner)
          differences.push({
            kind: 'wrong_owner',
            tokenId,
            db: { owner: d.owner },
            chain: { owner: c.owner },
          });
        if (c.achievementKey !== null && d.achievementKey !== c.achievementKey)
          differences.push({
            kind: 'wrong_achievement',
            tokenId,
            db: { achievementKey: d.achievementKey.toString() },
            chain: { achievementKey: c.achievementKey.toString() },
          });
      }
    } else if (d?.owner)
      differences.push({ kind: 'unexpected', tokenId, reason: 'revoked on chain', db: { owner: d.owner } });
    else if (!d)
      differences.push({ kind: 'missing', tokenId, chain: { owner: null, achievementKey: null }, db: null });
  }
  for (const [id, d] of dbTokens) {
    if (id >= 1n && id < nextTokenId) continue;
    if (d.owner !== null)
      differences.push({
        kind: 'unexpected',
        tokenId: id.toString(),
        reason: 'never minted',
        db: { owner: d.owner },
      });
    else
      differences.push({
        kind: 'history',
        tokenId: id.toString(),
        detail: 'a revoked token the chain never minted',
      });
  }
  const tokenIssues = new Set(differences.map((d) => ('tokenId' in d ? d.tokenId : '')));
  for (const h of await historyProblems(core)) {
    if (!tokenIssues.has(h.tokenId)) differences.push(h);
    tokenIssues.add(h.tokenId);
  }
  differences.push(...(await outboxProblems(core, chainTokens)));

  const report: ReconcileChainReport = {
    contract: core.address,
    block,
    nextTokenId,
    chainSupply,
    dbSupply: [...dbTokens.values()].filter((d) => d.owner !== null).length,
    checkedTokens: ids.length,
    differences,
    fixed: false,
    changes: [],
    unfixed: [],
  };
  options.signal?.throwIfAborted();
  if (options.fix && differences.length > 0)
    await repair(core, report, chainTokens, checkpoint?.block, options);
  core.log.info('chain reconciliation', {
    context: { contract: core.address, block: block.toString(), fix: options.fix === true },
    metrics: {
      differences: differences.length,
      changes: report.changes.length,
      unfixed: report.unfixed.length,
    },
  });
  return report;
}

async function readUint(
  core: SyncCore,
  fn: 'nextTokenId' | 'totalSupply' | 'achievementOf',
  args: bigint[],
  block: bigint,
) {
  const data = encodeFunctionData({ abi: achievementBadgeAbi, functionName: fn, args } as never);
  const out = await core.rpc.call(core.address, data, block);
  return decodeFunctionResult({ abi: achievementBadgeAbi, functionName: fn, data: out } as never) as bigint;
}

/** The holder of `id` at `block` (lower case), or null when the token does not exist (the call reverts). */
async function readOwner(core: SyncCore, id: bigint, block: bigint): Promise<string | null> {
  const data = encodeFunctionData({ abi: achievementBadgeAbi, functionName: 'ownerOf', args: [id] });
  try {
    const out = await core.rpc.call(core.address, data, block);
    const owner = decodeFunctionResult({
      abi: achievementBadgeAbi,
      functionName: 'ownerOf',
      data: out,
    }) as Address;
    return owner.toLowerCase();
  } catch (err) {
    if (isRevert(err)) return null;
    throw err;
  }
}

/** ERC721NonexistentToken(uint256) selector. */
const NONEXISTENT = '0x7e273289';

function isRevert(error: unknown): boolean {
  let e: unknown = error;
  const seen = new Set<unknown>();
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, data, message } = e as { code?: unknown; data?: unknown; message?: unknown };
    if (code === 3) return true;
    const raw = typeof data === 'string' ? data : (data as { data?: unknown } | undefined)?.data;
    if (typeof raw === 'string' && raw.startsWith(NONEXISTENT)) return true;
    if (typeof code === 'number' && typeof message === 'string' && /revert/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Held tokens without exactly one open row of their holder; revoked ones with an open row; rows without a token. */
async function historyProblems(core: SyncCore): Promise<ChainDifference[]> {
  const { rows } = await core.db.query<{ token_id: string; detail: string }>(
    `select t.token_id::text as token_id,
            case when t.owner is null then 'revoked, but an ownership row is still open'
                 when o.n is null then 'held, but no open ownership row'
                 when o.n > 1 then 'held, but ' || o.n || ' open ownership rows'
                 else 'held by ' || t.owner || ', but the open ownership row names ' || o.owner end as detail
       from badge_tokens t
       left join (select token_id, count(*) as n, min(owner) as owner from badge_ownership
                   where to_block is null group by token_id) o on o.token_id = t.token_id
      where (t.owner is null and o.n is not null)
         or (t.owner is not null and (o.n is null or o.n <> 1 or o.owner <> t.owner))
     union all
     select distinct o.token_id::text, 'ownership rows of a token badge_tokens does not have'
       from badge_ownership o where not exists (select 1 from badge_tokens t where t.token_id = o.token_id)`,
  );
  return rows.map((r) => ({ kind: 'history' as const, tokenId: r.token_id, detail: r.detail }));
}

interface OutboxRow {
  id: string;
  user_address: string;
  achievement_id: string;
  status: string;
  token_id: string | null;
}

/** Confirmed requests whose token is not theirs on chain; unconfirmed ones whose badge is on chain. */
async function outboxProblems(
  core: SyncCore,
  chain: ReadonlyMap<bigint, ChainToken>,
): Promise<ChainDifference[]> {
  const { rows } = await core.db.query<OutboxRow>(
    `select id::text as id, user_address, achievement_id, status, token_id::text as token_id
       from ach_mint_outbox order by ach_mint_outbox.id`,
  );
  if (rows.length === 0) return [];
  const held = heldIndex(chain);
  const out: ChainDifference[] = [];
  for (const r of rows) {
    const key = achievementTokenId(r.achievement_id);
    const onChain = held.get(`${r.user_address.toLowerCase()}:${key}`);
    const base = {
      kind: 'outbox' as const,
      outboxId: r.id,
      user: r.user_address,
      achievementId: r.achievement_id,
      status: r.status,
      tokenId: r.token_id,
    };
    if (r.status === 'confirmed') {
      if (r.token_id === null) {
        if (onChain === undefined)
          out.push({ ...base, detail: 'confirmed without a token, and the chain has no such badge' });
        else out.push({ ...base, detail: `confirmed without a token; the chain has token ${onChain}` });
        continue;
      }
      const t = chain.get(BigInt(r.token_id));
      if (!t || t.owner !== r.user_address.toLowerCase() || t.achievementKey !== key)
        out.push({
          ...base,
          detail:
            onChain === undefined
              ? `token ${r.token_id} is not this badge on chain, and the chain has no such badge`
              : `token ${r.token_id} is not this badge on chain; token ${onChain} is`,
        });
    } else if (onChain !== undefined)
      out.push({ ...base, detail: `${r.status}, but the chain has the badge: token ${onChain}` });
  }
  return out;
}

/** `holder:achievementKey` → lowest held token id. */
function heldIndex(chain: ReadonlyMap<bigint, ChainToken>): Map<string, bigint> {
  const held = new Map<string, bigint>();
  for (const [id, t] of [...chain].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (t.owner === null || t.achievementKey === null) continue;
    const k = `${t.owner}:${t.achievementKey}`;
    if (!held.has(k)) held.set(k, id);
  }
  return held;
}

/**
 * The badge events of `tokenIds` from the start block to `toBlock`, in chain order: with the ids as
 * a topic filter when they are few ({@link ReconcileChainOptions.tokenFilterMax}), else one pass
 * over every badge event, keeping theirs.
 */
async function readHistory(
  core: SyncCore,
  tokenIds: readonly bigint[],
  toBlock: bigint,
  options: ReconcileChainOptions,
): Promise<BadgeEvent[]> {
  if (tokenIds.length === 0) return [];
  const fromBlock = core.options.startBlock;
  const filtered = tokenIds.length <= (options.tokenFilterMax ?? 100);
  const topics: (Hex[] | null)[] = filtered
    ? [BADGE_TOPICS, tokenIds.map((id) => pad(numberToHex(id), { size: 32 }) as Hex)]
    : [BADGE_TOPICS];
  const wanted = new Set(tokenIds);
  const events: BadgeEvent[] = [];
  for await (const range of readRanges(
    core.reader,
    fromBlock,
    toBlock,
    topics,
    core.options.concurrency * 2,
  )) {
    for (const e of range.events) if (filtered || wanted.has(e.tokenId)) events.push(e);
    options.onProgress?.({
      phase: 'history',
      doneBlock: range.toBlock,
      fromBlock,
      toBlock,
      events: events.length,
    });
  }
  return events; // readRanges hands ranges over in order, each range's events in chain order
}

async function repair(
  core: SyncCore,
  report: ReconcileChainReport,
  chain: ReadonlyMap<bigint, ChainToken>,
  checkpointBlock: bigint | undefined,
  options: ReconcileChainOptions,
): Promise<void> {
  const tokenIds = [
    ...new Set(
      report.differences
        .filter((d) => d.kind !== 'outbox')
        .map((d) => BigInt((d as { tokenId: string }).tokenId)),
    ),
  ].sort((a, b) => (a < b ? -1 : 1));
  const events = await readHistory(
    core,
    tokenIds.filter((id) => id >= 1n && id < report.nextTokenId),
    report.block,
    options,
  );
  const eventsPerToken = new Map<bigint, number>();
  for (const e of events) eventsPerToken.set(e.tokenId, (eventsPerToken.get(e.tokenId) ?? 0) + 1);
  const held = heldIndex(chain);
  const inputs = await postFinalInputs(core.post);
  const changes: string[] = [];
  const unfixed: ChainDifference[] = [];
  await core.db.transaction(async (tx) => {
    const cp = await lockAll(tx, core.contract);
    if ((cp?.block ?? undefined) !== checkpointBlock)
      throw new CheckpointMovedError(checkpointBlock, cp?.block);
    changes.length = 0;
    unfixed.length = 0;
    if (tokenIds.length > 0) {
      const ids = tokenIds.map(String);
      const before = await tx.query<{ token_id: string; owner: string | null }>(
        'select token_id::text as token_id, owner from badge_tokens where token_id = any($1::numeric[])',
        [ids],
      );
      await tx.query('delete from badge_ownership where token_id = any($1::numeric[])', [ids]);
      await tx.query('delete from badge_tokens where token_id = any($1::numeric[])', [ids]);
      await tx.query("delete from chain_events where args->>'tokenId' = any($1::text[])", [ids]);
      await applyEvents(tx, events);
      const final = cp?.finalized ?? report.block;
      await postFinalEvents(
        tx,
        core.post,
        inputs,
        events.filter((e) => e.blockNumber <= final),
      );
      const was = new Map(before.rows.map((r) => [r.token_id, r.owner]));
      for (const id of tokenIds) {
        const own = eventsPerToken.get(id) ?? 0;
        const c = chain.get(id);
        const old = was.has(id.toString()) ? (was.get(id.toString()) ?? 'revoked') : 'absent';
        if (own === 0) {
          if (id >= 1n && id < report.nextTokenId)
            unfixed.push({
              kind: 'history',
              tokenId: id.toString(),
              detail: `no BadgeMinted log from block ${core.options.startBlock} (minted before CB_CHAIN_START_BLOCK?)`,
            });
          changes.push(`token ${id}: deleted (was ${old}; the chain never minted it)`);
        } else
          changes.push(`token ${id}: rebuilt from ${own} chain event(s): ${old} → ${c?.owner ?? 'revoked'}`);
      }
    }
    for (const d of report.differences) {
      if (d.kind !== 'outbox') continue;
      const onChain = held.get(`${d.user.toLowerCase()}:${achievementTokenId(d.achievementId)}`);
      if (onChain === undefined) {
        unfixed.push({
          ...d,
          detail: `${d.detail}; left as is: minting it again is the minter's decision (set the request back to pending)`,
        });
        continue;
      }
      const { rows } = await tx.query<{ minted_tx: string; minted_block: string }>(
        'select minted_tx, minted_block::text as minted_block from badge_tokens where token_id = $1',
        [onChain.toString()],
      );
      await tx.query(
        `update ach_mint_outbox set status = 'confirmed', token_id = $2, tx_hash = coalesce($3, tx_hash),
                block_number = coalesce($4::bigint, block_number), error = null, updated_at = now()
          where id = $1`,
        [d.outboxId, onChain.toString(), rows[0]?.minted_tx ?? null, rows[0]?.minted_block ?? null],
      );
      changes.push(
        `mint request ${d.outboxId} (${d.user}, ${d.achievementId}): ${d.status} → confirmed with token ${onChain}`,
      );
    }
  });
  await core.notifyOwnership(
    report.differences.flatMap((d) => {
      const out: string[] = [];
      if ('db' in d && d.db && 'owner' in d.db && d.db.owner) out.push(d.db.owner);
      if ('chain' in d && d.chain && 'owner' in d.chain && d.chain.owner) out.push(d.chain.owner);
      return out;
    }),
    core.options.startBlock,
  );
  report.changes = changes;
  report.unfixed = unfixed;
  report.fixed = unfixed.length === 0;
}
