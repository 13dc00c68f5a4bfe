/**
 * The default value codec of the cache: JSON, plus `bigint` (written as `{"$bigint":"123"}`), so
 * token amounts and voting power survive a trip through Redis exactly.
 *
 * Supported: `null`, booleans, finite numbers, strings, bigints, arrays and plain objects of these.
 * Lossy like JSON and therefore stored in their JSON form everywhere (the cache round-trips every
 * value, so memory and Redis hits look alike): a `Date` comes back as its ISO string, `NaN` and
 * `Infinity` as `null`, `undefined` object fields are dropped. Refused with
 * CB_CACHE_VALUE_UNSERIALIZABLE: `undefined` at the top, functions, symbols, `Map`, `Set`, cycles.
 * A namespace that needs other types passes its own `serialize`/`deserialize`.
 */
import { BaseError } from '../errors.ts';

const BIGINT_TAG = '$bigint';
const DECIMAL = /^-?\d+$/;

/** Thrown for a value the namespace's codec cannot turn into text (a programming error: do not retry). */
export class CacheValueError extends BaseError {
  override name = 'CacheValueError';
  constructor(message: string, cause?: unknown) {
    super('CB_CACHE_VALUE_UNSERIALIZABLE', message, { cause });
  }
}

/** JSON text of `value`, bigint-safe; throws CacheValueError for what JSON would silently lose. */
export function serializeJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return { [BIGINT_TAG]: v.toString() };
      if (typeof v === 'function' || typeof v === 'symbol') {
        throw new CacheValueError(`a ${typeof v} cannot be cached`);
      }
      if (v instanceof Map || v instanceof Set) {
        throw new CacheValueError(
          `a ${v.constructor.name} cannot be cached; convert it to an array or object`,
        );
      }
      return v;
    });
  } catch (err) {
    if (err instanceof CacheValueError) throw err;
    throw new CacheValueError(`value is not serializable: ${(err as Error).message}`, err);
  }
  if (typeof text !== 'string') throw new CacheValueError('undefined cannot be cached (use null)');
  return text;
}

/** Parses what `serializeJson` wrote, turning `{"$bigint":"…"}` back into a bigint. */
export function deserializeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const tagged = (v as Record<string, unknown>)[BIGINT_TAG];
      if (typeof tagged === 'string' && DECIMAL.test(tagged) && Object.keys(v).length === 1) {
        return BigInt(tagged);
      }
    }
    return v;
  }) as T;
}
