/**
 * The message published on the invalidation channel. `origin` identifies the Cache instance that
 * sent it (it already dropped its own copies); `all` means the namespace version was bumped.
 */
export interface InvalidationMessage {
  origin: string;
  namespace: string;
  keys?: string[] | undefined;
  all?: true | undefined;
}

export function encodeInvalidation(message: InvalidationMessage): string {
  return JSON.stringify(message);
}

/** The message, or undefined for anything malformed (another program on the channel, an old format). */
export function decodeInvalidation(text: string): InvalidationMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  if (typeof m.origin !== 'string' || typeof m.namespace !== 'string') return undefined;
  const keys = Array.isArray(m.keys) && m.keys.every((k) => typeof k === 'string') ? m.keys : undefined;
  if (m.all !== true && keys === undefined) return undefined;
  return { origin: m.origin, namespace: m.namespace, keys, all: m.all === true ? true : undefined };
}
