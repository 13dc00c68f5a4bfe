/**
 * The audit trail of administrative operations (seed 7.3 合规审计: record every administrative
 * operation, protect the record from tampering, keep it for a set time).
 *
 * What is recorded: every API request that changes something with a privileged scope (anything but
 * public routes and the event intake's `events:*` / `counter:write`), refused ones with a valid key
 * too (the key lacked the scope), and the `cb` commands that change the database. One row each:
 * when, who (the API key's name, or user@host of a command), what (method and route pattern, or
 * the command), on what (the route's parameters), the outcome and status, the request and trace
 * ids, and the redacted query and body (bodies over 8 KiB kept as their size and SHA-256; a
 * refused request has none: the scope check turns it away before its body is read).
 *
 * Tamper evidence: rows form a hash chain. `hash = sha256(prev_hash ‖ canonical JSON of the row)`,
 * `seq` has no gaps, and `audit_head` holds the last seq and hash; appends take turns on the head's
 * row lock. A trigger refuses UPDATE, TRUNCATE and DELETE (except retention's). Any edit, deletion
 * or insertion in the middle shows in `cb audit verify` and the daily job as a row whose link or
 * hash does not match (every such row: verification goes on past a break, and an operator can
 * accept a break once it is understood, `acceptAuditBreak`); both record the result
 * (audit-verifications.ts), which every process exports (cb_audit_chain_ok; alerts AuditTrailBroken, AuditVerificationOverdue). Someone
 * able to rewrite the whole chain after the edit would also have to rewrite the log lines shipped
 * elsewhere: each append logs its seq and hash ("audit recorded"), and `cb audit verify --anchor
 * SEQ:HASH` checks the chain against such a line.
 *
 * Retention (CB_AUDIT_RETENTION_DAYS): the daily job deletes rows older than that in seq order,
 * keeps the last deleted row's hash in `audit_head`, from where the chain still verifies, and
 * records the cut as a `system` record of the chain. `audit_head` only moves forward (a trigger,
 * migration 0061): the newest records cannot be deleted and the head moved back to hide it.
 *
 * What the triggers do not stop: a role that may DELETE can set `cb.audit_prune` itself, and a
 * database owner can drop a trigger. Deleting or changing records then still breaks the chain,
 * unless the whole chain after the change is recomputed too — which the logged hashes (anchors)
 * catch. The protection against the database's owner is the logs shipped off the host.
 */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../../platform/db/create-db.ts';
import { readSnapshot } from '../../platform/db/read-snapshot.ts';
import { redact } from '../../platform/redact.ts';
import type { AuditActorKindShape, AuditOutcomeShape, AuditRecordShape } from './audit-shape.ts';

export type AuditActorKind = AuditActorKindShape;
export type AuditOutcome = AuditOutcomeShape;

/** One operation to record. */
export interface AuditEntry {
  actorKind: AuditActorKind;
  actor: string;
  action: string;
  target?: string | null | undefined;
  outcome: AuditOutcome;
  status?: number | null | undefined;
  requestId?: string | null | undefined;
  traceId?: string | null | undefined;
  /** Redacted here (secret-looking fields and values blanked), then kept as JSON. */
  details?: Record<string, unknown> | undefined;
  /** @defaultValue now */
  at?: Date | undefined;
}

/** A recorded row (the shape `GET /v1/ops/audit` answers with, audit-shape.ts). */
export type AuditRecord = AuditRecordShape;

/** Details above this many bytes of JSON are kept as their size and hash. */
export const MAX_DETAILS_BYTES = 8192;

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash of a row given its predecessor's. */
export function rowHash(row: Omit<AuditRecord, 'hash'>): string {
  const { prevHash, ...content } = row;
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ ...content, seq: String(content.seq) }))
    .digest('hex');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A string PostgreSQL stores as text and jsonb: NUL (which neither takes) written as the text
 * `\u0000`, and lone UTF-16 surrogates (which jsonb refuses) as U+FFFD. A caller could otherwise
 * make its own record fail to be written with `?x=%00`.
 */
export function storable(text: string): string {
  return text.replace(/\0/g, '\\u0000').replace(LONE_SURROGATE, '\uFFFD');
}

/** `value` with every string (keys too) made {@link storable}. */
function storableDeep(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableDeep);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storableDeep(v)]));
  return value;
}

