/**
 * The Kubernetes manifests (deploy/kubernetes) against what they promise (docs/operations.md,
 * "Deploying"): one Deployment per role running `cb start --role <role>`; liveness on /healthz and
 * readiness on /readyz of the port cb listens on; a termination grace above the preStop pause plus
 * cb's drain; the api and the workers autoscaled between bounds (seed 8.2), the listener alone and
 * recreated; a Service and a disruption budget for the api; resources, a hardened pod and the
 * Prometheus annotations on each; and every environment variable a real cb setting with a value cb
 * accepts, credentials only in the Secret. (No cluster and no schema validator here: the shapes are
 * checked field by field.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { PARTITIONS } from '../../src/achievements/partition.ts';
import { ROLES } from '../../src/main.ts';
import { CREDENTIAL_SETTINGS, configFrom, KUBERNETES_DIR, SETTING_NAMES } from './support.ts';

/** A parsed manifest: its fields are checked one by one below, hence `any`. */
type Manifest = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field.
  [k: string]: any;
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const files = yamlFiles(KUBERNETES_DIR);
const texts = new Map(files.map((f) => [relative(KUBERNETES_DIR, f), readFileSync(f, 'utf8')]));
const manifests: (Manifest & { file: string })[] = [...texts].flatMap(([file, text]) =>
  YAML.parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    return { ...(doc.toJS() as Manifest), file };
  }),
);

