/** `INFO` text → field map (`used_memory` → `'988928'`); section headers and blank lines skipped. */
export function parseRedisInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * How much to add to a Prometheus counter that mirrors a server-side counter: the growth since the
 * previous sample; the whole new value after the server's counter went down (it restarted, so all
 * of it is new); the whole value on the first sample (the mirror then equals the server's total).
 */
export function counterIncrement(previous: number | undefined, current: number): number {
  if (previous === undefined || current < previous) return current;
  return current - previous;
}
