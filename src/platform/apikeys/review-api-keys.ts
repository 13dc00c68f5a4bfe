/**
 * The permission review of the API keys (seed 7.1 访问控制: 最小权限原则, 定期审查和调整权限,
 * 定期轮换密钥): what a reviewer should act on, key by key. `cb apikey review` prints it; a key's
 * finding says what was found and what to do in plain words.
 *
 * What is known about a key's use, and so what can be told:
 * - `last_used_at`: the last time any instance accepted the key (written at most once a minute), so
 *   "never used" and "not used for N days" — not which scopes a use needed.
 * - the audit trail (src/ops/audit): every change made through the API with a key holding a
 *   privileged scope, by the key's name — not reads, not the event intake (`events:*`,
 *   `counter:write`), and not which of the key's scopes allowed the change. So "holds write/admin
 *   scopes and made no change at all" can be told; "made changes, but never with scope X" cannot.
 *   The trail is injected (`lastChange`): this layer does not import a domain.
 */
import type { Queryable } from '../db/create-db.ts';
import type { ApiKeySummary } from './create-api-keys.ts';
import { ADMIN_SCOPE, type Scope } from './scopes.ts';

/** The findings, in the order a review lists them. */
export const API_KEY_FINDINGS = [
  'never-used',
  'unused',
  'admin',
  'unexercised-scopes',
  'rotation-due',
  'in-grace',
] as const;
export type ApiKeyFindingKind = (typeof API_KEY_FINDINGS)[number];

interface FindingBase {
  /** A reviewer must act (the review's exit code 3); false: listed for the reviewer to confirm. */
  needsAction: boolean;
  key: ApiKeySummary;
  /** Whole days since the key was created. */
  ageDays: number;
  /** Whole days since its last use; null: never used. */
  idleDays: number | null;
  /** What was found and what to do, in plain words. */
  message: string;
}

/** One thing to review about one key; keys in a rotation's grace period only get `in-grace`. */
export type ApiKeyFinding =
  | (FindingBase & { kind: 'never-used' | 'unused' | 'admin' | 'rotation-due' })
  | (FindingBase & {
      kind: 'unexercised-scopes';
      /** The key's write/admin scopes, none of which the audit trail shows in use. */
      unexercisedScopes: Scope[];
    })
  | (FindingBase & {
      kind: 'in-grace';
      /** When it was rotated (its successor's creation); null when the successor is gone. */
      rotatedAt: Date | null;
      /** It was used after the rotation: its holder has not switched to the new key yet. */
      usedSinceRotation: boolean;
    });

export interface ApiKeyReview {
  /** The database's clock when the review read the keys. */
  reviewedAt: Date;
  limits: ReviewLimits;
  keys: {
    /** Keys without a scheduled revocation. */
    working: number;
    /** Old keys of rotations, still working until their `revokedAt`. */
    inGrace: number;
    /** Working keys holding `admin`. */
    admin: number;
  };
  /** Some finding needs action. */
  needsAction: boolean;
  /** In {@link API_KEY_FINDINGS} order, then by the keys' creation. */
  findings: ApiKeyFinding[];
}

export interface ReviewLimits {
  /** CB_APIKEY_UNUSED_DAYS: never used and older, or not used for longer; 0 turns the usage findings off. */
  unusedDays: number;
  /** CB_APIKEY_MAX_AGE_DAYS: older keys are due a rotation; 0 turns the finding off. */
  maxAgeDays: number;
  /** Working keys that may hold `admin` before they need action (all are listed either way). */
  maxAdminKeys: number;
}

export interface ReviewApiKeysOptions extends ReviewLimits {
  /**
   * The latest change the audit trail recorded with the key named `name` since `since` (an
   * operation its write/admin scopes allowed, whatever its outcome but refused); undefined: none.
   */
  lastChange(key: { name: string; since: Date }): Promise<Date | undefined>;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  now: Date;
}

const DAY_MS = 86_400_000;

/**
 * The scopes whose use the audit trail records (src/api/plugins/audit.ts): `admin`, and
 * `<resource>:<action>` other than reads and the event intake's data scopes.
 */
export function isAuditedScope(scope: string): boolean {
  return scope === ADMIN_SCOPE || (!scope.endsWith(':read') && !/^(events:|counter:write$)/.test(scope));
}

