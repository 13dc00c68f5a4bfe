/**
 * The shape of `GET /v1/ops/health` (built by health-summary.ts). Types only, with no imports, so
 * the console's browser build (web/) reads the same definitions as the server.
 */
export type HealthStatus = 'ok' | 'warn' | 'breach' | 'no_data';
export type HealthGroup =
  | 'api'
  | 'events'
  | 'jobs'
  | 'chain'
  | 'database'
  | 'cache'
  | 'host'
  | 'frontend'
  | 'incidents';
export type HealthUnit = 'seconds' | 'ratio' | 'count' | 'blocks' | 'per_minute' | 'score';

export interface HealthItem {
  id: string;
  group: HealthGroup;
  label: string;
  value: number | null;
  unit: HealthUnit;
  threshold: number | null;
  direction: 'max' | 'min';
  status: HealthStatus;
  /** Where the threshold comes from (seed section and item). */
  seed: string;
}

export interface HealthReport {
  generatedAt: string;
  /** Seconds the windowed figures cover. */
  windowSeconds: number;
  dependencies: Record<string, 'up' | 'down'>;
  dependencyErrors: Record<string, string>;
  /** Worst status over dependencies and items (no_data does not count). */
  status: 'ok' | 'warn' | 'breach';
  items: HealthItem[];
}
