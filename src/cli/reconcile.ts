import type { Command } from 'commander';
import { createEventProcessor, normalizeAddress, reconcileProgress } from '../achievements/index.ts';
import { achievementTokenId } from '../chain/contracts/achievement-token-id.ts';
import { createGovernance, reconcilePowerCache } from '../governance/index.ts';
import { governanceOptionsFromConfig } from '../governance-settings.ts';
import { createCache, type SharedReconcileReport } from '../platform/cache/index.ts';
import { createShutdown } from '../platform/shutdown.ts';
import { cliConfig } from './load-config.ts';
import { CliError, printJson, printLine, printTable, progressWriter } from './output.ts';
import { type CliContext, withDatabase } from './with-database.ts';

/** Seams for tests. */
export interface ReconcileCliDeps {
  /** Prefix of the cache's Redis keys (a test's own). @defaultValue the cache's under CB_REDIS_KEY_PREFIX, `cb:c:` */
  cacheKeyPrefix?: string | undefined;
}

/** Entries checked per cache by `cb reconcile cache` without --sample or --all. */
export const CACHE_SAMPLE = 200;

/** How long `cb reconcile cache` waits for Redis to answer. */
const REDIS_WAIT_MS = 5000;

/** What `cb reconcile cache` prints, one line, when there is no shared cache. */
export const NO_SHARED_CACHE =
  'nothing to check: REDIS_URL is not set, so each instance caches in its own memory, which no command can reach (each instance compares its voting powers with the database itself: job governance.power-accuracy, alert VotingPowerInaccurate)';

/** `cb reconcile cache --json`. */
export interface CacheReconcileReport {
  /** False without REDIS_URL: nothing was checked (`message` says why). */
  shared: boolean;
  message?: string | undefined;
  /** One report per cached kind (namespace). */
  caches: SharedReconcileReport[];
  /** Stale entries over every cache. */
  stale: number;
  fixed: boolean;
}

/**
 * `cb reconcile progress|cache` (`chain` is added by chain/reconcile): stored or cached state against
 * its source of truth. Exit code 3 when differences were found and not fixed.
 */
