/**
 * Event intake: validates each item on its own (a bad item never blocks the good ones), drops
 * repeats of the same (source, id) — within the request and forever after, by a unique constraint —
 * and stores the rest in one statement. Stored events are picked up by the processor.
 */
import type { Db } from '../../platform/db/create-db.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { outgoingTraceparent } from '../../platform/trace.ts';
import { type ValidEvent, validateEvent } from './validate-event.ts';

export type IngestResult =
  | { index: number; id: string; source: string; status: 'accepted' | 'duplicate' }
  | {
      index: number;
      id?: string | undefined;
      source?: string | undefined;
      status: 'rejected';
      reason: string;
    };

export interface IngestDeps {
  db: Db;
  metrics: Metrics;
  /** Bounded metric label for an event type or source (`other` when not configured). */
  labelOf(kind: 'type' | 'source', value: string | undefined): string;
}

export async function ingestEvents(
  deps: IngestDeps,
  items: readonly unknown[],
  now = Date.now(),
): Promise<IngestResult[]> {
  const results: IngestResult[] = new Array(items.length);
  const fresh: { index: number; event: ValidEvent }[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const check = validateEvent(item, now);
    if (!check.ok) {
      results[index] = {
        index,
        id: check.id,
        source: check.source,
        status: 'rejected',
        reason: check.reason,
      };
      const type =
        typeof (item as { type?: unknown })?.type === 'string' ? (item as { type: string }).type : undefined;
      deps.metrics.eventsReceived.inc({
        type: deps.labelOf('type', type),
        source: deps.labelOf('source', check.source),
        result: 'rejected',
      });
      return;
    }
    const key = `${check.event.source}\u0000${check.event.id}`;
    if (seen.has(key)) {
      results[index] = { index, id: check.event.id, source: check.event.source, status: 'duplicate' };
      return;
    }
    seen.add(key);
    fresh.push({ index, event: check.event });
  });

  if (fresh.length > 0) {
    const traceparent = outgoingTraceparent() ?? null;
    const rows = fresh.map(({ event: e }) => ({
      source: e.source,
      external_id: e.id,
      type: e.type,
      user_address: e.user,
      occurred_at: e.occurredAt.toISOString(),
      data: e.data,
      partition: e.partition,
      traceparent,
    }));
    const inserted = await deps.db.query<{ source: string; external_id: string }>(
      `insert into ach_events (source, external_id, type, user_address, occurred_at, data, partition, traceparent)
       select source, external_id, type, user_address, occurred_at, data, partition, traceparent
         from jsonb_to_recordset($1::jsonb) as x(source text, external_id text, type text, user_address text,
              occurred_at timestamptz, data jsonb, partition smallint, traceparent text)
       on conflict (source, external_id) do nothing
       returning source, external_id`,
      [JSON.stringify(rows)],
    );
    const stored = new Set(inserted.rows.map((r) => `${r.source}\u0000${r.external_id}`));
    for (const { index, event } of fresh) {
      const status = stored.has(`${event.source}\u0000${event.id}`) ? 'accepted' : 'duplicate';
      results[index] = { index, id: event.id, source: event.source, status };
    }
  }
  for (const r of results) {
    if (r.status === 'rejected') continue;
    const item = items[r.index] as { type: string };
    deps.metrics.eventsReceived.inc({
      type: deps.labelOf('type', item.type),
      source: deps.labelOf('source', r.source),
      result: r.status,
    });
  }
  return results;
}
