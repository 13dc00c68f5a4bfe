/**
 * Bulk intake for events an in-process producer built itself (the chain listener's decoded badge
 * events): the same rows {@link ingestEvents} would store, idempotent by (source, id) the same way,
 * but without what an untrusted HTTP body needs — no per-item validation, no per-item objects, no
 * JSON document to build and parse. Columns go in as typed arrays (`unnest` of array literals), `data`
 * is built by the database from its columns, and the accepted count is the statement's row count
 * (counted by type in the statement when the batch mixes types, for the metric's label). A batch
 * of new ids (`fresh`) is COPYed in instead, rows and `data` written here.
 *
 * The caller guarantees what validation would check: `source`, `types` and the `data` keys are
 * names (checked here, once per batch), `users` are lower-case 0x addresses, ids are 1–200
 * characters, and `data` stays far below the size limit.
 */
import { arrayLiteral } from '../../platform/db/array-literal.ts';
import { copyField } from '../../platform/db/copy-text.ts';
import type { Transaction } from '../../platform/db/create-db.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { outgoingTraceparent } from '../../platform/trace.ts';
import { partitionOf } from '../partition.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Events as columns: entry i of every array is event i. */
export interface TrustedEventBatch {
  source: string;
  ids: readonly string[];
  types: readonly string[];
  /** Lower-case 0x addresses. */
  users: readonly string[];
  /** Seconds since the epoch. */
  occurredAt: readonly number[];
  /**
   * `data` by key: one value per event (strings stay JSON strings, numbers JSON numbers). At most 8
   * keys.
   */
  data: Readonly<Record<string, readonly string[] | readonly number[]>>;
}

export interface TrustedIngestDeps {
  metrics: Metrics;
  /** Bounded metric label for an event type or source (`other` when not configured). */
  labelOf(kind: 'type' | 'source', value: string | undefined): string;
}

export interface TrustedIngestSummary {
  accepted: number;
  /** Already stored (same source and id), or repeated within the batch. */
  duplicates: number;
}

