/**
 * Every metric of the platform, declared once with typed labels (prom-client).
 *
 * Names start `cb_`, carry their unit, and label values come from bounded sets — never a user
 * address or free text. `docs/metrics.md` lists each with the seed line it serves; a test checks
 * that the doc and this module agree. Later domains add their metrics here too.
 */
import client, { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: 5 ms … 10 s (API latency; the seed alerts at 500 ms mean and 1 s p95). */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];
/**
 * The `status_code` values of cb_http_request_duration_seconds that count as API errors (seed 2.1
 * 错误率): 5xx, 408 and 499 (the client gave up). Other 4xx — 429 too — are the client's doing.
 * A PromQL regex (fully anchored): rules/api.yml matches it verbatim (a test checks) and the
 * console's health page through {@link isHttpErrorStatus}, so the two cannot disagree.
 */
export const HTTP_ERROR_STATUS_REGEX = '5..|408|499';
const httpErrorStatus = new RegExp(`^(?:${HTTP_ERROR_STATUS_REGEX})$`);
/** True when a request with this status code counts as an API error (HTTP_ERROR_STATUS_REGEX). */
export const isHttpErrorStatus = (statusCode: string | number): boolean =>
  httpErrorStatus.test(String(statusCode));
/**
 * The `route` values of cb_http_request_duration_seconds that are probes (liveness, readiness, the
 * scrape): machine traffic every API figure leaves out. Every other route counts — `/v1/rum`,
 * `/openapi.json`, the console's pages and `unmatched` too. A PromQL regex (fully anchored):
 * rules/api.yml's recordings match it verbatim as `route!~"…"` (a test checks) and the console's
 * health page through {@link isHttpProbeRoute}, so the page shows the figure the alerts fire on.
 */
export const HTTP_PROBE_ROUTE_REGEX = '/metrics|/healthz|/readyz';
const httpProbeRoute = new RegExp(`^(?:${HTTP_PROBE_ROUTE_REGEX})$`);
/** True when a request on this route is a probe, outside the API figures (HTTP_PROBE_ROUTE_REGEX). */
export const isHttpProbeRoute = (route: string): boolean => httpProbeRoute.test(route);
/** Seconds: 1 ms … 10 s (database statements; the seed alerts at 200 ms). */
export const DB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];
/** Seconds: 10 ms … 10 min (time jobs wait; the seed alerts at 5 s). */
export const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/**
 * Seconds: 10 ms … 8 h (time jobs run). histogram_quantile never answers above the largest finite
 * bucket, so it must stay well above every task type's threshold in
 * deploy/prometheus/rules/jobs.yml (a test checks) and above the longest `expireInSeconds` (6 h),
 * where a timed-out job is recorded.
 */
export const JOB_DURATION_BUCKETS = [...JOB_BUCKETS, 900, 1800, 3600, 7200, 14_400, 28_800];

/**
 * A gauge that only the process running its component sets (the listener's, the minter's): it has
 * no sample until first set. prom-client gives an unlabelled gauge a 0 from the start, so every
 * other role would export a 0 that `max` hides but that makes "the component is gone" (no series
 * any more, the rules' `absent` branches) impossible to see, and reads as a real 0 elsewhere.
 */
function ownedGauge(config: ConstructorParameters<typeof Gauge<string>>[0]): Gauge {
  const gauge = new Gauge(config);
  gauge.remove();
  return gauge;
}