/** Reviews every working key, and the old keys of rotations still in their grace period. */
export async function reviewApiKeys(db: Queryable, options: ReviewApiKeysOptions): Promise<ApiKeyReview> {
  const { unusedDays, maxAgeDays, maxAdminKeys } = options;
  // Working keys, keys in a grace period, and the other keys of their names (for their successors).
  const { rows } = await db.query<KeyRow>(
    `select id, name, scopes, created_at, last_used_at, revoked_at, now() as now from cb_api_keys
      where revoked_at is null or revoked_at > now()
         or name in (select name from cb_api_keys where revoked_at > now())
      order by created_at, id`,
  );
  const reviewedAt = rows[0]?.now ?? (await db.query<{ now: Date }>('select now() as now')).rows[0]!.now;
  const now = new Date(reviewedAt).getTime();
  const days = (since: Date) => Math.floor((now - new Date(since).getTime()) / DAY_MS);
  const summary = (r: KeyRow): ApiKeySummary => ({
    id: r.id,
    name: r.name,
    scopes: r.scopes as Scope[],
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  });
  const inGraceOf = (r: KeyRow) => r.revoked_at !== null && new Date(r.revoked_at).getTime() > now;
  const working = rows.filter((r) => r.revoked_at === null);
  const inGrace = rows.filter(inGraceOf);
  const admins = working.filter((r) => r.scopes.includes(ADMIN_SCOPE));

  const findings: ApiKeyFinding[] = [];
  const base = (r: KeyRow, needsAction: boolean, message: string) => ({
    needsAction,
    key: summary(r),
    ageDays: days(r.created_at),
    idleDays: r.last_used_at === null ? null : days(r.last_used_at),
    message,
  });

  for (const r of working) {
    const age = days(r.created_at);
    const idle = r.last_used_at === null ? null : days(r.last_used_at);
    // Compared as times, not whole days: "older than 30 days" is 30 × 24 h and a second.
    const idleMs = now - new Date(r.last_used_at ?? r.created_at).getTime();
    const unused = unusedDays > 0 && idleMs > unusedDays * DAY_MS;
    if (unused && idle === null)
      findings.push({
        kind: 'never-used',
        ...base(
          r,
          true,
          `created ${age} days ago and never used: revoke it (cb apikey revoke ${r.id}) unless its holder is about to start using it`,
        ),
      });
    else if (unused)
      findings.push({
        kind: 'unused',
        ...base(
          r,
          true,
          `last used ${idle} days ago (${iso(r.last_used_at)}): revoke it (cb apikey revoke ${r.id}) if its holder no longer needs it`,
        ),
      });
    if (r.scopes.includes(ADMIN_SCOPE)) {
      const over = admins.length > maxAdminKeys;
      findings.push({
        kind: 'admin',
        ...base(
          r,
          over,
          `holds admin (full access)${over ? `, one of ${admins.length} keys that do (allowed: ${maxAdminKeys})` : ''}: keep it only if its holder needs every scope; otherwise narrow it (cb apikey rotate ${r.name} --scopes …)`,
        ),
      });
    }
    // A key already listed as unused says more than this; a young one is given the same time.
    const audited = (r.scopes as Scope[]).filter(isAuditedScope);
    if (
      !unused &&
      unusedDays > 0 &&
      audited.length > 0 &&
      now - new Date(r.created_at).getTime() > unusedDays * DAY_MS &&
      (await options.lastChange({ name: r.name, since: r.created_at })) === undefined
    )
      findings.push({
        kind: 'unexercised-scopes',
        unexercisedScopes: audited,
        ...base(
          r,
          false,
          `holds ${audited.join(', ')} but made no change through the API in its ${age} days (audit trail): if it only reads, narrow it to read scopes (cb apikey rotate ${r.name} --scopes …); an emergency scope such as governance:guardian may rightly stay unused`,
        ),
      });
    if (maxAgeDays > 0 && now - new Date(r.created_at).getTime() > maxAgeDays * DAY_MS)
      findings.push({
        kind: 'rotation-due',
        ...base(
          r,
          true,
          `created ${age} days ago, more than CB_APIKEY_MAX_AGE_DAYS (${maxAgeDays}): rotate it (cb apikey rotate ${r.name}) and hand the new key over within the grace period`,
        ),
      });
  }

  for (const r of inGrace) {
    const created = new Date(r.created_at).getTime();
    const successor = rows.find(
      (s) => s.name === r.name && s.id !== r.id && new Date(s.created_at).getTime() > created,
    );
    const rotatedAt = successor ? successor.created_at : null;
    const usedSinceRotation =
      r.last_used_at !== null &&
      (rotatedAt === null || new Date(r.last_used_at).getTime() > new Date(rotatedAt).getTime());
    const until = iso(r.revoked_at);
    const rotated =
      rotatedAt === null ? 'rotated (its new key is revoked since)' : `rotated ${iso(rotatedAt)}`;
    findings.push({
      kind: 'in-grace',
      rotatedAt,
      usedSinceRotation,
      ...base(
        r,
        usedSinceRotation,
        usedSinceRotation
          ? `${rotated} and still used after that (last ${iso(r.last_used_at)}): its holder must switch to the new key before this one stops working at ${until}`
          : `${rotated} and not used since: it stops working at ${until}, or end it now (cb apikey revoke ${r.id})`,
      ),
    });
  }

  const order = (f: ApiKeyFinding) => API_KEY_FINDINGS.indexOf(f.kind);
  // Stable sort: keys stay in creation order within a finding.
  findings.sort((a, b) => order(a) - order(b));
  return {
    reviewedAt: new Date(reviewedAt),
    limits: { unusedDays, maxAgeDays, maxAdminKeys },
    keys: { working: working.length, inGrace: inGrace.length, admin: admins.length },
    needsAction: findings.some((f) => f.needsAction),
    findings,
  };
}

function iso(d: Date | null): string {
  return d === null ? '-' : new Date(d).toISOString();
}
