/**
 * The web console's server side: `webRoutes(deps)` returns the route plugins to mount with
 * `buildApp(ctx, { routes: [...others, ...webRoutes(deps)] })`:
 *
 * - the console itself at `/` (static-plugin.ts: web/dist, SPA fallback, 503 page when not built);
 * - `GET /v1/web/config` (config-routes.ts: dev mode, chain id, dev wallet accounts in dev mode);
 * - member sign-in with Sign-In with Ethereum: `/v1/auth/nonce|siwe|session|logout`
 *   (auth-routes.ts; sessions in the database, sessions.ts);
 * - `POST /v1/rum`, real-user monitoring → the frontend metrics (rum-routes.ts);
 * - operators' reads: `/v1/ops/health`, `/v1/ops/queues…` and the dead-letter retry (ops-routes.ts),
 *   `/v1/ops/logs[/errors]` over CB_LOG_DIR's files (log-routes.ts).
 *
 * The label sets shared with the browser are in rum-catalogue.ts; docs/console.md is the guide.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ReadinessCheck, type RoutesPlugin, runReadiness } from '../api/index.ts';
import type { Db } from '../platform/db/create-db.ts';
import type { Jobs } from '../platform/jobs/index.ts';
import type { Logger } from '../platform/logger.ts';
import type { LogArchiveOptions } from '../platform/logs/log-tiers.ts';
import type { Metrics } from '../platform/metrics.ts';
import { authRoutes } from './auth-routes.ts';
import { configRoutes } from './config-routes.ts';
import { type DevWalletAccount, hardhatDevAccounts } from './dev-accounts.ts';
import { createHealthSummary } from './health-summary.ts';
import { logRoutes } from './log-routes.ts';
import { opsRoutes } from './ops-routes.ts';
import { rumRoutes } from './rum-routes.ts';
import { createSessions, type Sessions } from './sessions.ts';
import { staticRoutes } from './static-plugin.ts';
import type { SiweContractVerifier } from './verify-siwe.ts';

export { siweDomains } from './auth-routes.ts';
export { SIWE_STATEMENT } from './config-routes.ts';
export { type DevWalletAccount, HARDHAT_MNEMONIC, hardhatDevAccounts } from './dev-accounts.ts';
export { WEB_CODES, type WebCode } from './errors.ts';
export type { HealthItem, HealthReport, HealthStatus } from './health-report.ts';
export * from './rum-catalogue.ts';
export { RUM_BODY_LIMIT_BYTES, RUM_MAX_ITEMS } from './rum-routes.ts';
export { readCookie, sessionCookieName } from './session-cookie.ts';
export { createSessions, type MemberSession, type Sessions, type SessionsOptions } from './sessions.ts';
export { CONSOLE_CSP } from './static-plugin.ts';
export type { SiweContractVerifier } from './verify-siwe.ts';

/** Where `vite build --config web/vite.config.ts` writes the console. */
export const WEB_DIST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

export interface WebDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** The process's jobs (started; the API role's `start({ workers: false })` is enough). */
  jobs: Pick<Jobs, 'stats' | 'listDeadLetters' | 'retryDeadLetter'>;
  /** The app's readiness checks (the same list buildApp gets), for `GET /v1/ops/health`. */
  readiness: readonly ReadinessCheck[];
  /** CB_READY_TIMEOUT_MS. */
  readyTimeoutMs: number;
  /** On with the embedded dev chain (no RPC_URLS): the console offers the built-in dev wallet. */
  devMode: boolean;
  /** Chain id SIWE messages must name (CB_CHAIN_ID, or the dev chain's 31337); any when undefined. */
  chainId?: number | undefined;
  /** Checks smart-wallet (ERC-1271) sign-ins on that chain; without it only EOAs can sign in. */
  contractVerifier?: SiweContractVerifier | undefined;
  /** Dev wallet accounts, offered in dev mode only. @defaultValue hardhatDevAccounts() */
  devAccounts?: readonly DevWalletAccount[] | undefined;
  /** CB_PUBLIC_URL: the SIWE domain, and https makes the session cookie Secure. */
  publicUrl?: string | undefined;
  /** CB_SESSION_SECRET (≥ 32 characters); generated once and kept in the database when undefined. */
  sessionSecret?: string | undefined;
  /** CB_SESSION_TTL_MS. @defaultValue 86_400_000 */
  sessionTtlMs?: number | undefined;
  /** Built console directory. @defaultValue WEB_DIST_DIR */
  distDir?: string | undefined;
  /** How often browsers send RUM batches (ms). @defaultValue 10_000 */
  rumFlushIntervalMs?: number | undefined;
  /** CB_EXPLORER_URL, for the console's links. */
  explorerUrl?: string | undefined;
  /** CB_LOG_DIR: the log files the Logs page searches (log-routes.ts); none without it. */
  logDir?: string | undefined;
  /** CB_LOG_RETENTION_DAYS: where the hot files end (which days only the cold tier holds). */
  logRetentionDays?: number | undefined;
  /** The archive (CB_LOG_ARCHIVE_DIR…) the Logs page also searches for days past the hot files. */
  logArchive?: LogArchiveOptions | undefined;
  /** An existing session store (tests, or to share with other routes). @defaultValue createSessions */
  sessions?: Sessions | undefined;
}

/** The console's route plugins; see the module comment. */
export function webRoutes(deps: WebDeps): RoutesPlugin[] {
  const sessions =
    deps.sessions ?? createSessions({ db: deps.db, secret: deps.sessionSecret, ttlMs: deps.sessionTtlMs });
  const logger = deps.logger;
  const health = createHealthSummary({
    metrics: deps.metrics,
    readiness: () => runReadiness(deps.readiness, deps.readyTimeoutMs, deps.metrics),
  });
  const devAccounts = deps.devMode ? (deps.devAccounts ?? hardhatDevAccounts()) : [];
  return [
    configRoutes({
      devMode: deps.devMode,
      chainId: deps.chainId,
      devAccounts,
      rumFlushIntervalMs: deps.rumFlushIntervalMs ?? 10_000,
      explorerUrl: deps.explorerUrl,
    }),
    authRoutes({
      sessions,
      logger,
      publicUrl: deps.publicUrl,
      chainId: deps.chainId,
      contractVerifier: deps.contractVerifier,
    }),
    rumRoutes({ metrics: deps.metrics }),
    opsRoutes({ jobs: deps.jobs, health, logger, db: deps.db }),
    logRoutes({ logDir: deps.logDir, logRetentionDays: deps.logRetentionDays, logArchive: deps.logArchive }),
    staticRoutes({ distDir: deps.distDir ?? WEB_DIST_DIR }),
  ];
}