export function createMetrics() {
  const registry = new Registry();
  // prom-client's defaults, under cb_: cb_process_cpu_seconds_total, cb_nodejs_eventloop_lag_seconds…
  client.collectDefaultMetrics({ register: registry, prefix: 'cb_' });
  const r = [registry];

  return {
    registry,

    // ── Process ─────────────────────────────────────────────────────────────
    // Set once by startRole: a CLI command's registry has none. ApiDown joins it with `up`.
    logLines: new Counter<'level' | 'service'>({
      name: 'cb_log_lines_total',
      help: 'Log lines written, by level (DEBUG … FATAL) and service: what LogErrorsHigh, LogFatal and LogErrorRateAnomaly watch.',
      labelNames: ['level', 'service'],
      registers: r,
    }),
    logTierMoves: new Counter<'tier' | 'result'>({
      name: 'cb_log_tier_moves_total',
      help: 'Log files moved out of the hot window into a tier (archive: CB_LOG_ARCHIVE_DIR, gzip; cold: CB_LOG_COLD_DIR), by result: ok, or failed (left where it was, retried 15 minutes later). Series of the tiers configured start at 0. What LogTierMoveFailing watches.',
      labelNames: ['tier', 'result'],
      registers: r,
    }),
    instanceInfo: new Gauge<'role' | 'version'>({
      name: 'cb_instance_info',
      help: 'Always 1, labelled with the role this process runs (api, worker, listener, all) and the cb version.',
      labelNames: ['role', 'version'],
      registers: r,
    }),

    // ── HTTP ────────────────────────────────────────────────────────────────
    httpRequestDuration: new Histogram<'method' | 'route' | 'status_code'>({
      name: 'cb_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS,
      registers: r,
    }),
    httpRequestsInFlight: new Gauge({
      name: 'cb_http_requests_in_flight',
      help: 'HTTP requests being served now.',
      registers: r,
    }),
    httpRequestsInFlightLimit: new Gauge({
      name: 'cb_http_requests_in_flight_limit',
      help: 'The cap on concurrent requests of this instance (CB_HTTP_MAX_IN_FLIGHT; 0: none); requests over it are answered 503 CB_OVERLOADED.',
      registers: r,
    }),
    httpRequestsShed: new Counter<'reason'>({
      name: 'cb_http_requests_shed_total',
      help: 'Requests answered 503 CB_OVERLOADED: reason in_flight (the instance was at CB_HTTP_MAX_IN_FLIGHT) or queue (its oldest database request had waited over CB_HTTP_MAX_QUEUE_MS).',
      labelNames: ['reason'],
      registers: r,
    }),
    sseStreams: new Gauge<'stream'>({
      name: 'cb_sse_streams',
      help: "Server-Sent Events streams open in this process, by stream (event: an event's status, member: a member's unlocks and mints); capped by CB_SSE_MAX_STREAMS. Not counted in cb_http_requests_in_flight.",
      labelNames: ['stream'],
      registers: r,
    }),

    // ── Host (for installs without node_exporter) ──────────────────────────
    hostCpuUtilization: new Gauge({
      name: 'cb_host_cpu_utilization_ratio',
      help: 'Share of CPU time busy over the last sample interval (0-1), all cores.',
      registers: r,
    }),
    hostMemoryUtilization: new Gauge({
      name: 'cb_host_memory_utilization_ratio',
      help: 'Share of memory in use (1 - MemAvailable/MemTotal).',
      registers: r,
    }),
    hostDiskUtilization: new Gauge<'mount'>({
      name: 'cb_host_disk_utilization_ratio',
      help: 'Share of the filesystem used, per mount point.',
      labelNames: ['mount'],
      registers: r,
    }),
    hostLoadPerCore: new Gauge({
      name: 'cb_host_load_per_core',
      help: '1-minute load average divided by the number of cores.',
      registers: r,
    }),
    hostNetworkBytes: new Counter<'direction'>({
      name: 'cb_host_network_bytes_total',
      help: 'Bytes through the non-loopback network interfaces.',
      labelNames: ['direction'],
      registers: r,
    }),

    // ── Database ────────────────────────────────────────────────────────────
    dbPoolConnections: new Gauge<'state'>({
      name: 'cb_db_pool_connections',
      help: 'Database connections of this process by state (active, idle, waiting = clients waiting for one).',
      labelNames: ['state'],
      registers: r,
    }),
    dbPoolMaxConnections: new Gauge({
      name: 'cb_db_pool_max_connections',
      help: 'Size limit of the connection pool of this process.',
      registers: r,
    }),
    dbQueryDuration: new Histogram<'operation'>({
      name: 'cb_db_query_duration_seconds',
      help: 'Database statement duration by operation (select, insert — COPY FROM too —, update, delete, other).',
      labelNames: ['operation'],
      buckets: DB_BUCKETS,
      registers: r,
    }),
    dbSlowQueries: new Counter({
      name: 'cb_db_slow_queries_total',
      help: 'Statements slower than CB_DB_SLOW_QUERY_MS.',
      registers: r,
    }),
    dbLockWait: new Gauge({
      name: 'cb_db_lock_wait_seconds',
      help: 'Longest wait for a lock among the server sessions that the samples (every second) of the last 30 s saw (PostgreSQL; 0 on PGlite).',
      registers: r,
    }),
    dbTableSize: new Gauge<'table'>({
      name: 'cb_db_table_size_bytes',
      help: 'Total size (with indexes and TOAST) of each table of the platform.',
      labelNames: ['table'],
      registers: r,
    }),
    apiKeysRotationDue: new Gauge({
      name: 'cb_api_keys_rotation_due',
      help: 'Working API keys older than CB_APIKEY_MAX_AGE_DAYS (a rotation is due), from the database.',
      registers: r,
    }),
    apiKeysUnused: new Gauge({
      name: 'cb_api_keys_unused',
      help: 'Working API keys not used for CB_APIKEY_UNUSED_DAYS, or never used and older than that, from the database.',
      registers: r,
    }),
    dbServerConnections: new Gauge<'kind'>({
      name: 'cb_db_server_connections',
      help: 'Connections on the database server: used (all sessions) and max (max_connections).',
      labelNames: ['kind'],
      registers: r,
    }),

    // ── Jobs ────────────────────────────────────────────────────────────────
    queueDepth: new Gauge<'queue'>({
      name: 'cb_queue_depth',
      help: 'Jobs waiting (created or retry) per queue.',
      labelNames: ['queue'],
      registers: r,
    }),
    queueDeadLetterDepth: new Gauge<'queue'>({
      name: 'cb_queue_dead_letter_depth',
      help: 'Jobs in the dead-letter queue of each queue.',
      labelNames: ['queue'],
      registers: r,
    }),
    jobWait: new Histogram<'queue'>({
      name: 'cb_job_wait_seconds',
      help: 'Time from enqueue (or retry) to start.',
      labelNames: ['queue'],
      buckets: JOB_BUCKETS,
      registers: r,
    }),
    jobDuration: new Histogram<'queue'>({
      name: 'cb_job_duration_seconds',
      help: 'Time a handler ran.',
      labelNames: ['queue'],
      buckets: JOB_DURATION_BUCKETS,
      registers: r,
    }),
    jobOldestActive: new Gauge<'queue'>({
      name: 'cb_job_oldest_active_seconds',
      help: 'How long the oldest job this process is running now has run, per queue it works (0 when none).',
      labelNames: ['queue'],
      registers: r,
    }),
    jobs: new Counter<'queue' | 'result'>({
      name: 'cb_jobs_total',
      help: 'Job attempts by outcome: completed, failed (no retry left or not retryable) or retried.',
      labelNames: ['queue', 'result'],
      registers: r,
    }),
    queueConsumers: new Gauge<'queue'>({
      name: 'cb_queue_consumers',
      help: 'Workers of each queue alive now, across instances (by heartbeat).',
      labelNames: ['queue'],
      registers: r,
    }),
    scheduledJobLastSuccess: new Gauge<'schedule'>({
      name: 'cb_scheduled_job_last_success_timestamp_seconds',
      help: 'When each schedule last ran successfully (Unix seconds).',
      labelNames: ['schedule'],
      registers: r,
    }),
    scheduledJobMissed: new Counter<'schedule'>({
      name: 'cb_scheduled_job_missed_total',
      help: 'Scheduled runs that did not happen on time.',
      labelNames: ['schedule'],
      registers: r,
    }),

    // ── Cache ───────────────────────────────────────────────────────────────
    cacheRequests: new Counter<'cache' | 'level' | 'result'>({
      name: 'cb_cache_requests_total',
      help: 'Cache look-ups by namespace, level (memory, redis) and result (hit, miss).',
      labelNames: ['cache', 'level', 'result'],
      registers: r,
    }),
    cacheEvictions: new Counter<'cache' | 'reason'>({
      name: 'cb_cache_evictions_total',
      help: 'Entries dropped from the in-process cache: expired, evicted (size) or invalidated.',
      labelNames: ['cache', 'reason'],
      registers: r,
    }),
    cacheDegraded: new Counter<'cache' | 'operation'>({
      name: 'cb_cache_redis_errors_total',
      help: 'Redis operations that failed; the cache fell back to memory and the source.',
      labelNames: ['cache', 'operation'],
      registers: r,
    }),
    redisUp: new Gauge({
      name: 'cb_redis_up',
      help: '1 when the last Redis INFO sample succeeded.',
      registers: r,
    }),
    redisMemoryUsed: new Gauge({
      name: 'cb_redis_memory_used_bytes',
      help: 'Redis used_memory.',
      registers: r,
    }),
    redisMemoryMax: new Gauge({
      name: 'cb_redis_memory_max_bytes',
      help: 'Redis maxmemory (0 = no limit).',
      registers: r,
    }),
    redisTotalSystemMemory: new Gauge({
      name: 'cb_redis_total_system_memory_bytes',
      help: "Redis total_system_memory: the memory of Redis's host, its limit when maxmemory is 0.",
      registers: r,
    }),
    redisConnectedClients: new Gauge({
      name: 'cb_redis_connected_clients',
      help: 'Redis connected_clients.',
      registers: r,
    }),
    redisMaxClients: new Gauge({ name: 'cb_redis_max_clients', help: 'Redis maxclients.', registers: r }),
    redisExpiredKeys: new Counter({
      name: 'cb_redis_expired_keys_total',
      help: 'Redis expired_keys since the server started (increments taken from INFO).',
      registers: r,
    }),
    redisKeyspaceHits: new Counter({
      name: 'cb_redis_keyspace_hits_total',
      help: 'Redis keyspace_hits since the server started (increments taken from INFO).',
      registers: r,
    }),
    redisKeyspaceMisses: new Counter({
      name: 'cb_redis_keyspace_misses_total',
      help: 'Redis keyspace_misses since the server started (increments taken from INFO).',
      registers: r,
    }),

    // ── Achievements (seed 2.2) ─────────────────────────────────────────────
    eventsReceived: new Counter<'type' | 'source' | 'result'>({
      name: 'cb_events_received_total',
      help: 'Events offered to intake by type, source (unknown ones as "other") and result: accepted, duplicate, rejected.',
      labelNames: ['type', 'source', 'result'],
      registers: r,
    }),
    eventsProcessed: new Counter<'result'>({
      name: 'cb_events_processed_total',
      help: 'Events the rule engine finished: ok or failed.',
      labelNames: ['result'],
      registers: r,
    }),
    eventProcessingDelay: new Histogram({
      name: 'cb_event_processing_delay_seconds',
      help: 'Time from an event being received to its being processed.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: r,
    }),
    eventsPending: new Gauge({
      name: 'cb_events_pending',
      help: 'Events received and not yet processed.',
      registers: r,
    }),
    progressUpdates: new Counter<'result'>({
      name: 'cb_progress_updates_total',
      help: 'Progress rows written by the engine: ok or failed.',
      labelNames: ['result'],
      registers: r,
    }),
    achievementUnlocks: new Counter<'category' | 'result'>({
      name: 'cb_achievement_unlocks_total',
      help: 'Unlocks by achievement category and result: ok, or failed when the unlock could not be written.',
      labelNames: ['category', 'result'],
      registers: r,
    }),
    progressInconsistencies: new Gauge({
      name: 'cb_progress_inconsistencies',
      help: 'Progress rows that disagreed with the event log at the last consistency check.',
      registers: r,
    }),
    usersNearCompletion: new Gauge<'achievement'>({
      name: 'cb_users_near_completion',
      help: 'Members at 80 % or more of an achievement they have not unlocked.',
      labelNames: ['achievement'],
      registers: r,
    }),
    retroactiveRuns: new Counter<'result'>({
      name: 'cb_retroactive_runs_total',
      help: 'Retroactive evaluations of a new or changed achievement over the event history: ok or failed.',
      labelNames: ['result'],
      registers: r,
    }),

    // ── Chain (seed 2.1 区块链监听器, 2.2 解锁交易确认时间, 5.1, 6.4) ─────────────
    rpcRequestDuration: new Histogram<'endpoint' | 'method'>({
      name: 'cb_rpc_request_duration_seconds',
      help: 'JSON-RPC call duration by configured endpoint name and method.',
      labelNames: ['endpoint', 'method'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
      registers: r,
    }),
    rpcRequests: new Counter<'endpoint' | 'result'>({
      name: 'cb_rpc_requests_total',
      help: 'JSON-RPC calls by endpoint and result: ok, error (the node answered an error), timeout, unavailable (transport failed or circuit open).',
      labelNames: ['endpoint', 'result'],
      registers: r,
    }),
    rpcHedges: new Counter<'endpoint' | 'result'>({
      name: 'cb_rpc_hedges_total',
      help: 'Hedged reads: a read-only call not answered within CB_RPC_HEDGE_AFTER_MS sent to a second endpoint (the label) too. result: won (the answer came from it), lost (the first attempt answered first, or neither answered).',
      labelNames: ['endpoint', 'result'],
      registers: r,
    }),
    rpcEndpointUp: new Gauge<'endpoint'>({
      name: 'cb_rpc_endpoint_up',
      help: '1 when the endpoint is healthy (answering, not lagging, circuit closed).',
      labelNames: ['endpoint'],
      registers: r,
    }),
    // The minter's gauges: exported by processes running the minter only (ownedGauge).
    mintRequestsPending: ownedGauge({
      name: 'cb_mint_requests_pending',
      help: 'Mint requests in the outbox not yet confirmed on chain (pending or submitted).',
      registers: r,
    }),
    mintRequestOldestPending: ownedGauge({
      name: 'cb_mint_request_oldest_pending_seconds',
      help: 'Age of the oldest mint request not yet confirmed on chain (pending or submitted); 0 when none.',
      registers: r,
    }),
    txPending: ownedGauge({
      name: 'cb_tx_pending',
      help: 'Minter transactions sent and not yet confirmed.',
      registers: r,
    }),
    txOldestPending: ownedGauge({
      name: 'cb_tx_oldest_pending_seconds',
      help: 'Age of the oldest minter transaction sent and not yet confirmed, since first sent (replacements keep it); 0 when none.',
      registers: r,
    }),
    minterFeesAboveCap: ownedGauge({
      name: 'cb_minter_fees_above_cap',
      help: '1 while new mints wait because the fee the chain needs is above CB_MINT_MAX_FEE_GWEI, else 0.',
      registers: r,
    }),
    txConfirmation: new Histogram({
      name: 'cb_tx_confirmation_seconds',
      help: 'Time from a mint transaction being submitted to its confirmation (N blocks deep).',
      buckets: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800],
      registers: r,
    }),
    txReplacements: new Counter({
      name: 'cb_tx_replacements_total',
      help: 'Transactions replaced (same nonce, higher fees) because they were not mined in time.',
      registers: r,
    }),
    mints: new Counter<'result'>({
      name: 'cb_mints_total',
      help: 'Badge mints by result: confirmed, failed (reverted or dead-lettered).',
      labelNames: ['result'],
      registers: r,
    }),
    minterBalance: ownedGauge({
      name: 'cb_minter_balance_wei',
      help: 'Native balance of the minter account, in wei.',
      registers: r,
    }),
    chainHeadBlock: new Gauge({
      name: 'cb_chain_head_block',
      help: 'Latest block number seen from the RPC endpoints.',
      registers: r,
    }),
    // The listener's gauges: exported by processes running the listener only (ownedGauge).
    chainProcessedBlock: ownedGauge({
      name: 'cb_chain_processed_block',
      help: 'Last block whose badge events the listener has applied.',
      registers: r,
    }),
    chainLag: ownedGauge({
      name: 'cb_chain_lag_blocks',
      help: 'Head block minus processed block.',
      registers: r,
    }),
    chainEvents: new Counter<'event' | 'result'>({
      name: 'cb_chain_events_total',
      help: 'Badge contract events by name and result: ok, failed.',
      labelNames: ['event', 'result'],
      registers: r,
    }),
    chainEventDelay: new Histogram({
      name: 'cb_chain_event_delay_blocks',
      help: 'Blocks between an event being mined and the listener applying it.',
      buckets: [0, 1, 2, 3, 5, 10, 20, 50, 100, 500],
      registers: r,
    }),
    chainReorgs: new Counter({
      name: 'cb_chain_reorgs_total',
      help: 'Chain reorganisations detected by block hash.',
      registers: r,
    }),
    chainReorgDepth: new Histogram({
      name: 'cb_chain_reorg_depth_blocks',
      help: 'Depth of each detected reorganisation.',
      buckets: [1, 2, 3, 5, 10, 20, 50, 100],
      registers: r,
    }),
    // The latest chain reconciliation (chain_reconcile_runs), read by every process's sampler:
    // absent until one ran.
    chainReconcileDifferences: ownedGauge({
      name: 'cb_chain_reconcile_differences',
      help: 'Differences between the database and the chain the latest chain reconciliation left (found, or left after --fix).',
      registers: r,
    }),
    chainReconcileTimestamp: ownedGauge({
      name: 'cb_chain_reconcile_last_run_timestamp_seconds',
      help: 'When the latest chain reconciliation finished (Unix seconds), failed or not.',
      registers: r,
    }),
    chainReconcileFailed: ownedGauge({
      name: 'cb_chain_reconcile_failed',
      help: '1 when the latest chain reconciliation failed before it compared (the chain or database unreachable), else 0.',
      registers: r,
    }),
    // The latest comparison of the achievement system with governance (cross_system_runs), read by
    // every process's sampler: absent until one ran.
    crossSystemDifferences: new Gauge<'kind'>({
      name: 'cb_cross_system_differences',
      help: 'Differences between what members earned (achievements) and the badges governance counts, by kind, at the latest comparison that ran.',
      labelNames: ['kind'],
      registers: r,
    }),
    crossSystemLastRun: ownedGauge({
      name: 'cb_cross_system_last_run_timestamp_seconds',
      help: 'When the latest comparison of the achievement system with governance that compared finished (Unix seconds).',
      registers: r,
    }),

    // ── Governance (seed 2.2 治理流程系统指标) ───────────────────────────────
    proposals: new Gauge<'state'>({
      name: 'cb_proposals',
      help: 'Proposals by state (pending, active, canceled, defeated, succeeded, queued, expired, executed).',
      labelNames: ['state'],
      registers: r,
    }),
    proposalsCreated: new Counter<'type' | 'result'>({
      name: 'cb_proposals_created_total',
      help: 'Proposal creations by type and result: ok, refused (a check refused the request: 4xx), failed (the system failed: 5xx).',
      labelNames: ['type', 'result'],
      registers: r,
    }),
    proposalExecutions: new Counter<'result'>({
      name: 'cb_proposal_executions_total',
      help: 'Proposal executions by result: ok, failed.',
      labelNames: ['result'],
      registers: r,
    }),
    votes: new Counter<'support' | 'result'>({
      name: 'cb_votes_total',
      help: 'Ballots by support (for, against, abstain; invalid when it was none of them) and result: accepted, refused (a check refused the ballot: 4xx), failed (the system failed: 5xx).',
      labelNames: ['support', 'result'],
      registers: r,
    }),
    voteWeight: new Histogram({
      name: 'cb_vote_weight',
      help: 'Voting power of each accepted ballot (detects concentration).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
      registers: r,
    }),
    governanceParticipation: new Histogram({
      name: 'cb_governance_participation_ratio',
      help: 'Share of the total power at the snapshot that voted, per ended proposal.',
      buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1],
      registers: r,
    }),
    votingPowerDuration: new Histogram<'cached'>({
      name: 'cb_voting_power_duration_seconds',
      help: 'Time to compute a voting power, cached (true) or from the database (false).',
      labelNames: ['cached'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: r,
    }),
    votingPowerCacheRequests: new Counter<'result'>({
      name: 'cb_voting_power_cache_requests_total',
      help: 'Voting power look-ups in the cache: hit, miss.',
      labelNames: ['result'],
      registers: r,
    }),
    votingPowerMismatches: new Counter({
      name: 'cb_voting_power_mismatches_total',
      help: 'Cached voting powers that disagreed with a fresh computation (accuracy check).',
      registers: r,
    }),
    votingPowerChecks: new Counter({
      name: 'cb_voting_power_checks_total',
      help: 'Voting powers recomputed by the accuracy check.',
      registers: r,
    }),
    badgesPerHolder: new Histogram({
      name: 'cb_badges_per_holder',
      help: 'Badges held per member (the NFT distribution), sampled.',
      buckets: [1, 2, 3, 5, 10, 20, 50, 100, 500, 1000],
      registers: r,
    }),

    // ── Incidents (seed 3) ──────────────────────────────────────────────────
    incidents: new Gauge<'severity' | 'state'>({
      name: 'cb_incidents',
      help: 'Incidents by severity (P0-P3) and state (triggered, acknowledged, resolved, closed).',
      labelNames: ['severity', 'state'],
      registers: r,
    }),
    alertHeartbeatLast: ownedGauge({
      name: 'cb_alert_heartbeat_last_timestamp_seconds',
      help: "When the latest AlertingHeartbeat from Alertmanager reached the incident webhook (absent: never): the alerting pipeline's dead man's switch.",
      registers: r,
    }),
    incidentAck: new Histogram<'severity'>({
      name: 'cb_incident_ack_seconds',
      help: 'Time from an incident being triggered to its acknowledgement.',
      labelNames: ['severity'],
      buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 28_800, 86_400],
      registers: r,
    }),
    incidentResolve: new Histogram<'severity'>({
      name: 'cb_incident_resolve_seconds',
      help: 'Time from an incident being triggered to its resolution.',
      labelNames: ['severity'],
      buckets: [60, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 86_400, 259_200],
      registers: r,
    }),
    notifications: new Counter<'channel' | 'result'>({
      name: 'cb_notifications_total',
      help: 'Notification deliveries by channel (phone, sms, email, slack) and result: sent, failed, retried.',
      labelNames: ['channel', 'result'],
      registers: r,
    }),
    escalations: new Counter<'severity'>({
      name: 'cb_escalations_total',
      help: 'Escalations after a missed response target.',
      labelNames: ['severity'],
      registers: r,
    }),
    incidentActionsOpen: new Gauge<'overdue'>({
      name: 'cb_incident_actions_open',
      help: 'Open action items of incidents, overdue (past their due date) or not, from the database.',
      labelNames: ['overdue'],
      registers: r,
    }),
    incidentUpdateReminders: new Counter<'severity'>({
      name: 'cb_incident_update_reminders_total',
      help: 'Reminders that an acknowledged incident is due a status update (none posted within CB_INCIDENT_UPDATE_EVERY).',
      labelNames: ['severity'],
      registers: r,
    }),
    incidentActionReminders: new Counter({
      name: 'cb_incident_action_reminders_total',
      help: 'Reminders that an open incident action item is past its due date (once when it falls overdue, then every CB_INCIDENT_ACTION_REMIND_EVERY).',
      registers: r,
    }),

    // ── Audit trail (seed 7.3 合规审计) ─────────────────────────────────────────
    auditRecords: new Counter<'outcome'>({
      name: 'cb_audit_records_total',
      help: 'Administrative operations recorded in the audit trail, by outcome: ok, failed, refused (a key without the scope).',
      labelNames: ['outcome'],
      registers: r,
    }),
    auditWriteFailures: new Counter({
      name: 'cb_audit_write_failures_total',
      help: 'Administrative operations whose audit record could not be written.',
      registers: r,
    }),
    // The latest verification of the chain (audit_verifications), read by every process's sampler:
    // absent until the first sample.
    auditChainOk: ownedGauge({
      name: 'cb_audit_chain_ok',
      help: "1 when the latest verification of the audit trail's hash chain (job ops.audit or cb audit verify) found it intact, 0 when broken; absent before the first.",
      registers: r,
    }),
    auditLastVerify: ownedGauge({
      name: 'cb_audit_last_verify_timestamp_seconds',
      help: "When the latest verification of the audit trail's hash chain finished (Unix seconds); 0: never verified.",
      registers: r,
    }),

    // ── Backups and recovery drills (seed 5.3), read from CB_BACKUP_DIR ─────
    backupLastSuccess: new Gauge({
      name: 'cb_backup_last_success_timestamp_seconds',
      help: 'When the newest complete backup in the backup directory finished (0: none).',
      registers: r,
    }),
    backupLastSize: new Gauge({
      name: 'cb_backup_last_size_bytes',
      help: 'Size of the newest complete backup.',
      registers: r,
    }),
    backupRpo: new Gauge({
      name: 'cb_backup_rpo_seconds',
      help: 'The recovery point objective (CB_RPO_SECONDS): the oldest the newest backup may be.',
      registers: r,
    }),
    backupRto: new Gauge({
      name: 'cb_backup_rto_seconds',
      help: 'The recovery time objective (CB_RTO_SECONDS): the longest a recovery may take.',
      registers: r,
    }),
    drillLast: new Gauge({
      name: 'cb_backup_drill_last_timestamp_seconds',
      help: 'When the newest recovery drill ran (0: never).',
      registers: r,
    }),
    drillPassed: new Gauge({
      name: 'cb_backup_drill_last_passed',
      help: 'Whether the newest recovery drill passed: every step, the RTO and the RPO (1) or not (0); 0 before the first drill.',
      registers: r,
    }),
    drillRecovery: new Gauge({
      name: 'cb_backup_drill_last_recovery_seconds',
      help: 'Recovery time measured by the newest drill (restore, check, start).',
      registers: r,
    }),
    // PostgreSQL's WAL archive (incremental backups, point-in-time recovery), from pg_stat_archiver.
    walArchiving: new Gauge({
      name: 'cb_backup_wal_archiving',
      help: '1 when PostgreSQL archives its WAL (archive_mode on or always), 0 when not or on the embedded database.',
      registers: r,
    }),
    walLastArchived: new Gauge({
      name: 'cb_backup_wal_last_archived_timestamp_seconds',
      help: "When PostgreSQL last archived a WAL segment (pg_stat_archiver), or when the archiver's statistics were reset if nothing was archived since; 0: unknown.",
      registers: r,
    }),
    walLastFailed: new Gauge({
      name: 'cb_backup_wal_last_failed_timestamp_seconds',
      help: 'When an attempt to archive a WAL segment last failed (pg_stat_archiver); 0: none since the statistics were reset.',
      registers: r,
    }),
    walMaxAge: new Gauge({
      name: 'cb_backup_wal_max_age_seconds',
      help: 'The oldest the newest archived WAL segment may be (CB_WAL_ARCHIVE_MAX_AGE_SECONDS) before WalArchiveBehind fires.',
      registers: r,
    }),

    // ── Emergency pauses of the chain writers (seed 7.2 安全事件响应), from ops_pauses ──
    opsPausedSince: new Gauge<'switch'>({
      name: 'cb_ops_paused_since_timestamp_seconds',
      help: 'When an emergency pause stopped a chain writer (Unix seconds), 0 while it runs: switch minting (the minter signs nothing new) or execution (no passed proposal is executed); cb pause / PUT /v1/ops/pauses/:switch.',
      labelNames: ['switch'],
      registers: r,
    }),

    // ── Capacity (seed 8.1 资源需求分析), from the daily capacity_samples ──────
    // Read by every process's sampler: absent until there is a forecast.
    capacityDiskFullDays: ownedGauge({
      name: 'cb_capacity_disk_full_days',
      help: "Days until the disk holding the database is full at the database's growth over the last 30 days (least squares over the daily capacity samples); absent with fewer than 3 samples, without growth, or when that disk cannot be seen.",
      registers: r,
    }),

    // ── Frontend, reported by the browser (seed 2.3 用户体验监控) ──────────────
    webVital: new Histogram<'name' | 'page'>({
      name: 'cb_web_vital_seconds',
      help: 'Web Vitals as browsers measured them: FCP, LCP, INP, FID, TTFB, page_load; page = route pattern.',
      labelNames: ['name', 'page'],
      buckets: [0.05, 0.1, 0.2, 0.5, 1, 1.5, 2, 2.5, 3, 4, 6, 10],
      registers: r,
    }),
    webCls: new Histogram<'page'>({
      name: 'cb_web_cls',
      help: 'Cumulative Layout Shift per page view (unitless).',
      labelNames: ['page'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1],
      registers: r,
    }),
    frontendApiDuration: new Histogram<'route'>({
      name: 'cb_frontend_api_duration_seconds',
      help: 'API call durations as the browser saw them, by API route pattern.',
      labelNames: ['route'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: r,
    }),
    frontendApiFailures: new Counter<'route' | 'kind'>({
      name: 'cb_frontend_api_failures_total',
      help: 'API calls that failed in the browser: error, timeout, incomplete (data missing).',
      labelNames: ['route', 'kind'],
      registers: r,
    }),
    frontendApiCalls: new Counter<'route'>({
      name: 'cb_frontend_api_calls_total',
      help: 'API calls made by the browser (denominator of the failure ratios).',
      labelNames: ['route'],
      registers: r,
    }),
    frontendErrors: new Counter<'page'>({
      name: 'cb_frontend_errors_total',
      help: 'JavaScript errors in the browser per page.',
      labelNames: ['page'],
      registers: r,
    }),
    frontendPageViews: new Counter<'page'>({
      name: 'cb_frontend_page_views_total',
      help: 'Page views per page.',
      labelNames: ['page'],
      registers: r,
    }),
    frontendTimeOnPage: new Histogram<'page'>({
      name: 'cb_frontend_time_on_page_seconds',
      help: 'Time spent on a page before leaving it.',
      labelNames: ['page'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: r,
    }),
    frontendFeatureUse: new Counter<'feature'>({
      name: 'cb_frontend_feature_use_total',
      help: 'Uses of console features (vote, delegate, acknowledge…), a bounded set.',
      labelNames: ['feature'],
      registers: r,
    }),
    frontendSessions: new Counter<'outcome' | 'page_type'>({
      name: 'cb_frontend_sessions_total',
      help: 'Browser sessions by outcome (bounced: left after one page, or engaged) and the type of the page they landed on (PAGE_TYPES of src/web/rum-catalogue.ts).',
      labelNames: ['outcome', 'page_type'],
      registers: r,
    }),
    frontendConversions: new Counter<'goal'>({
      name: 'cb_frontend_conversions_total',
      help: 'Configured goals reached (e.g. first_vote after sign-in).',
      labelNames: ['goal'],
      registers: r,
    }),

    // ── Readiness ───────────────────────────────────────────────────────────
    dependencyUp: new Gauge<'dependency'>({
      name: 'cb_dependency_up',
      help: '1 when the last readiness check of a dependency (database, redis, rpc) passed: /readyz calls and a round every CB_READY_SAMPLE_INTERVAL_MS.',
      labelNames: ['dependency'],
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
