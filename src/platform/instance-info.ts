/**
 * `cb_instance_info{role,version} 1`: what this process is. Prometheus scrapes every role under
 * one job (`cb`) with no role label, so the rules that care which role is up (ApiDown: is any
 * process serving /v1 up?) join this series with `up` on `instance`.
 */
import { createRequire } from 'node:module';
import type { Metrics } from './metrics.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The cb version (package.json), as `cb_instance_info` labels it. */
export const CB_VERSION: string = version;

/** Exports `cb_instance_info{role, version} 1` for this process's role (call once, when it starts). */
export function recordInstanceInfo(metrics: Pick<Metrics, 'instanceInfo'>, role: string): void {
  metrics.instanceInfo.reset();
  metrics.instanceInfo.set({ role, version: CB_VERSION }, 1);
}
