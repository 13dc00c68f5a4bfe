import { normalizeAddress } from '../address.ts';
import { partitionOf } from '../partition.ts';

/** Largest `data` object accepted, in bytes of its JSON. */
export const MAX_EVENT_DATA_BYTES = 16 * 1024;
/** Events dated further in the future than this are refused (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const ALLOWED = new Set(['id', 'type', 'source', 'user', 'occurredAt', 'data']);
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An event ready to be stored. */
export interface ValidEvent {
  id: string;
  type: string;
  source: string;
  /** Lower-case address. */
  user: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  /** `JSON.stringify(data)`, computed once. */
  dataJson: string;
  partition: number;
}

export type EventCheck =
  | { ok: true; event: ValidEvent }
  | { ok: false; reason: string; id?: string | undefined; source?: string | undefined };

/** Validates one submitted event; the reason names the field. Never throws. */
export function validateEvent(input: unknown, now = Date.now()): EventCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, reason: 'event must be an object' };
  const e = input as Record<string, unknown>;
  const id = typeof e.id === 'string' ? e.id : undefined;
  const source = typeof e.source === 'string' ? e.source : undefined;
  const fail = (reason: string): EventCheck => ({ ok: false, reason, id, source });

  const unknown = Object.keys(e).filter((k) => !ALLOWED.has(k));
  if (unknown.length > 0) return fail(`unknown field(s): ${unknown.join(', ')}`);
  if (id === undefined || id.length === 0 || id.length > 200)
    return fail('id: required, a string of 1-200 characters');
  if (typeof e.type !== 'string' || !NAME.test(e.type))
    return fail('type: required, 1-64 of letters, digits, _ . : - (starting with a letter or digit)');
  if (source === undefined || !NAME.test(source))
    return fail('source: required, 1-64 of letters, digits, _ . : - (starting with a letter or digit)');
  const user = normalizeAddress(e.user);
  if (!user)
    return fail('user: must be a 0x address of 40 hex digits (mixed case must be a valid EIP-55 checksum)');
  if (typeof e.occurredAt !== 'string' || !ISO_8601.test(e.occurredAt))
    return fail('occurredAt: must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z');
  const occurredAt = new Date(e.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) return fail('occurredAt: not a valid date-time');
  if (occurredAt.getTime() > now + MAX_FUTURE_SKEW_MS)
    return fail('occurredAt: more than 5 minutes in the future');
  const data = e.data === undefined ? {} : e.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return fail('data: must be an object');
  const dataJson = JSON.stringify(data);
  if (Buffer.byteLength(dataJson) > MAX_EVENT_DATA_BYTES)
    return fail(`data: larger than ${MAX_EVENT_DATA_BYTES} bytes`);
  return {
    ok: true,
    event: {
      id,
      type: e.type,
      source,
      user,
      occurredAt,
      data: data as Record<string, unknown>,
      dataJson,
      partition: partitionOf(user),
    },
  };
}
