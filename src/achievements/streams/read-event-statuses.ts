/**
 * The status of received events, by (source, id): what `GET /v1/events/:id` answers and what
 * `GET /v1/events/:id/stream` pushes. One statement for any number of events (the stream hub
 * reads every watched event in one go).
 */
import type { Queryable } from '../../platform/db/create-db.ts';

export interface EventStatus {
  id: string;
  source: string;
  type: string;
  user: string;
  /** received → processed | failed. */
  status: 'received' | 'processed' | 'failed';
  receivedAt: string;
  processedAt: string | null;
  /** Why processing failed (a failed event only). */
  error: unknown;
}

export interface EventKey {
  source: string;
  id: string;
}

/** A map key for an event. */
export const eventKeyOf = (k: EventKey): string => `${k.source}\u0000${k.id}`;

/** True once the status no longer changes. */
export const isFinalEventStatus = (s: EventStatus): boolean => s.status !== 'received';

/** The statuses of the events that exist, keyed by {@link eventKeyOf}. */
export async function readEventStatuses(
  q: Queryable,
  keys: readonly EventKey[],
): Promise<Map<string, EventStatus>> {
  const out = new Map<string, EventStatus>();
  if (keys.length === 0) return out;
  const { rows } = await q.query<{
    source: string;
    external_id: string;
    status: EventStatus['status'];
    type: string;
    user_address: string;
    received_at: Date;
    processed_at: Date | null;
    error: unknown;
  }>(
    `select e.source, e.external_id, e.status, e.type, e.user_address, e.received_at, e.processed_at, e.error
       from unnest($1::text[], $2::text[]) as k(source, external_id)
       join ach_events e on e.source = k.source and e.external_id = k.external_id`,
    [keys.map((k) => k.source), keys.map((k) => k.id)],
    { name: 'ach_event_statuses' },
  );
  for (const r of rows) {
    const status: EventStatus = {
      id: r.external_id,
      source: r.source,
      type: r.type,
      user: r.user_address,
      status: r.status,
      receivedAt: r.received_at.toISOString(),
      processedAt: r.processed_at?.toISOString() ?? null,
      error: r.error ?? null,
    };
    out.set(eventKeyOf(status), status);
  }
  return out;
}