export interface TrustedIngestOptions {
  /**
   * The ids are most likely new (e.g. the chain listener's events above its finalized cursor):
   * COPY the batch in — no speculative insertion per row, no array parsing: 1.1 instead of 1.3
   * CPU-s of PostgreSQL per 50,000 rows (most of either is the table's four indexes) — and, if an
   * id is there after all (or repeated in the batch), store the batch again with `on conflict do
   * nothing`, under a savepoint. Same rows and counts either way.
   * @defaultValue false
   */
  fresh?: boolean | undefined;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Stores `batch` inside `tx` (in batch order, so `seq` follows it).
 * @throws Error when the batch is malformed (a caller bug: nothing is stored).
 */
export async function ingestTrustedEvents(
  tx: Transaction,
  deps: TrustedIngestDeps,
  batch: TrustedEventBatch,
  options: TrustedIngestOptions = {},
): Promise<TrustedIngestSummary> {
  const n = batch.ids.length;
  const keys = Object.keys(batch.data);
  if (!NAME.test(batch.source)) throw new Error(`trusted intake: bad source ${JSON.stringify(batch.source)}`);
  if (keys.length > 8 || !keys.every((k) => NAME.test(k)))
    throw new Error(`trusted intake: bad data keys ${JSON.stringify(keys)}`);
  for (const column of [batch.types, batch.users, batch.occurredAt, ...Object.values(batch.data)])
    if (column.length !== n) throw new Error('trusted intake: columns of different lengths');
  const summary: TrustedIngestSummary = { accepted: 0, duplicates: 0 };
  if (n === 0) return summary;

  const typeCounts = new Map<string, number>();
  for (const type of batch.types) {
    const seen = typeCounts.get(type);
    if (seen === undefined && !NAME.test(type))
      throw new Error(`trusted intake: bad type ${JSON.stringify(type)}`);
    typeCounts.set(type, (seen ?? 0) + 1);
  }
  const numeric = keys.map((k) => typeof batch.data[k]![0] === 'number');
  // One statement, in batch order. With one type its row count says all; with several, the accepted
  // rows are counted by type in the statement (a little dearer).
  const single = typeCounts.size === 1;
  const params = () => [
    batch.source,
    traceparent(),
    arrayLiteral(batch.ids),
    arrayLiteral(batch.types),
    arrayLiteral(batch.users),
    arrayLiteral(batch.occurredAt),
    arrayLiteral(batch.users.map(partitionOf)),
    ...keys.map((k) => arrayLiteral(batch.data[k]!)),
  ];
  let result: { rowCount: number; rows: { type: string; n: number }[] } | undefined;
  if (options.fresh) {
    await tx.query('savepoint cb_intake_fresh');
    try {
      // All or nothing: every row of the batch is stored, so each type's count is its offer.
      await tx.copyIn('ach_events', COPY_COLUMNS, copyText(batch, keys, numeric));
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      await tx.query('rollback to savepoint cb_intake_fresh');
      result = await tx.query(insertText(keys, numeric, !single), params());
    }
  } else {
    result = await tx.query(insertText(keys, numeric, !single), params());
  }
  const accepted = new Map<string, number>(
    result === undefined
      ? typeCounts
      : single
        ? [[batch.types[0]!, result.rowCount]]
        : result.rows.map((r) => [r.type, Number(r.n)]),
  );
  const source = deps.labelOf('source', batch.source);
  for (const [type, offered] of typeCounts) {
    const ok = accepted.get(type) ?? 0;
    const label = deps.labelOf('type', type);
    if (ok > 0) deps.metrics.eventsReceived.inc({ type: label, source, result: 'accepted' }, ok);
    if (offered > ok)
      deps.metrics.eventsReceived.inc({ type: label, source, result: 'duplicate' }, offered - ok);
    summary.accepted += ok;
    summary.duplicates += offered - ok;
  }
  return summary;
}

const traceparent = () => outgoingTraceparent() ?? null;

const COPY_COLUMNS = [
  'source',
  'external_id',
  'type',
  'user_address',
  'occurred_at',
  'data',
  'partition',
  'traceparent',
] as const;

/**
 * The batch as COPY text: the rows {@link insertText} stores, `data` written as JSON here (string
 * values through JSON.stringify, numbers as they are; keys are names), times as ISO strings
 * (millisecond precision).
 */
function copyText(batch: TrustedEventBatch, keys: readonly string[], numeric: readonly boolean[]): string {
  const source = copyField(batch.source);
  const trace = copyField(traceparent());
  const columns = keys.map((k) => batch.data[k]!);
  const prefixes = keys.map((k, i) => `${i === 0 ? '{' : ', '}"${k}": `);
  const rows = new Array<string>(batch.ids.length);
  let lastTime = Number.NaN;
  let lastIso = '';
  for (let i = 0; i < batch.ids.length; i++) {
    let data = keys.length === 0 ? '{' : '';
    for (let c = 0; c < keys.length; c++) {
      const v = columns[c]![i]!;
      data += prefixes[c]! + (numeric[c] ? jsonNumber(v) : JSON.stringify(String(v)));
    }
    data += '}';
    const time = batch.occurredAt[i]!;
    if (time !== lastTime) {
      lastTime = time;
      lastIso = new Date(time * 1000).toISOString();
    }
    const user = batch.users[i]!;
    rows[i] =
      `${source}\t${copyField(batch.ids[i])}\t${copyField(batch.types[i])}\t${copyField(user)}\t${lastIso}\t${copyField(data)}\t${partitionOf(user)}\t${trace}\n`;
  }
  // Joined once: a flat string (one grown by += is a rope, dearer to flatten than to build).
  return rows.join('');
}

/** A finite number as JSON (what jsonb_build_object makes of a numeric). */
function jsonNumber(v: string | number): string {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`trusted intake: ${JSON.stringify(v)} is not a finite number`);
  return String(v);
}

const texts = new Map<string, string>();

/** The insert for these data keys (cached: a producer uses one shape). */
function insertText(keys: readonly string[], numeric: readonly boolean[], countByType: boolean): string {
  const cacheKey = `${countByType}:${keys.map((k, i) => `${k}:${numeric[i] ? 'n' : 't'}`).join(',')}`;
  const cached = texts.get(cacheKey);
  if (cached) return cached;
  const columns = keys.map((_, i) => `, d${i}`).join('');
  const arrays = keys.map((_, i) => `, $${8 + i}::${numeric[i] ? 'numeric' : 'text'}[]`).join('');
  const build = keys.map((k, i) => `'${k}', d${i}`).join(', ');
  const insert = `insert into ach_events (source, external_id, type, user_address, occurred_at, data, partition, traceparent)
     select $1::text, id, ty, u, to_timestamp(ts), jsonb_build_object(${build}), p, $2::text
       from unnest($3::text[], $4::text[], $5::text[], $6::float8[], $7::smallint[]${arrays})
            as x(id, ty, u, ts, p${columns})
     on conflict (source, external_id) do nothing`;
  const text = countByType
    ? `with stored as (${insert} returning type) select type, count(*)::int as n from stored group by type`
    : insert;
  texts.set(cacheKey, text);
  return text;
}
