/**
 * What `buildApp` receives: the common context plus the things HTTP needs. Built by `src/main.ts`
 * (or by a test); nothing in `src/api` creates its own database, keys or Redis client.
 */
import type { Redis } from 'ioredis';
import type { ApiKeys } from '../platform/apikeys/index.ts';
import type { Common } from '../platform/common.ts';
import type { Db } from '../platform/db/create-db.ts';

/** One dependency checked by `GET /readyz`. */
export interface ReadinessCheck {
  /** Names the dependency in the reply and in `cb_dependency_up{dependency}` (bounded: `database`, `redis`…). */
  name: string;
  /** Resolves when the dependency answered within `timeoutMs`; throws (with a reason) otherwise. */
  check(timeoutMs: number): Promise<void>;
}

export interface AppContext extends Common {
  db: Db;
  apiKeys: ApiKeys;
  /** Run concurrently by `GET /readyz`; names must be unique. */
  readiness: readonly ReadinessCheck[];
  /** Shared client for rate limits across instances; in-memory limits per instance without it. */
  redis?: Redis | undefined;
}
