/** How the console shows GET /v1/ops/health (its shape: src/web/health-report.ts). */
import type { HealthItem, HealthReport, HealthStatus } from '../../../../src/web/health-report.ts';

export type { HealthItem, HealthReport, HealthStatus };

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
