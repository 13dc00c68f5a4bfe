/**
 * What a job row's `data` holds: the payload plus the facts the worker needs that are not the
 * payload — the queue it was sent to (a dead-lettered copy keeps it, so operators can move it
 * back), the sender's `traceparent` and user, and the schedule that started it.
 */

export interface JobMeta {
  /** Queue the job was sent to (survives the copy into a dead-letter queue). */
  queue: string;
  /** W3C traceparent of the sender; absent when sent outside any trace. */
  traceparent?: string;
  /** The sender's user, carried into the job's trace. */
  userId?: string;
  /** Name of the schedule that started this run. */
  schedule?: string;
}

export interface JobEnvelope {
  payload: unknown;
  meta: JobMeta;
}

export function wrapPayload(payload: unknown, meta: JobMeta): JobEnvelope {
  const clean: JobMeta = { queue: meta.queue };
  if (meta.traceparent !== undefined) clean.traceparent = meta.traceparent;
  if (meta.userId !== undefined) clean.userId = meta.userId;
  if (meta.schedule !== undefined) clean.schedule = meta.schedule;
  return { payload, meta: clean };
}

/** Reads a job's data; data not written by us (another producer) is taken as a bare payload. */
export function unwrapPayload(data: unknown): { payload: unknown; meta: Partial<JobMeta> } {
  if (data !== null && typeof data === 'object' && 'payload' in data && 'meta' in data) {
    const meta = (data as { meta: unknown }).meta;
    if (meta !== null && typeof meta === 'object') {
      const m = meta as Record<string, unknown>;
      const out: Partial<JobMeta> = {};
      if (typeof m.queue === 'string') out.queue = m.queue;
      if (typeof m.traceparent === 'string') out.traceparent = m.traceparent;
      if (typeof m.userId === 'string') out.userId = m.userId;
      if (typeof m.schedule === 'string') out.schedule = m.schedule;
      return { payload: (data as { payload: unknown }).payload, meta: out };
    }
  }
  return { payload: data, meta: {} };
}