export function registerReconcile(program: Command, deps: ReconcileCliDeps = {}): Command {
  const reconcile = program
    .command('reconcile')
    .description(
      'Compare stored state with its source of truth and report (or, with --fix, repair) differences.',
    );

  reconcile
    .command('progress')
    .description('Recompute achievement progress from the event log and compare it with the stored progress.')
    .option('--user <address>', 'only this member')
    .option('--sample <n>', 'a random sample of n members (default: every member with progress)')
    .option('--fix', 'write the recomputed progress and unlock what is complete; says what it changed')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { user?: string; sample?: string; fix?: boolean; json?: boolean }) => {
      const user = opts.user === undefined ? undefined : normalizeAddress(opts.user);
      if (opts.user !== undefined && !user)
        throw new CliError(`--user must be a 0x address, got "${opts.user}"`);
      let sample: number | undefined;
      if (opts.sample !== undefined) {
        sample = Number(opts.sample);
        if (!Number.isInteger(sample) || sample < 1)
          throw new CliError(`--sample must be a positive whole number, got "${opts.sample}"`);
      }
      const report = await withDatabase((ctx) =>
        reconcileProgress(ctx, { user, sample, fix: opts.fix === true }),
      );
      if (opts.json) printJson(report);
      else {
        printLine(`checked ${report.membersChecked} member(s): ${report.mismatches.length} mismatch(es)`);
        if (report.mismatches.length > 0) {
          printTable(
            report.mismatches.map((m) => ({
              user: m.user,
              achievement: m.achievementId,
              stored: m.stored?.current ?? '-',
              expected: m.expected?.current ?? '-',
            })),
            ['user', 'achievement', 'stored', 'expected'],
          );
        }
        if (report.fixed)
          printLine(
            `fixed: ${report.mismatches.length} progress row(s) rewritten, ${report.unlocksAdded} unlock(s) added`,
          );
        else if (report.mismatches.length > 0) printLine('run again with --fix to repair');
      }
      if (!report.fixed && report.mismatches.length > 0) process.exitCode = 3;
    });

  reconcile
    .command('cache')
    .description(
      'Compare the shared cache (Redis) with the database, the source of truth: each entry is recomputed from the database and compared; --fix rewrites the stale ones from it.',
    )
    .option('--sample <n>', `a random sample of n entries per cache (default ${CACHE_SAMPLE})`)
    .option('--all', 'every entry instead of a sample')
    .option(
      '--fix',
      "rewrite each stale entry with the database's value (delete it when it can be neither read nor recomputed); every instance drops its in-memory copy; says what it changed",
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
What is checked: the only kind of value cb keeps in the shared cache, voting powers (cache
"voting-power": a member's power at a block under a weight set), recomputed from the badge ownership
history and the delegations. Entries are read at the cache's current version; if it is invalidated
while they are checked (a badge changed hands) the result does not count: run it again.

Needs REDIS_URL (and the database cb uses). Without it each instance caches in its own memory,
which no command can reach: the command says so in one line and exits 0 ("shared": false with
--json). Each instance checks its own copies itself (job governance.power-accuracy).

--fix is recorded in the audit trail. Exit code 3: stale entries found and not fixed.`,
    )
    .action(async (opts: { sample?: string; all?: boolean; fix?: boolean; json?: boolean }) => {
      let sample: number | undefined = CACHE_SAMPLE;
      if (opts.sample !== undefined) {
        if (opts.all) throw new CliError('--sample and --all cannot be combined');
        sample = Number(opts.sample);
        if (!Number.isInteger(sample) || sample < 1)
          throw new CliError(`--sample must be a positive whole number, got "${opts.sample}"`);
      }
      if (opts.all) sample = undefined;
      if (!cliConfig().redisUrl) {
        const report: CacheReconcileReport = {
          shared: false,
          message: NO_SHARED_CACHE,
          caches: [],
          stale: 0,
          fixed: false,
        };
        if (opts.json) printJson(report);
        else printLine(NO_SHARED_CACHE);
        return;
      }
      const progress = progressWriter('reconcile');
      const fix = opts.fix === true;
      const report = await withDatabase((cli) =>
        reconcileCaches(cli, {
          keyPrefix: deps.cacheKeyPrefix,
          sample,
          fix,
          onProgress: (cache, checked, of) =>
            progress(() => `${cache}: compared ${checked} of ${of} entries`),
        }).then((r) => {
          // Set before the database closes: the audit record of a --fix carries it.
          if (!fix && r.stale > 0) process.exitCode = 3;
          return r;
        }),
      );
      if (opts.json) printJson(report);
      else printCacheReport(report, fix);
    });
  return reconcile;
}

/** Opens the shared cache as the instances do and reconciles every cached kind with the database. */
async function reconcileCaches(
  cli: CliContext,
  options: {
    keyPrefix: string | undefined;
    sample: number | undefined;
    fix: boolean;
    onProgress: (cache: string, checked: number, of: number) => void;
  },
): Promise<CacheReconcileReport> {
  const { config, db, logger, metrics } = cli;
  const common = {
    config,
    logger,
    metrics,
    shutdown: createShutdown({ graceMs: config.shutdownGraceMs, logger }),
  };
  const cache = createCache({ common, keyPrefix: options.keyPrefix });
  try {
    await cache.ping(REDIS_WAIT_MS);
    // The voting-power namespace as an instance declares it (TTL from CB_GOVERNANCE_POWER_CACHE_TTL_MS).
    const processor = createEventProcessor({ db, metrics, logger: logger.child('achievement-trigger') });
    const governance = createGovernance({
      common,
      db,
      cache,
      catalogue: () => processor.catalogue(),
      achievementKey: achievementTokenId,
      chainId: config.chainId ?? 31337,
      options: { ...governanceOptionsFromConfig(config), signatureWorkers: 0 },
    });
    try {
      const powers = await reconcilePowerCache(governance.context, {
        sample: options.sample,
        fix: options.fix,
        onProgress: (checked, of) => options.onProgress('voting-power', checked, of),
      });
      const caches = [powers];
      return {
        shared: true,
        caches,
        stale: caches.reduce((n, c) => n + c.stale.length, 0),
        fixed: caches.every((c) => c.fixed),
      };
    } finally {
      await governance.close();
    }
  } finally {
    await cache.close();
  }
}

function printCacheReport(report: CacheReconcileReport, fix: boolean): void {
  for (const c of report.caches) {
    printLine(
      `cache ${c.cache} (version ${c.version}): checked ${c.checked} of ${c.entries} entries: ${c.stale.length} stale` +
        (c.unverifiable.length > 0 ? `, ${c.unverifiable.length} unverifiable` : ''),
    );
    if (c.invalidatedDuringCheck)
      printLine(
        '  the cache was invalidated while it was checked (the entries read are not served any more): run it again',
      );
    if (c.stale.length > 0)
      printTable(
        c.stale.flatMap((s) =>
          s.differences.map((d) => ({
            key: s.key,
            field: d.field,
            cached: clip(d.cached),
            database: clip(d.source),
            ...(s.repair ? { fix: s.repair } : {}),
          })),
        ),
        fix ? ['key', 'field', 'cached', 'database', 'fix'] : ['key', 'field', 'cached', 'database'],
      );
    for (const u of c.unverifiable.slice(0, 10))
      printLine(`  unverifiable, left to expire: ${u.key}: ${u.reason}`);
    if (c.unverifiable.length > 10) printLine(`  … and ${c.unverifiable.length - 10} more unverifiable`);
  }
  if (report.fixed) {
    const outcomes = report.caches.flatMap((c) => c.stale.map((s) => s.repair));
    const count = (o: string) => outcomes.filter((x) => x === o).length;
    printLine(
      `fixed: ${count('rewritten')} rewritten from the database, ${count('deleted')} deleted, ${count('gone')} already gone; every instance was told to drop its in-memory copy`,
    );
  } else if (report.stale > 0) printLine('run again with --fix to rewrite them from the database');
}

/** A long value cut for the table (--json has it whole). */
function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
