/**
 * A namespace's entries in Redis (L2) as they are stored, for checks against the source of truth
 * (`cb reconcile cache`): read them at the namespace's current version, and repair one. Serving
 * code uses the namespace's get/set; this reads Redis only and never the memory of any process.
 *
 * A repair writes at the version the entry was read at, like a load does (cache-namespace.ts): if
 * the namespace was invalidated meanwhile the new text is unreachable instead of stale. It also
 * announces the key on the invalidation channel, so every instance drops its memory copy.
 */
import { UnavailableError } from '../errors.ts';
import type { CacheKeys } from './redis-keys.ts';
import { execAll, type RedisLink, type RedisOperation } from './redis-link.ts';

/** One entry as Redis holds it. */
export interface SharedEntry<T> {
  /** The namespace's key (no prefix, no version). */
  key: string;
  /** The namespace version it was read at. */
  version: number;
  /** The stored text. */
  text: string;
  /** The value as the namespace's codec reads the text, or why it cannot. */
  decoded: { ok: true; value: T } | { ok: false; error: string };
  /** When it expires (ms since the epoch); undefined: it has no expiry. */
  expiresAt: number | undefined;
}

export interface SharedScan<T> {
  /** The namespace version that was read. */
  version: number;
  /** Entries at that version when the key names were scanned. */
  total: number;
  /** All of them, or the sample asked for (fewer when some expired before their value was read). */
  entries: SharedEntry<T>[];
}

/** What a repair did: wrote the value, deleted the entry, or found it expired already. */
export type RepairOutcome = 'rewritten' | 'deleted' | 'gone';

export interface SharedEntries<T> {
  /** The namespace version in Redis now (missing = 0). */
  version(): Promise<number>;
  /**
   * The entries at the current version: all, or a uniform random sample of `sample`. Reads every
   * key name of the Redis database once (SCAN, 1000 per round trip: it never blocks Redis), then
   * the values of the chosen ones, 500 per round trip.
   */
  scan(options?: { sample?: number | undefined }): Promise<SharedScan<T>>;
  /**
   * Replaces `entry` with `value` for what remained of its lifetime (never longer), or deletes it
   * when `value` is undefined, then tells every instance to drop its memory copy of the key.
   * `gone`: it expired or was deleted since it was read (nothing is written).
   */
  repair(entry: SharedEntry<T>, value: T | undefined): Promise<RepairOutcome>;
}

const SCAN_COUNT = 1000;
const READ_BATCH = 500;

/** `text` matched literally by a Redis glob pattern. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\^]/g, '\\$&');

export function createSharedEntries<T>(deps: {
  name: string;
  link: RedisLink;
  keys: CacheKeys;
  /** The namespace's default lifetime: for an entry stored without an expiry. */
  ttlMs: number;
  serialize(value: T): string;
  deserialize(text: string): T;
  /** Called after a repair of `key` (the namespace drops its own memory copy). */
  onRepaired(key: string): void;
}): SharedEntries<T> {
  const { name, link, keys } = deps;

  /** Runs a command, throwing CB_REDIS_UNAVAILABLE when Redis fails (the link logged why). */
  const must = async <R>(
    operation: RedisOperation,
    what: string,
    fn: Parameters<RedisLink['run']>[2],
  ): Promise<R> => {
    const result = await link.run(name, operation, fn);
    if (!result.ok)
      throw new UnavailableError(
        'CB_REDIS_UNAVAILABLE',
        `redis failed while ${what} the "${name}" cache entries (the warning logged before says why)`,
      );
    return result.value as R;
  };

  const version = async (): Promise<number> => {
    const text = await must<string | null>('version', 'reading', (client) => client.get(keys.version(name)));
    const parsed = text === null ? 0 : Number(text);
    if (!Number.isSafeInteger(parsed))
      throw new UnavailableError(
        'CB_REDIS_UNAVAILABLE',
        `the version of the "${name}" cache in redis is not a number: ${JSON.stringify(text)}`,
      );
    return parsed;
  };

  return {
    version,

    async scan(options = {}) {
      const v = await version();
      const prefix = keys.entry(name, v, '');
      const pattern = `${escapeGlob(prefix)}*`;
      // SCAN may return a key twice (while Redis rehashes): a set.
      const names = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await must<[string, string[]]>('get', 'scanning', (client) =>
          client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT),
        );
        for (const k of batch) names.add(k);
        cursor = next;
      } while (cursor !== '0');

      let chosen = [...names];
      const sample = options.sample;
      if (sample !== undefined && sample < chosen.length) {
        // A partial Fisher-Yates shuffle: the first `sample` are a uniform random choice.
        for (let i = 0; i < sample; i++) {
          const j = i + Math.floor(Math.random() * (chosen.length - i));
          [chosen[i], chosen[j]] = [chosen[j]!, chosen[i]!];
        }
        chosen = chosen.slice(0, sample);
      }

      const entries: SharedEntry<T>[] = [];
      for (let i = 0; i < chosen.length; i += READ_BATCH) {
        const batch = chosen.slice(i, i + READ_BATCH);
        const readAt = Date.now();
        const values = await must<unknown[]>('get', 'reading', (client) => {
          const pipeline = client.pipeline();
          for (const k of batch) pipeline.get(k).pttl(k);
          return execAll(pipeline);
        });
        batch.forEach((redisKey, n) => {
          const text = values[2 * n] as string | null;
          const pttl = values[2 * n + 1] as number;
          if (text === null) return; // expired since the scan
          let decoded: SharedEntry<T>['decoded'];
          try {
            decoded = { ok: true, value: deps.deserialize(text) };
          } catch (err) {
            decoded = { ok: false, error: (err as Error).message };
          }
          entries.push({
            key: redisKey.slice(prefix.length),
            version: v,
            text,
            decoded,
            expiresAt: pttl >= 0 ? readAt + pttl : undefined,
          });
        });
      }
      return { version: v, total: names.size, entries };
    },

    async repair(entry, value) {
      const entryKey = keys.entry(name, entry.version, entry.key);
      const [channel, message] = link.message(name, { keys: [entry.key] });
      const ttlMs = entry.expiresAt === undefined ? deps.ttlMs : entry.expiresAt - Date.now();
      let outcome: RepairOutcome;
      if (value === undefined || ttlMs < 1) {
        const [deleted] = await must<[number]>('delete', 'repairing', (client) =>
          execAll(client.pipeline().del(entryKey).publish(channel, message)),
        );
        outcome = value !== undefined || deleted === 0 ? 'gone' : 'deleted';
      } else {
        const text = deps.serialize(value);
        // XX: an entry that expired meanwhile is not brought back.
        const [written] = await must<[string | null]>('set', 'repairing', (client) =>
          execAll(client.pipeline().set(entryKey, text, 'PX', ttlMs, 'XX').publish(channel, message)),
        );
        outcome = written === 'OK' ? 'rewritten' : 'gone';
      }
      deps.onRepaired(entry.key);
      return outcome;
    },
  };
}
