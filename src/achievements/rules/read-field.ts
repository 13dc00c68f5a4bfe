/**
 * The value at a dot path in event data (`amount`, `item.kind`, `items.0.id`), or `undefined` when
 * any step is missing.
 *
 * Only own properties are read (so `constructor` or `__proto__` never reach the prototype), and an
 * array is entered only by a canonical index (`items.0`, not `items.length` or `items.01`).
 */
export function readField(data: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = data;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

const ARRAY_INDEX = /^(0|[1-9]\d{0,8})$/;
