/**
 * The binaries `cb monitor up` runs, the Debian package of each, and finding them on PATH (no
 * shell). Prometheus and Alertmanager are required; the exporters run when installed (and, for the
 * PostgreSQL and Redis exporters, when the platform uses those servers).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type MonitorComponent = 'prometheus' | 'alertmanager' | 'node' | 'postgres' | 'redis';

export interface MonitorBinary {
  component: MonitorComponent;
  binary: string;
  debianPackage: string;
  required: boolean;
}

export const MONITOR_BINARIES: readonly MonitorBinary[] = [
  { component: 'prometheus', binary: 'prometheus', debianPackage: 'prometheus', required: true },
  {
    component: 'alertmanager',
    binary: 'prometheus-alertmanager',
    debianPackage: 'prometheus-alertmanager',
    required: true,
  },
  {
    component: 'node',
    binary: 'prometheus-node-exporter',
    debianPackage: 'prometheus-node-exporter',
    required: false,
  },
  {
    component: 'postgres',
    binary: 'prometheus-postgres-exporter',
    debianPackage: 'prometheus-postgres-exporter',
    required: false,
  },
  {
    component: 'redis',
    binary: 'prometheus-redis-exporter',
    debianPackage: 'prometheus-redis-exporter',
    required: false,
  },
];

/** The absolute path of `binary` on `path` (a PATH string), or undefined. */
export function findBinary(binary: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
