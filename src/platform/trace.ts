/**
 * Trace context carried through every hop with AsyncLocalStorage: HTTP request → domain code →
 * enqueued job → the job's log lines. Wire format is W3C Trace Context (`traceparent`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface TraceContext {
  /** 32 lower-case hex chars. */
  traceId: string;
  /** 16 lower-case hex chars: this hop's span. */
  spanId: string;
  sampled: boolean;
  /** Member address or API key name, when known. */
  userId?: string | undefined;
}

const storage = new AsyncLocalStorage<TraceContext>();
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** Parses a `traceparent` header; undefined when absent or malformed (W3C: then start a new trace). */
export function parseTraceparent(
  header: string | undefined | null,
): { traceId: string; parentId: string; sampled: boolean } | undefined {
  if (!header) return undefined;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/** A child context of `traceparent` (or of a new trace when it is missing or invalid). */
export function contextFromTraceparent(header: string | undefined | null): TraceContext {
  const parent = parseTraceparent(header);
  return { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), sampled: parent?.sampled ?? true };
}

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

export function runWithTrace<T>(ctx: TraceContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Sets the user of the current trace (e.g. once an API key is authenticated). */
export function setTraceUser(userId: string): void {
  const ctx = storage.getStore();
  if (ctx) ctx.userId = userId;
}

/** The `traceparent` to hand to the next hop (a job, an outgoing request): same trace, new span. */
export function outgoingTraceparent(): string | undefined {
  const ctx = storage.getStore();
  return ctx ? formatTraceparent({ ...ctx, spanId: newSpanId() }) : undefined;
}
