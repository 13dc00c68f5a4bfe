/**
 * A member's achievements: unlocked ones (with unlock time and the badge's mint status: pending →
 * submitted (transaction) → confirmed (token, block) | failed (reason)), in-progress ones (current, target, percent) and not-started ones. Hidden
 * achievements appear only once unlocked. Ordered by achievement id with an opaque cursor.
 */
import type { Queryable } from '../../platform/db/create-db.ts';
import { ValidationError } from '../../platform/errors.ts';
import type { Catalogue, CatalogueEntry } from '../engine/catalogue.ts';
import { evaluateComposite } from '../rules/index.ts';

export type MemberAchievementStatus = 'unlocked' | 'in_progress' | 'not_started';

export interface MemberAchievement {
  achievementId: string;
  name: string;
  description: string;
  category: string;
  series: string | null;
  tier: string | null;
  weight: number;
  hidden: boolean;
  status: MemberAchievementStatus;
  current: number;
  target: number;
  /** 0-100, one decimal. */
  percent: number;
  unlockedAt: string | null;
  tokenId: string | null;
  txHash: string | null;
  /** The unlock's mint request: pending, submitted, confirmed or failed; null before it exists. */
  mintStatus: string | null;
  /** The block the badge was minted in (once confirmed). */
  mintBlock: string | null;
  /** Why the mint failed (a failed request only). */
  mintError: string | null;
}

export const MEMBER_ACHIEVEMENT_FIELDS = [
  'achievementId',
  'name',
  'description',
  'category',
  'series',
  'tier',
  'weight',
  'hidden',
  'status',
  'current',
  'target',
  'percent',
  'unlockedAt',
  'tokenId',
  'txHash',
  'mintStatus',
  'mintBlock',
  'mintError',
] as const;

export interface ListOptions {
  status?: MemberAchievementStatus | 'all' | undefined;
  limit: number;
  cursor?: string | undefined;
  fields?: readonly string[] | undefined;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(id))
    throw new ValidationError(
      'invalid cursor',
      [{ path: 'cursor', message: 'not a cursor returned by this API' }],
      'CB_BAD_CURSOR',
    );
  return id;
}

/** Full state of every visible achievement of a member, unpaged (catalogues are small). */
export async function memberAchievements(
  q: Queryable,
  catalogue: Catalogue,
  user: string,
): Promise<MemberAchievement[]> {
  const [progress, unlocks] = await Promise.all([
    q.query<{ achievement_id: string; version: number; current: string; target: string }>(
      'select achievement_id, version, current::text, target::text from ach_progress where user_address = $1',
      [user],
    ),
    q.query<{
      achievement_id: string;
      unlocked_at: Date;
      token_id: string | null;
      tx_hash: string | null;
      mint_status: string | null;
      mint_block: string | null;
      mint_error: string | null;
    }>(
      `select u.achievement_id, u.unlocked_at, o.token_id::text, o.tx_hash, o.status as mint_status,
              o.block_number::text as mint_block, case when o.status = 'failed' then o.error end as mint_error
         from ach_unlocks u left join ach_mint_outbox o on o.user_address = u.user_address and o.achievement_id = u.achievement_id
        where u.user_address = $1`,
      [user],
    ),
  ]);
  const progressById = new Map(progress.rows.map((r) => [r.achievement_id, r]));
  const unlockById = new Map(unlocks.rows.map((r) => [r.achievement_id, r]));
  const unlockedIds = new Set(unlockById.keys());
  const out: MemberAchievement[] = [];
  for (const entry of [...catalogue.entries.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const unlock = unlockById.get(entry.id);
    if (entry.def.hidden && !unlock) continue;
    const { current, target } = currentOf(entry, progressById.get(entry.id), unlockedIds);
    const status: MemberAchievementStatus = unlock ? 'unlocked' : current > 0 ? 'in_progress' : 'not_started';
    const shown = unlock ? Math.max(current, target) : current;
    out.push({
      achievementId: entry.id,
      name: entry.def.name,
      description: entry.def.description,
      category: entry.def.category,
      series: entry.def.series ?? null,
      tier: entry.def.tier ?? null,
      weight: entry.def.weight,
      hidden: entry.def.hidden,
      status,
      current: shown,
      target,
      percent: target > 0 ? Math.min(100, Math.round((shown / target) * 1000) / 10) : 100,
      unlockedAt: unlock ? unlock.unlocked_at.toISOString() : null,
      tokenId: unlock?.token_id ?? null,
      txHash: unlock?.tx_hash ?? null,
      mintStatus: unlock?.mint_status ?? null,
      mintBlock: unlock?.mint_block ?? null,
      mintError: unlock?.mint_error ?? null,
    });
  }
  return out;
}

function currentOf(
  entry: CatalogueEntry,
  row: { version: number; current: string; target: string } | undefined,
  unlocked: ReadonlySet<string>,
): { current: number; target: number } {
  if (entry.def.rule.type === 'composite') {
    const p = evaluateComposite(entry.def.rule, unlocked);
    return { current: p.current, target: p.target };
  }
  const target = entry.def.rule.target;
  if (!row || row.version !== entry.version) return { current: 0, target };
  return { current: Number(row.current), target };
}

export async function listMemberAchievements(
  q: Queryable,
  catalogue: Catalogue,
  user: string,
  options: ListOptions,
): Promise<{ items: Partial<MemberAchievement>[]; nextCursor: string | null }> {
  const fields = options.fields;
  if (fields) {
    const bad = fields.filter((f) => !(MEMBER_ACHIEVEMENT_FIELDS as readonly string[]).includes(f));
    if (bad.length > 0) {
      throw new ValidationError(`unknown field(s) in fields: ${bad.join(', ')}`, [
        { path: 'fields', message: `allowed: ${MEMBER_ACHIEVEMENT_FIELDS.join(', ')}` },
      ]);
    }
  }
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const all = (await memberAchievements(q, catalogue, user)).filter(
    (a) =>
      (!options.status || options.status === 'all' || a.status === options.status) &&
      (after === undefined || a.achievementId > after),
  );
  const page = all.slice(0, options.limit);
  const nextCursor = all.length > options.limit ? encodeCursor(page[page.length - 1]!.achievementId) : null;
  const items = fields
    ? page.map(
        (a) =>
          Object.fromEntries(
            fields.map((f) => [f, a[f as keyof MemberAchievement]]),
          ) as Partial<MemberAchievement>,
      )
    : page;
  return { items, nextCursor };
}