/** The entry's details as stored: redacted, storable, and bounded. */
export function storedDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const redacted = storableDeep(redact(details)) as Record<string, unknown>;
  const json = canonicalJson(redacted);
  if (Buffer.byteLength(json) <= MAX_DETAILS_BYTES) return JSON.parse(json) as Record<string, unknown>;
  return {
    truncated: true,
    bytes: Buffer.byteLength(json),
    sha256: createHash('sha256').update(json).digest('hex'),
  };
}

/**
 * Appends `entry` (its own transaction, taking the head's row lock): returns the row with its seq
 * and hash.
 */
export async function appendAudit(db: Db, entry: AuditEntry): Promise<AuditRecord> {
  return db.transaction((tx) => appendIn(tx, entry));
}

/** Appends inside the caller's transaction (which then holds the head's row lock until it ends). */
async function appendIn(tx: Queryable, entry: AuditEntry): Promise<AuditRecord> {
  // Milliseconds: what a JavaScript Date holds, so the stored time reads back exactly as hashed.
  const at = new Date(Math.floor((entry.at ?? new Date()).getTime()));
  const details = storedDetails(entry.details);
  const head = await tx.query<{ seq: string; hash: string }>(
    'select seq::text as seq, hash from audit_head where id for update',
  );
  const prev = head.rows[0];
  if (!prev) throw new Error('audit_head is missing (migration 0060_audit not applied?)');
  const content: Omit<AuditRecord, 'hash'> = {
    seq: (BigInt(prev.seq) + 1n).toString(),
    at: at.toISOString(),
    actorKind: entry.actorKind,
    actor: storable(entry.actor),
    action: storable(entry.action),
    target: entry.target == null ? null : storable(entry.target),
    outcome: entry.outcome,
    status: entry.status ?? null,
    requestId: entry.requestId == null ? null : storable(entry.requestId),
    traceId: entry.traceId == null ? null : storable(entry.traceId),
    details,
    prevHash: prev.hash,
  };
  const hash = rowHash(content);
  await tx.query(
    `insert into audit_log (seq, at, actor_kind, actor, action, target, outcome, status, request_id, trace_id, details, prev_hash, hash)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      content.seq,
      at,
      content.actorKind,
      content.actor,
      content.action,
      content.target,
      content.outcome,
      content.status,
      content.requestId,
      content.traceId,
      JSON.stringify(details),
      content.prevHash,
      hash,
    ],
  );
  await tx.query('update audit_head set seq = $1, hash = $2 where id', [content.seq, hash]);
  return { ...content, hash };
}

type Row = {
  seq: string;
  at: Date;
  actor_kind: AuditActorKind;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  status: number | null;
  request_id: string | null;
  trace_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
};

const COLUMNS = `seq::text as seq, at, actor_kind, actor, action, target, outcome, status, request_id, trace_id,
  details, prev_hash, hash`;

const toRecord = (r: Row): AuditRecord => ({
  seq: r.seq,
  at: new Date(r.at).toISOString(),
  actorKind: r.actor_kind,
  actor: r.actor,
  action: r.action,
  target: r.target,
  outcome: r.outcome,
  status: r.status,
  requestId: r.request_id,
  traceId: r.trace_id,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export interface AuditFilter {
  /** Exact actor (key name, or user@host). */
  actor?: string | undefined;
  /** Substring of the action (`achievements`, `POST`, `cb apikey`). */
  action?: string | undefined;
  outcome?: AuditOutcome | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Rows with a seq below this (the previous page's `nextBefore`). */
  before?: string | undefined;
  /** @defaultValue 50 */
  limit?: number | undefined;
}

/** Matching rows, newest first, and the cursor of the next page (undefined at the end). */
export async function listAudit(
  db: Queryable,
  filter: AuditFilter = {},
): Promise<{ items: AuditRecord[]; nextBefore: string | undefined }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.actor !== undefined) add('actor = ?', filter.actor);
  if (filter.action !== undefined) add('strpos(action, ?) > 0', filter.action);
  if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
  if (filter.since !== undefined) add('at >= ?', filter.since);
  if (filter.until !== undefined) add('at < ?', filter.until);
  if (filter.before !== undefined) add('seq < ?::bigint', filter.before);
  const limit = filter.limit ?? 50;
  params.push(limit + 1);
  const { rows } = await db.query<Row>(
    `select ${COLUMNS} from audit_log ${where.length ? `where ${where.join(' and ')}` : ''}
      order by audit_log.seq desc limit $${params.length}`,
    params,
  );
  const items = rows.slice(0, limit).map(toRecord);
  return { items, nextBefore: rows.length > limit ? items.at(-1)?.seq : undefined };
}

/** The action of the record that accepts a known break (written by `cb audit accept-break`). */
export const ACCEPT_BREAK_ACTION = 'cb audit accept-break';

/** How a break shows: a changed record, a link to the wrong predecessor, missing rows, or a head off the last row. */
export type AuditBreakKind = 'content' | 'link' | 'missing' | 'head';

/** Who accepted a known break, and why (the accepting record of the chain). */
export interface AuditBreakAcceptance {
  /** The accepting record. */
  seq: string;
  at: string;
  by: string;
  reason: string;
  incident: string | null;
}

/** Where verification found the chain broken. */
export interface AuditBreak {
  seq: string;
  problem: string;
  kind: AuditBreakKind;
  /**
   * What exactly is broken, as a hash of the seq and the stored and expected hashes: the same break
   * found again has the same fingerprint; the record changed once more has another one.
   */
  fingerprint: string;
  /** Set when a later intact record of the chain accepted this break (`cb audit accept-break`). */
  accepted?: AuditBreakAcceptance | undefined;
}

export interface AuditVerifyReport {
  ok: boolean;
  /** Rows checked (from the retention cut to the head). */
  checked: number;
  /** The chain starts after this seq (retention deleted up to it). */
  prunedThrough: string;
  head: { seq: string; hash: string };
  /** The first break not accepted; none when the chain is intact or every break was accepted. */
  broken: Pick<AuditBreak, 'seq' | 'problem'> | undefined;
  /**
   * Every break found, in seq order, accepted or not (at most {@link MAX_BREAKS_LISTED}; `breaksFound`
   * counts them all). Verification goes on past a break, so a second edit is not hidden behind a
   * first one.
   */
  breaks: AuditBreak[];
  breaksFound: number;
  /**
   * The anchor asked for, and whether the row at its seq has its hash; `pruned`: retention deleted
   * that row, so it cannot be checked (and does not fail the check).
   */
  anchor: { seq: string; hash: string; matches: boolean; pruned: boolean } | undefined;
}

/** Rows read per page while verifying. */
const VERIFY_PAGE = 2000;

/** Breaks kept (and acceptable) per verification; beyond, they are counted only. */
export const MAX_BREAKS_LISTED = 1000;

const fingerprintOf = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);

/**
 * Recomputes the chain from the retention cut to the head: every seq present once and in order,
 * every prev_hash the hash before it, every hash its row's; and the head at the last row. With an
 * `anchor` (seq and hash from a shipped "audit recorded" log line), its row must carry that hash.
 *
 * A break does not end the check: past missing rows it goes on from the next row present (whose
 * link cannot be checked), past a changed record or a wrong link from that record's stored hash.
 * A break is accepted by a later record of action {@link ACCEPT_BREAK_ACTION} whose own content is
 * intact and that names the break's fingerprint: the record of an operator having looked into it.
 * Accepted breaks stay in the report; only the others make it not ok.
 *
 * `signal` (the job's expiry, a stop) is checked before the snapshot is opened and before each
 * page of {@link VERIFY_PAGE} rows: once aborted, no further page is read and the verification throws the signal's reason — an
 * unfinished verification has no result.
 */
export async function verifyAudit(
  db: Db,
  options: {
    anchor?: { seq: string; hash: string } | undefined;
    onProgress?: (checked: number) => void;
    signal?: AbortSignal | undefined;
  } = {},
): Promise<AuditVerifyReport> {
  options.signal?.throwIfAborted();
  // One snapshot: appends and a retention cut committed meanwhile are not half seen (a head read
  // before rows written after it would look like a broken chain).
  return readSnapshot(db, (q) => verifyIn(q, options));
}

async function verifyIn(
  db: Queryable,
  options: Parameters<typeof verifyAudit>[1] & object,
): Promise<AuditVerifyReport> {
  const headRows = await db.query<{ seq: string; hash: string; pruned_through: string; pruned_hash: string }>(
    'select seq::text as seq, hash, pruned_through::text as pruned_through, pruned_hash from audit_head where id',
  );
  const head = headRows.rows[0];
  if (!head) throw new Error('audit_head is missing (migration 0060_audit not applied?)');
  let expectSeq = BigInt(head.pruned_through) + 1n;
  let prevHash: string | undefined = head.pruned_hash;
  let checked = 0;
  let lastSeen: string | undefined;
  const breaks: AuditBreak[] = [];
  let breaksFound = 0;
  /** The first break past the list: not acceptable, so it fails the check whatever the list holds. */
  let firstUnlisted: Pick<AuditBreak, 'seq' | 'problem'> | undefined;
  const found = (b: Omit<AuditBreak, 'fingerprint'>, ...evidence: string[]) => {
    breaksFound++;
    if (breaks.length < MAX_BREAKS_LISTED)
      breaks.push({ ...b, fingerprint: fingerprintOf(b.kind, b.seq, ...evidence) });
    else firstUnlisted ??= { seq: b.seq, problem: b.problem };
  };
  const acceptances = new Map<string, AuditBreakAcceptance>();
  let anchorMatches: boolean | undefined;
  let after = BigInt(head.pruned_through);
  for (;;) {
    options.signal?.throwIfAborted();
    const { rows } = await db.query<Row>(
      `select ${COLUMNS} from audit_log where audit_log.seq > $1::bigint order by audit_log.seq limit ${VERIFY_PAGE}`,
      [after.toString()],
    );
    for (const r of rows) {
      const record = toRecord(r);
      const seq = BigInt(record.seq);
      if (seq !== expectSeq) {
        const last = (seq - 1n).toString();
        found(
          {
            seq: expectSeq.toString(),
            kind: 'missing',
            problem:
              seq - 1n === expectSeq
                ? `row ${expectSeq} is missing (next is ${record.seq})`
                : `rows ${expectSeq}…${last} are missing (next is ${record.seq})`,
          },
          last,
        );
        prevHash = undefined; // the link to a missing row cannot be checked
      } else if (prevHash !== undefined && record.prevHash !== prevHash) {
        found(
          { seq: record.seq, kind: 'link', problem: 'its prev_hash is not the hash of the row before it' },
          record.prevHash,
          prevHash,
        );
      }
      const { hash, ...content } = record;
      const computed = rowHash(content);
      if (computed !== hash) {
        found(
          {
            seq: record.seq,
            kind: 'content',
            problem: 'its content does not match its hash (changed after it was written)',
          },
          hash,
          computed,
        );
      } else if (record.action === ACCEPT_BREAK_ACTION && record.outcome === 'ok') {
        const d = record.details as { fingerprint?: unknown; reason?: unknown; incident?: unknown };
        if (typeof d.fingerprint === 'string')
          acceptances.set(d.fingerprint, {
            seq: record.seq,
            at: record.at,
            by: record.actor,
            reason: typeof d.reason === 'string' ? d.reason : '',
            incident: typeof d.incident === 'string' ? d.incident : null,
          });
      }
      if (options.anchor && options.anchor.seq === record.seq) anchorMatches = options.anchor.hash === hash;
      prevHash = hash;
      expectSeq = seq + 1n;
      lastSeen = record.seq;
      checked++;
    }
    options.onProgress?.(checked);
    if (rows.length < VERIFY_PAGE) break;
    after = BigInt(rows.at(-1)!.seq);
  }
  const lastSeq = expectSeq - 1n;
  if (BigInt(head.seq) > lastSeq)
    found(
      {
        seq: expectSeq.toString(),
        kind: 'missing',
        problem: `rows ${expectSeq}…${head.seq} are missing (the head is at ${head.seq})`,
      },
      head.seq,
    );
  else if (head.seq !== lastSeq.toString() || head.hash !== prevHash)
    found(
      { seq: head.seq, kind: 'head', problem: 'the head does not match the last row' },
      head.hash,
      lastSeen ?? '',
      prevHash ?? '',
    );
  // An acceptance counts for the breaks before it: it was written after looking at them.
  for (const b of breaks) {
    const a = acceptances.get(b.fingerprint);
    if (a && BigInt(a.seq) > BigInt(b.seq)) b.accepted = a;
  }
  const first = breaks.find((b) => !b.accepted);
  const broken = first ? { seq: first.seq, problem: first.problem } : firstUnlisted;
  // An anchor at or below the retention cut names a record that is gone by design: not checkable.
  const anchorPruned =
    options.anchor !== undefined && BigInt(options.anchor.seq) <= BigInt(head.pruned_through);
  if (options.anchor && anchorMatches === undefined && !anchorPruned) anchorMatches = false;
  return {
    ok: broken === undefined && anchorMatches !== false,
    checked,
    prunedThrough: head.pruned_through,
    head: { seq: head.seq, hash: head.hash },
    broken,
    breaks,
    breaksFound,
    anchor: options.anchor && { ...options.anchor, matches: anchorMatches === true, pruned: anchorPruned },
  };
}

/** Why a break could not be accepted. */
export type AcceptBreakRefusal =
  | { reason: 'no-break'; breaks: AuditBreak[] }
  | { reason: 'already-accepted'; accepted: AuditBreakAcceptance }
  | { reason: 'head' };

/**
 * Records that an operator looked into the break at `seq` (`cb audit accept-break`): a record of
 * action {@link ACCEPT_BREAK_ACTION} carrying the break's fingerprint, the reason and the incident.
 * Verification then lists that break as accepted and no longer fails on it; any other break, or
 * the same record changed again (a new fingerprint), still fails it. A head that does not match
 * the last row cannot be accepted: the next record moves the head, and the break shows from then
 * on as that record's link, which can be.
 */
export async function acceptAuditBreak(
  db: Db,
  input: { seq: string; reason: string; incident?: string | undefined; actor: string },
): Promise<{ accepted: AuditBreak; record: AuditRecord } | { refused: AcceptBreakRefusal }> {
  const report = await verifyAudit(db);
  const target =
    report.breaks.find((b) => b.seq === input.seq && !b.accepted) ??
    report.breaks.find((b) => b.seq === input.seq);
  if (!target) return { refused: { reason: 'no-break', breaks: report.breaks } };
  if (target.accepted) return { refused: { reason: 'already-accepted', accepted: target.accepted } };
  if (target.kind === 'head') return { refused: { reason: 'head' } };
  const record = await appendAudit(db, {
    actorKind: 'cli',
    actor: input.actor,
    action: ACCEPT_BREAK_ACTION,
    target: `seq=${target.seq}`,
    outcome: 'ok',
    status: 0,
    details: {
      fingerprint: target.fingerprint,
      kind: target.kind,
      problem: target.problem,
      reason: input.reason,
      ...(input.incident === undefined ? {} : { incident: input.incident }),
    },
  });
  return { accepted: target, record };
}

/**
 * Deletes the rows older than `before` (in seq order: the chain is cut at one place) and records
 * the cut in the head. Returns how many went.
 */
export async function pruneAudit(db: Db, before: Date): Promise<number> {
  return db.transaction(async (tx) => {
    // The head's lock: no append interleaves with the cut.
    await tx.query('select seq from audit_head where id for update');
    const last = await tx.query<{ seq: string; hash: string }>(
      `select seq::text as seq, hash from audit_log where seq = (select max(seq) from audit_log where at < $1)`,
      [before],
    );
    const cut = last.rows[0];
    if (!cut) return 0;
    await tx.query("select set_config('cb.audit_prune', 'on', true)");
    const deleted = await tx.query('delete from audit_log where seq <= $1::bigint', [cut.seq]);
    await tx.query(
      'update audit_head set pruned_through = $1, pruned_hash = $2, pruned_at = now() where id',
      [cut.seq, cut.hash],
    );
    // The cut itself is in the chain: deleting recent records and calling it retention would need
    // a forged record too (and would not match the hashes logged as they were written).
    await appendIn(tx, {
      actorKind: 'system',
      actor: 'cb',
      action: 'audit retention',
      target: `seq ≤ ${cut.seq}`,
      outcome: 'ok',
      details: { deleted: deleted.rowCount, olderThan: before.toISOString(), lastDeletedHash: cut.hash },
    });
    return deleted.rowCount;
  });
}