const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) => {
  const found = ofKind(kind).find((m) => m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

const configMap = named('ConfigMap', 'cb-config');
const secrets = ofKind('Secret');
const settingsSecret = named('Secret', 'cb-secrets');
const deployments = ofKind('Deployment');
const hpas = ofKind('HorizontalPodAutoscaler');
// What every process runs with: the ConfigMap, the Secret's example, cb's defaults for the rest.
const config = configFrom({ ...configMap.data, ...settingsSecret.stringData });
const ROLE_OF: Record<string, string> = { 'cb-api': 'api', 'cb-worker': 'worker', 'cb-listener': 'listener' };

const containerOf = (d: Manifest) => {
  expect(d.spec.template.spec.containers).toHaveLength(1);
  return d.spec.template.spec.containers[0];
};
const preStopSeconds = (c: Manifest) => {
  const command: string[] | undefined = c.lifecycle?.preStop?.exec?.command;
  if (!command) return 0;
  expect(command[0]).toBe('sleep');
  return Number(command[1]);
};

describe('kubernetes manifests', () => {
  test('default: one Deployment per role, each running `cb start --role <role>`', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(Object.keys(ROLE_OF).sort());
    const images = new Set<string>();
    for (const d of deployments) {
      const role = ROLE_OF[d.metadata.name]!;
      expect(ROLES).toContain(role);
      const c = containerOf(d);
      expect(c.args).toEqual(['start', '--role', role]);
      images.add(c.image);
      const labels = d.spec.template.metadata.labels;
      expect(labels['app.kubernetes.io/component']).toBe(role);
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    }
    expect(images.size).toBe(1);
  });

  test('default: liveness asks /healthz and readiness /readyz, on the port cb listens on', () => {
    expect(config.host).toBe('0.0.0.0');
    for (const d of deployments) {
      const c = containerOf(d);
      const ports = c.ports as { name: string; containerPort: number }[];
      const portOf = (p: string | number) =>
        typeof p === 'number' ? p : ports.find((x) => x.name === p)?.containerPort;
      expect(ports.map((p) => p.containerPort)).toEqual([config.port]);
      for (const [probe, path] of [
        ['startupProbe', '/healthz'],
        ['livenessProbe', '/healthz'],
        ['readinessProbe', '/readyz'],
      ] as const) {
        const get = c[probe]?.httpGet;
        expect({ deployment: d.metadata.name, probe, path: get?.path }).toEqual({
          deployment: d.metadata.name,
          probe,
          path,
        });
        expect(portOf(get.port)).toBe(config.port);
      }
      // /readyz waits up to CB_READY_TIMEOUT_MS for its checks: the probe must wait longer.
      expect(c.readinessProbe.timeoutSeconds * 1000).toBeGreaterThan(config.readyTimeoutMs);
      // A hung process is replaced within about a minute, once it has started.
      const live = c.livenessProbe;
      expect(live.periodSeconds * live.failureThreshold + live.timeoutSeconds).toBeLessThanOrEqual(60);
    }
  });

  test('default: the termination grace covers the preStop pause and cb drain, for the default grace too', () => {
    const defaultGraceS = configFrom({}).shutdownGraceMs / 1000;
    for (const d of deployments) {
      const graceS = d.spec.template.spec.terminationGracePeriodSeconds as number;
      const pauseS = preStopSeconds(containerOf(d));
      expect(graceS).toBeGreaterThan(defaultGraceS);
      // Room after the drain to close Redis and the database before SIGKILL.
      expect(graceS).toBeGreaterThanOrEqual(pauseS + config.shutdownGraceMs / 1000 + 10);
    }
    // The api is behind a Service: it pauses until the endpoints have dropped it.
    expect(preStopSeconds(containerOf(named('Deployment', 'cb-api')))).toBeGreaterThanOrEqual(5);
  });

  test('default: the api and the workers autoscale between bounds, on CPU', () => {
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['cb-api', 'cb-worker']);
    for (const h of hpas) {
      const d = named('Deployment', h.spec.scaleTargetRef.name);
      expect(h.spec.scaleTargetRef.kind).toBe('Deployment');
      // The HPA owns the count: a replicas field would reset it at every apply.
      expect(d.spec.replicas).toBeUndefined();
      expect(h.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
      const cpu = h.spec.metrics.find((m: Manifest) => m.resource?.name === 'cpu');
      // Seed 8.1: a 30 % buffer above the target for bursts.
      expect(cpu.resource.target.averageUtilization).toBeLessThanOrEqual(70);
      // Utilization is a share of the request: there must be one.
      expect(containerOf(d).resources.requests.cpu).toBeDefined();
    }
    // More event loops than partitions would wait for one.
    const worker = named('HorizontalPodAutoscaler', 'cb-worker');
    expect(worker.spec.maxReplicas * config.eventWorkers).toBeLessThanOrEqual(PARTITIONS);
  });

  test('default: exactly one listener, replaced by stopping the old one first', () => {
    const listener = named('Deployment', 'cb-listener');
    expect(listener.spec.replicas).toBe(1);
    expect(listener.spec.strategy).toEqual({ type: 'Recreate' });
    expect(hpas.some((h) => h.spec.scaleTargetRef.name === 'cb-listener')).toBe(false);
  });

  test('default: the api has a Service and a disruption budget its autoscaler leaves room for', () => {
    const api = named('Deployment', 'cb-api');
    const labels = api.spec.template.metadata.labels;
    const service = named('Service', 'cb-api');
    for (const [k, v] of Object.entries(service.spec.selector)) expect(labels[k]).toBe(v);
    expect(service.spec.ports.map((p: Manifest) => p.targetPort)).toEqual(['http']);
    const pdb = named('PodDisruptionBudget', 'cb-api');
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    expect(pdb.spec.minAvailable).toBeLessThan(named('HorizontalPodAutoscaler', 'cb-api').spec.minReplicas);
    expect(api.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  test('default: every pod has resources, runs unprivileged on a read-only root and is scraped', () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const c = containerOf(d);
      for (const kind of ['requests', 'limits'])
        for (const r of ['cpu', 'memory'])
          expect([d.metadata.name, kind, r, c.resources[kind][r]]).not.toContain(undefined);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      // The only writes: tsx's compile cache in /tmp and CB_DATA_DIR.
      const mounts = (c.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
      expect(mounts).toContain('/tmp');
      expect(mounts).toContain(config.dataDir);
      const a = d.spec.template.metadata.annotations;
      expect(a).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(config.port),
        'prometheus.io/path': '/metrics',
      });
      // Unique per process: Prometheus and the logs tell instances apart by it.
      expect(c.env.find((e: Manifest) => e.name === 'CB_INSTANCE')?.valueFrom?.fieldRef?.fieldPath).toBe(
        'metadata.name',
      );
      expect(c.envFrom).toEqual([
        { configMapRef: { name: 'cb-config' } },
        { secretRef: { name: 'cb-secrets' } },
      ]);
    }
  });

  test('default: every variable named is a cb setting, and credentials are only in Secrets', () => {
    const names = new Set<string>([
      ...Object.keys(configMap.data),
      ...secrets
        .filter((s) => s.metadata.name === 'cb-secrets')
        .flatMap((s) => Object.keys(s.stringData ?? {})),
      ...deployments.flatMap((d) => (containerOf(d).env ?? []).map((e: Manifest) => e.name as string)),
    ]);
    // Commented-out ones too (`# CB_BADGE_ADDRESS: …`, `# - name: CB_MINTER_KEY_FILE`): an example to
    // uncomment must be right as well.
    for (const text of texts.values())
      for (const m of text.matchAll(/^\s*#\s*(?:- name:\s*)?([A-Z][A-Z0-9_]{2,})(?::|\s*$)/gm))
        names.add(m[1]!);
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(SETTING_NAMES).toContain(name);
    for (const name of Object.keys(configMap.data)) expect(CREDENTIAL_SETTINGS).not.toContain(name);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'RPC_URLS'])
      expect(Object.keys(settingsSecret.stringData)).toContain(name);
    // The example Secret is not applied with the rest (`kubectl apply -f deploy/kubernetes/`).
    for (const s of secrets) expect(s.file.startsWith('examples/')).toBe(true);
  });
});
