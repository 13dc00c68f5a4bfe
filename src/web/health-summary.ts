/**
 * The system health summary behind `GET /v1/ops/health`: each dependency's state (the readiness
 * checks) and the key metrics of this instance against the seed's thresholds, computed from the
 * metrics registry over a sliding window (5 min by default) — the figures an operator would
 * otherwise read off Prometheus, available without it.
 *
 * Counters and histograms are windowed by differencing against a snapshot of the registry taken
 * at most `windowMs` ago (snapshots every `sampleIntervalMs`; a younger process reports since it
 * started). Quantiles are PromQL's `histogram_quantile` estimate. Gauges are read as they are.
 * Browser-side figures (Web Vitals) use the 75th percentile, as Core Web Vitals do.
 *
 * Each item: `value` (null when there is no data — for a ratio, fewer than 20 events in the window), `threshold`, `direction` (`max`: above it is a
 * breach; `min`: below it is), and `status`: `ok`, `warn` (within 80 % of a `max` threshold),
 * `breach`, or `no_data`. Items without a threshold (baselines in the seed) are `ok` when they
 * have data.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ReadinessReport } from '../api/index.ts';
import { isHttpErrorStatus, isHttpProbeRoute, type Metrics } from '../platform/metrics.ts';
import type { HealthItem, HealthReport, HealthStatus } from './health-report.ts';
import { type Bucket, histogramQuantile } from './histogram-quantile.ts';

export interface HealthSummaryOptions {
  metrics: Metrics;
  /** Runs the readiness checks (runReadiness over the app's checks). */
  readiness: () => Promise<ReadinessReport>;
  /** @defaultValue 300_000 */
  windowMs?: number | undefined;
  /** @defaultValue 30_000 */
  sampleIntervalMs?: number | undefined;
  /** @defaultValue Date.now */
  now?: (() => number) | undefined;
}

export interface HealthSummary {
  /** Starts taking snapshots; returns the function that stops. */
  start(): () => void;
  /** Takes a snapshot now (tests; the timer calls it). */
  sample(): Promise<void>;
  report(): Promise<HealthReport>;
}

type Labels = Partial<Record<string, string | number>>;
type Sample = { name: string; labels: Labels; value: number };
type Snapshot = { at: number; samples: Map<string, Sample[]> };

