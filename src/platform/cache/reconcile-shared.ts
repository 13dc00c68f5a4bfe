/**
 * Database and cache in step (seed 5.2 数据库与缓存同步, 6.2 定期验证缓存与源数据一致性): compares a
 * namespace's entries in Redis with what the source of truth gives for their keys now, and with
 * `fix` repairs every stale one from the source (the source wins). The domain that owns a kind of
 * cached value says how to recompute a key and what differs; this does the rest.
 *
 * - Entries are read at the namespace's current version. If the version moved before the check
 *   ended (an invalidation of the whole namespace, e.g. a badge changed hands), the entries read
 *   are no longer served by anyone: nothing is reported stale and nothing is repaired
 *   (`invalidatedDuringCheck`; run it again).
 * - A stale entry is rewritten with the source's value for what remained of its lifetime; one whose
 *   text cannot be decoded and whose key cannot be recomputed is deleted. Either way every instance
 *   drops its memory copy. An entry whose key the source cannot recompute (`unverifiable`) is left
 *   alone: it expires with its TTL.
 * - Only Redis is compared: each instance's memory copies (L1) are its own; a repair drops them for
 *   the key everywhere.
 */
import { CacheArgumentError, type CacheNamespace } from './cache-namespace.ts';
import type { RepairOutcome, SharedEntry } from './shared-entries.ts';

/** One field that differs, both sides as text. */
export interface CacheDifference {
  field: string;
  cached: string;
  source: string;
}

/** What the source gives for a key: its value, or why it cannot tell. */
export type Recomputed<T> = { value: T } | { unverifiable: string };

export interface ReconcileSharedOptions<T> {
  /** Check a random sample of this many entries. @defaultValue every entry */
  sample?: number | undefined;
  /** Repair what is stale. @defaultValue false */
  fix?: boolean | undefined;
  /** The source's values for these keys now (called with up to 500 keys at a time). */
  recompute(keys: readonly string[]): Promise<Map<string, Recomputed<T>>>;
  /** What differs between a cached value and the source's; empty when they agree. */
  differences(cached: T, source: T): CacheDifference[];
  /** After each batch: entries compared so far, of how many. */
  onProgress?: ((checked: number, of: number) => void) | undefined;
}

export interface StaleCacheEntry {
  key: string;
  differences: CacheDifference[];
  /** What `fix` did (absent without it). */
  repair?: RepairOutcome | undefined;
}

export interface SharedReconcileReport {
  /** The namespace. */
  cache: string;
  /** The namespace version whose entries were read. */
  version: number;
  /** Entries at that version in Redis. */
  entries: number;
  /** Entries compared with the source. */
  checked: number;
  stale: StaleCacheEntry[];
  /** Entries the source cannot recompute, with why (left alone). */
  unverifiable: { key: string; reason: string }[];
  /** The namespace was invalidated while it was checked: the entries read are not served any more. */
  invalidatedDuringCheck: boolean;
  /** `fix` was asked and the repairs were made. */
  fixed: boolean;
}

const BATCH = 500;

/** Compares (and with `fix` repairs) the namespace's entries in Redis; throws CB_REDIS_UNAVAILABLE without Redis. */
export async function reconcileShared<T>(
  namespace: CacheNamespace<T>,
  options: ReconcileSharedOptions<T>,
): Promise<SharedReconcileReport> {
  const shared = namespace.shared;
  if (!shared)
    throw new CacheArgumentError(`the "${namespace.name}" cache has no Redis: nothing shared to check`);
  const scan = await shared.scan({ sample: options.sample });
  const stale: { entry: SharedEntry<T>; value: T | undefined; report: StaleCacheEntry }[] = [];
  const unverifiable: SharedReconcileReport['unverifiable'] = [];

  for (let i = 0; i < scan.entries.length; i += BATCH) {
    const batch = scan.entries.slice(i, i + BATCH);
    const fresh = await options.recompute(batch.map((e) => e.key));
    for (const entry of batch) {
      const source = fresh.get(entry.key) ?? { unverifiable: 'not recomputed' };
      if ('unverifiable' in source) {
        if (entry.decoded.ok) unverifiable.push({ key: entry.key, reason: source.unverifiable });
        else
          stale.push({
            entry,
            value: undefined,
            report: { key: entry.key, differences: [undecodable(entry.decoded.error, source.unverifiable)] },
          });
        continue;
      }
      const differences = entry.decoded.ok
        ? options.differences(entry.decoded.value, source.value)
        : [undecodable(entry.decoded.error, 'recomputed')];
      if (differences.length > 0)
        stale.push({ entry, value: source.value, report: { key: entry.key, differences } });
    }
    options.onProgress?.(Math.min(i + BATCH, scan.entries.length), scan.entries.length);
  }

  const invalidatedDuringCheck = (await shared.version()) !== scan.version;
  const fix = options.fix === true && !invalidatedDuringCheck;
  if (fix) for (const s of stale) s.report.repair = await shared.repair(s.entry, s.value);
  return {
    cache: namespace.name,
    version: scan.version,
    entries: scan.total,
    checked: scan.entries.length,
    stale: invalidatedDuringCheck ? [] : stale.map((s) => s.report),
    unverifiable,
    invalidatedDuringCheck,
    fixed: fix,
  };
}

function undecodable(error: string, source: string): CacheDifference {
  return { field: '(value)', cached: `cannot be decoded: ${error}`, source };
}
