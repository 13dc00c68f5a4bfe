/** The shape of GET /v1/ops/health (src/web/health-summary.ts) and how to show its values. */
export type HealthStatus = 'ok' | 'warn' | 'breach' | 'no_data';

export interface HealthItem {
  id: string;
  group: string;
  label: string;
  value: number | null;
  unit: 'seconds' | 'ratio' | 'count' | 'blocks' | 'per_minute' | 'score';
  threshold: number | null;
  direction: 'max' | 'min';
  status: HealthStatus;
  seed: string;
}

export interface HealthReport {
  generatedAt: string;
  windowSeconds: number;
  dependencies: Record<string, 'up' | 'down'>;
  dependencyErrors: Record<string, string>;
  status: 'ok' | 'warn' | 'breach';
  items: HealthItem[];
}

export function formatValue(value: number | null, unit: HealthItem['unit']): string {
  if (value === null) return 'no data';
  switch (unit) {
    case 'seconds':
      return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(value < 10 ? 2 : 0)} s`;
    case 'ratio':
      return `${(value * 100).toFixed(value < 0.01 ? 2 : 1)} %`;
    case 'per_minute':
      return `${value.toFixed(value < 10 ? 1 : 0)}/min`;
    case 'score':
      return value.toFixed(3);
    default:
      return Math.round(value).toLocaleString('en');
  }
}

export const STATUS_TEXT: Record<HealthStatus, string> = {
  ok: 'OK',
  warn: 'near the limit',
  breach: 'over the limit',
  no_data: 'no data',
};

export const isHealth = (b: unknown) => Array.isArray((b as HealthReport).items);