const keyOf = (s: Sample) =>
  `${s.name}|${Object.entries(s.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

async function snapshot(metrics: Metrics, at: number): Promise<Snapshot> {
  const families = (await metrics.registry.getMetricsAsJSON()) as MetricObjectWithValues<
    MetricValue<string>
  >[];
  const samples = new Map<string, Sample[]>();
  for (const f of families) {
    for (const v of f.values) {
      const name = (v as { metricName?: string }).metricName ?? f.name;
      const list = samples.get(name) ?? [];
      list.push({ name, labels: v.labels as Labels, value: v.value });
      samples.set(name, list);
    }
  }
  return { at, samples };
}

type Pred = (labels: Labels) => boolean;
const all: Pred = () => true;

/** Windowed reads over (current − baseline). */
class Window {
  constructor(
    private readonly cur: Snapshot,
    private readonly base: Snapshot | undefined,
  ) {}

  private baseValues(name: string): Map<string, number> {
    return new Map((this.base?.samples.get(name) ?? []).map((s) => [keyOf(s), s.value]));
  }

  /** Sum over matching series of the increase of a counter (or histogram _count/_sum). */
  increase(name: string, pred: Pred = all): number {
    const base = this.baseValues(name);
    let total = 0;
    for (const s of this.cur.samples.get(name) ?? []) {
      if (!pred(s.labels)) continue;
      total += Math.max(0, s.value - (base.get(keyOf(s)) ?? 0));
    }
    return total;
  }

  /** Cumulative buckets of the increase of a histogram, summed over matching series. */
  buckets(family: string, pred: Pred = all): Bucket[] {
    const name = `${family}_bucket`;
    const base = this.baseValues(name);
    const byLe = new Map<number, number>();
    for (const s of this.cur.samples.get(name) ?? []) {
      const { le, ...rest } = s.labels;
      if (!pred(rest)) continue;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      byLe.set(bound, (byLe.get(bound) ?? 0) + Math.max(0, s.value - (base.get(keyOf(s)) ?? 0)));
    }
    return [...byLe].map(([le, count]) => ({ le, count }));
  }

  quantile(q: number, family: string, pred: Pred = all): number | null {
    return histogramQuantile(q, this.buckets(family, pred)) ?? null;
  }

  mean(family: string, pred: Pred = all): number | null {
    const count = this.increase(`${family}_count`, pred);
    return count > 0 ? this.increase(`${family}_sum`, pred) / count : null;
  }

  /** Current gauge values of matching series. */
  gauges(name: string, pred: Pred = all): number[] {
    return (this.cur.samples.get(name) ?? []).filter((s) => pred(s.labels)).map((s) => s.value);
  }

  gauge(name: string, pred: Pred = all): number | null {
    const v = this.gauges(name, pred);
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) : null;
  }
}

/** Fewest events in the window for a ratio to mean something (3 look-ups with 0 hits is not a 0 % hit rate). */
export const MIN_RATIO_SAMPLES = 20;
const ratio = (num: number, den: number): number | null => (den >= MIN_RATIO_SAMPLES ? num / den : null);
const maxOf = (values: number[]): number | null => (values.length > 0 ? Math.max(...values) : null);

function statusOf(value: number | null, threshold: number | null, direction: 'max' | 'min'): HealthStatus {
  if (value === null || Number.isNaN(value)) return 'no_data';
  if (threshold === null) return 'ok';
  if (direction === 'min') return value < threshold ? 'breach' : 'ok';
  if (value > threshold) return 'breach';
  return threshold > 0 && value >= threshold * 0.8 ? 'warn' : 'ok';
}

/**
 * The requests the API figures count: every route but the probes (HTTP_PROBE_ROUTE_REGEX), exactly
 * the set of the recording rules behind ApiErrorRateHigh, Api5xxRateHigh and the latency alerts
 * (`route!~"/metrics|/healthz|/readyz"`), so the page shows the figure the alerts fire on — RUM
 * beacons, unmatched paths and the console's own pages included. A series without a route counts,
 * as in PromQL (its empty value does not match the regex).
 */
const isApiRoute: Pred = (l) => !isHttpProbeRoute(String(l.route ?? ''));

type Def = Omit<HealthItem, 'value' | 'status' | 'direction'> & {
  direction?: 'max' | 'min';
  value: (w: Window, minutes: number) => number | null;
};

const DEFS: Def[] = [
  // ── API (seed 2.1 API性能监控) ─────────────────────────────────────────────
  {
    id: 'api.p95',
    group: 'api',
    label: 'API latency p95',
    unit: 'seconds',
    threshold: 1,
    seed: '2.1 P95 响应时间 1000 ms',
    value: (w) => w.quantile(0.95, 'cb_http_request_duration_seconds', isApiRoute),
  },
  {
    id: 'api.mean',
    group: 'api',
    label: 'API latency mean',
    unit: 'seconds',
    threshold: 0.5,
    seed: '2.1 平均响应时间 500 ms',
    value: (w) => w.mean('cb_http_request_duration_seconds', isApiRoute),
  },
  {
    id: 'api.error_rate',
    group: 'api',
    // ApiErrorRateHigh's errors (HTTP_ERROR_STATUS_REGEX): 5xx, 408 and 499; not 429, a client over its limit.
    label: 'API error rate (5xx, 408 and 499)',
    unit: 'ratio',
    threshold: 0.01,
    seed: '2.1 错误率 1 %',
    value: (w) =>
      ratio(
        w.increase(
          'cb_http_request_duration_seconds_count',
          (l) => isApiRoute(l) && l.status_code !== undefined && isHttpErrorStatus(l.status_code),
        ),
        w.increase('cb_http_request_duration_seconds_count', isApiRoute),
      ),
  },
  {
    id: 'api.5xx_rate',
    group: 'api',
    label: 'API 5xx rate',
    unit: 'ratio',
    threshold: 0.001,
    seed: '2.1 5xx错误率 0.1 %',
    value: (w) =>
      ratio(
        w.increase(
          'cb_http_request_duration_seconds_count',
          (l) => isApiRoute(l) && Number(l.status_code) >= 500,
        ),
        w.increase('cb_http_request_duration_seconds_count', isApiRoute),
      ),
  },
  {
    id: 'api.throughput',
    group: 'api',
    label: 'API requests per minute',
    unit: 'per_minute',
    threshold: null,
    seed: '2.1 吞吐量 (baseline)',
    value: (w, minutes) => w.increase('cb_http_request_duration_seconds_count', isApiRoute) / minutes,
  },

  // ── Achievements (seed 2.2) ────────────────────────────────────────────────
  {
    id: 'events.delay_p95',
    group: 'events',
    label: 'Event processing delay p95',
    unit: 'seconds',
    threshold: 5,
    seed: '2.2 事件处理延迟 5000 ms',
    value: (w) => w.quantile(0.95, 'cb_event_processing_delay_seconds'),
  },
  {
    id: 'events.failure_rate',
    group: 'events',
    label: 'Event processing failures',
    unit: 'ratio',
    threshold: 0.005,
    seed: '2.2 事件处理成功率 99.5 %',
    value: (w) =>
      ratio(
        w.increase('cb_events_processed_total', (l) => l.result === 'failed'),
        w.increase('cb_events_processed_total'),
      ),
  },
  {
    id: 'events.pending',
    group: 'events',
    label: 'Events waiting to be processed',
    unit: 'count',
    threshold: null,
    seed: '2.2 事件处理延迟 (backlog)',
    value: (w) => w.gauge('cb_events_pending'),
  },

  // ── Jobs (seed 2.1 消息队列, 后台任务) ───────────────────────────────────────
  {
    id: 'jobs.depth_max',
    group: 'jobs',
    label: 'Deepest job queue',
    unit: 'count',
    threshold: 100,
    seed: '2.1 任务队列深度 100',
    value: (w) => maxOf(w.gauges('cb_queue_depth')),
  },
  {
    id: 'jobs.dead_letters',
    group: 'jobs',
    label: 'Dead-lettered jobs',
    unit: 'count',
    threshold: 0,
    seed: '2.1 死信队列消息数 (any)',
    value: (w) => w.gauge('cb_queue_dead_letter_depth'),
  },
  {
    id: 'jobs.failure_rate',
    group: 'jobs',
    label: 'Job failure rate',
    unit: 'ratio',
    threshold: 0.01,
    seed: '2.1 任务失败率 1 %',
    value: (w) =>
      ratio(
        w.increase('cb_jobs_total', (l) => l.result === 'failed'),
        w.increase('cb_jobs_total'),
      ),
  },
  {
    id: 'jobs.wait_p95',
    group: 'jobs',
    label: 'Job wait p95',
    unit: 'seconds',
    threshold: 5,
    seed: '2.1 消息处理延迟 5000 ms',
    value: (w) => w.quantile(0.95, 'cb_job_wait_seconds'),
  },

  // ── Chain (seed 2.1 区块链监听器) ───────────────────────────────────────────
  {
    id: 'chain.head',
    group: 'chain',
    label: 'Chain head block',
    unit: 'blocks',
    threshold: null,
    seed: '2.1 区块同步状态',
    value: (w) => positive(w.gauge('cb_chain_head_block')),
  },
  {
    id: 'chain.processed',
    group: 'chain',
    label: 'Last processed block',
    unit: 'blocks',
    threshold: null,
    seed: '2.1 区块同步状态',
    value: (w) =>
      positive(w.gauge('cb_chain_head_block')) === null ? null : w.gauge('cb_chain_processed_block'),
  },
  {
    id: 'chain.lag',
    group: 'chain',
    label: 'Listener lag',
    unit: 'blocks',
    threshold: 10,
    seed: '2.1 落后超过10个区块',
    value: (w) => (positive(w.gauge('cb_chain_head_block')) === null ? null : w.gauge('cb_chain_lag_blocks')),
  },
  {
    id: 'chain.reorgs',
    group: 'chain',
    label: 'Reorganisations in the window',
    unit: 'count',
    threshold: null,
    seed: '5.2 链上与链下数据同步',
    value: (w) =>
      positive(w.gauge('cb_chain_head_block')) === null ? null : w.increase('cb_chain_reorgs_total'),
  },
  {
    id: 'chain.tx_pending',
    group: 'chain',
    label: 'Transactions pending',
    unit: 'count',
    threshold: null,
    seed: '5.1 交易卡住',
    value: (w) => (positive(w.gauge('cb_chain_head_block')) === null ? null : w.gauge('cb_tx_pending')),
  },
  {
    id: 'chain.tx_oldest_pending',
    group: 'chain',
    label: 'Oldest unconfirmed mint transaction',
    unit: 'seconds',
    threshold: 300,
    seed: '2.2 解锁交易确认时间 5 min; 5.1 交易卡住',
    value: (w) => w.gauge('cb_tx_oldest_pending_seconds'),
  },
  {
    id: 'chain.mint_queue_wait',
    group: 'chain',
    label: 'Next mint request waiting',
    unit: 'seconds',
    threshold: 300,
    seed: '2.2 解锁成功率 (mints not sent)',
    value: (w) => w.gauge('cb_mint_request_oldest_pending_seconds'),
  },
  {
    id: 'chain.tx_confirmation_p95',
    group: 'chain',
    label: 'Mint confirmation p95',
    unit: 'seconds',
    threshold: 300,
    seed: '2.2 解锁交易确认时间 5 min',
    value: (w) => w.quantile(0.95, 'cb_tx_confirmation_seconds'),
  },
  {
    id: 'chain.rpc_error_rate',
    group: 'chain',
    label: 'RPC error rate',
    unit: 'ratio',
    threshold: 0.01,
    seed: '2.1 RPC节点错误率 1 %',
    value: (w) =>
      ratio(
        w.increase('cb_rpc_requests_total', (l) => l.result !== 'ok'),
        w.increase('cb_rpc_requests_total'),
      ),
  },

  // ── Database (seed 2.1 数据库) ──────────────────────────────────────────────
  {
    id: 'db.pool_utilization',
    group: 'database',
    label: 'Connection pool in use',
    unit: 'ratio',
    threshold: 0.8,
    seed: '2.1 连接数 80 %',
    value: (w) => {
      const max = w.gauge('cb_db_pool_max_connections');
      const active = w.gauge('cb_db_pool_connections', (l) => l.state === 'active');
      return max && active !== null ? active / max : null;
    },
  },
  {
    id: 'db.query_p95',
    group: 'database',
    label: 'Query time p95',
    unit: 'seconds',
    threshold: 0.2,
    seed: '2.1 查询响应时间 200 ms',
    value: (w) => w.quantile(0.95, 'cb_db_query_duration_seconds'),
  },
  {
    id: 'db.slow_per_minute',
    group: 'database',
    label: 'Slow queries per minute',
    unit: 'per_minute',
    threshold: 5,
    seed: '2.1 慢查询数量 5/min',
    value: (w, minutes) => w.increase('cb_db_slow_queries_total') / minutes,
  },
  {
    id: 'db.lock_wait',
    group: 'database',
    label: 'Longest lock wait',
    unit: 'seconds',
    threshold: 1,
    seed: '2.1 锁等待时间 1000 ms',
    value: (w) => w.gauge('cb_db_lock_wait_seconds'),
  },

  // ── Cache (seed 2.1 缓存) ───────────────────────────────────────────────────
  {
    id: 'cache.hit_rate',
    group: 'cache',
    label: 'Cache hit rate',
    unit: 'ratio',
    threshold: 0.85,
    direction: 'min',
    seed: '2.1 缓存命中率 85 %',
    value: (w) =>
      ratio(
        w.increase('cb_cache_requests_total', (l) => l.level === 'memory' && l.result === 'hit'),
        w.increase('cb_cache_requests_total', (l) => l.level === 'memory'),
      ),
  },
  {
    id: 'cache.redis_memory',
    group: 'cache',
    label: 'Redis memory used',
    unit: 'ratio',
    threshold: 0.75,
    seed: '2.1 Redis内存使用率 75 %',
    // As RedisMemoryHigh: of maxmemory, or of the host's memory when maxmemory is 0 (the default).
    value: (w) => {
      const limit = w.gauge('cb_redis_memory_max_bytes') || w.gauge('cb_redis_total_system_memory_bytes');
      const used = w.gauge('cb_redis_memory_used_bytes');
      return limit && used !== null ? used / limit : null;
    },
  },

  // ── Host (seed 2.1 服务器资源) ──────────────────────────────────────────────
  {
    id: 'host.cpu',
    group: 'host',
    label: 'CPU',
    unit: 'ratio',
    threshold: 0.8,
    seed: '2.1 CPU使用率 80 %',
    value: (w) => w.gauge('cb_host_cpu_utilization_ratio'),
  },
  {
    id: 'host.memory',
    group: 'host',
    label: 'Memory',
    unit: 'ratio',
    threshold: 0.85,
    seed: '2.1 内存使用率 85 %',
    value: (w) => w.gauge('cb_host_memory_utilization_ratio'),
  },
  {
    id: 'host.disk',
    group: 'host',
    label: 'Fullest disk',
    unit: 'ratio',
    threshold: 0.8,
    seed: '2.1 磁盘使用率 80 %',
    value: (w) => maxOf(w.gauges('cb_host_disk_utilization_ratio')),
  },

  // ── Frontend, from browsers (seed 2.3 用户体验监控) ─────────────────────────
  ...(
    [
      ['page_load', 'Page load p75', 2, '2.3 页面加载时间 2000 ms'],
      ['FCP', 'First Contentful Paint p75', 1, '2.3 FCP 1000 ms'],
      ['LCP', 'Largest Contentful Paint p75', 2.5, '2.3 LCP 2500 ms'],
      ['FID', 'First Input Delay p75', 0.1, '2.3 FID 100 ms'],
      ['INP', 'Interaction to Next Paint p75', 0.2, 'Core Web Vitals INP 200 ms (not in the seed)'],
    ] as const
  ).map(
    ([name, label, threshold, seed]): Def => ({
      id: `web.${name.toLowerCase()}_p75`,
      group: 'frontend',
      label,
      unit: 'seconds',
      threshold,
      seed,
      value: (w) => w.quantile(0.75, 'cb_web_vital_seconds', (l) => l.name === name),
    }),
  ),
  {
    id: 'web.cls_p75',
    group: 'frontend',
    label: 'Cumulative Layout Shift p75',
    unit: 'score',
    threshold: 0.1,
    seed: '2.3 CLS 0.1',
    value: (w) => w.quantile(0.75, 'cb_web_cls'),
  },
  {
    id: 'web.api_p95',
    group: 'frontend',
    label: 'API end to end p95 (browser)',
    unit: 'seconds',
    threshold: 1,
    seed: '2.3 端到端响应时间 1000 ms',
    value: (w) => w.quantile(0.95, 'cb_frontend_api_duration_seconds'),
  },
  {
    id: 'web.api_error_rate',
    group: 'frontend',
    label: 'API error rate (browser)',
    unit: 'ratio',
    threshold: 0.01,
    seed: '2.3 API错误率 1 %',
    value: (w) =>
      ratio(
        w.increase('cb_frontend_api_failures_total', (l) => l.kind === 'error'),
        w.increase('cb_frontend_api_calls_total'),
      ),
  },
  {
    id: 'web.api_timeout_rate',
    group: 'frontend',
    label: 'API timeout rate (browser)',
    unit: 'ratio',
    threshold: 0.005,
    seed: '2.3 API超时率 0.5 %',
    value: (w) =>
      ratio(
        w.increase('cb_frontend_api_failures_total', (l) => l.kind === 'timeout'),
        w.increase('cb_frontend_api_calls_total'),
      ),
  },
  {
    id: 'web.incomplete',
    group: 'frontend',
    label: 'Incomplete data loads',
    unit: 'count',
    threshold: 0,
    seed: '2.3 数据加载完整性 (any)',
    value: (w) =>
      w.increase('cb_frontend_api_calls_total') > 0
        ? w.increase('cb_frontend_api_failures_total', (l) => l.kind === 'incomplete')
        : null,
  },
  {
    id: 'web.error_rate',
    group: 'frontend',
    label: 'JavaScript errors per page view',
    unit: 'ratio',
    threshold: 0.01,
    seed: '2.3 错误遇到率 1 %',
    value: (w) => ratio(w.increase('cb_frontend_errors_total'), w.increase('cb_frontend_page_views_total')),
  },
  {
    id: 'web.bounce_rate',
    group: 'frontend',
    label: 'Bounce rate',
    unit: 'ratio',
    threshold: null,
    seed: '2.3 跳出率 (per page type)',
    value: (w) =>
      ratio(
        w.increase('cb_frontend_sessions_total', (l) => l.outcome === 'bounced'),
        w.increase('cb_frontend_sessions_total'),
      ),
  },
  {
    id: 'web.page_views',
    group: 'frontend',
    label: 'Page views per minute',
    unit: 'per_minute',
    threshold: null,
    seed: '2.3 功能使用频率 (baseline)',
    value: (w, minutes) => w.increase('cb_frontend_page_views_total') / minutes,
  },

  // ── Incidents (seed 3) ──────────────────────────────────────────────────────
  ...(['P0', 'P1'] as const).map(
    (severity): Def => ({
      id: `incidents.open_${severity.toLowerCase()}`,
      group: 'incidents',
      label: `Open ${severity} incidents`,
      unit: 'count',
      threshold: 0,
      seed: '3.1 告警分级',
      value: (w) =>
        w.gauge(
          'cb_incidents',
          (l) => l.severity === severity && (l.state === 'triggered' || l.state === 'acknowledged'),
        ),
    }),
  ),
];

function positive(v: number | null): number | null {
  return v !== null && v > 0 ? v : null;
}

/** Creates the summary; see the module comment. */
export function createHealthSummary(options: HealthSummaryOptions): HealthSummary {
  const windowMs = options.windowMs ?? 300_000;
  const intervalMs = options.sampleIntervalMs ?? 30_000;
  const now = options.now ?? Date.now;
  const startedAt = now();
  let snapshots: Snapshot[] = [];

  const sample = async () => {
    const at = now();
    snapshots.push(await snapshot(options.metrics, at));
    snapshots = snapshots.filter((s) => s.at >= at - windowMs - intervalMs);
  };

  return {
    sample,
    start() {
      const timer = setInterval(() => void sample().catch(() => undefined), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    async report() {
      const at = now();
      const [cur, readiness] = await Promise.all([snapshot(options.metrics, at), options.readiness()]);
      const base = snapshots.find((s) => s.at >= at - windowMs && s.at < at);
      const from = base?.at ?? startedAt;
      const minutes = Math.max((at - from) / 60_000, 1 / 60);
      const w = new Window(cur, base);
      const items = DEFS.map((d): HealthItem => {
        const direction = d.direction ?? 'max';
        const raw = d.value(w, minutes);
        const value = raw === null || !Number.isFinite(raw) ? null : raw;
        return {
          id: d.id,
          group: d.group,
          label: d.label,
          value,
          unit: d.unit,
          threshold: d.threshold,
          direction,
          status: statusOf(value, d.threshold, direction),
          seed: d.seed,
        };
      });
      const statuses = [
        ...items.map((i) => i.status),
        ...Object.values(readiness.checks).map((c) => (c === 'up' ? 'ok' : 'breach')),
      ];
      return {
        generatedAt: new Date(at).toISOString(),
        windowSeconds: Math.round((at - from) / 1000),
        dependencies: readiness.checks,
        dependencyErrors: readiness.errors,
        status: statuses.includes('breach') ? 'breach' : statuses.includes('warn') ? 'warn' : 'ok',
        items,
      };
    },
  };
}
