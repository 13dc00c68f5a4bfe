/**
 * `cb logs search` and `cb logs errors`: cb's JSON log lines searched and clustered (seed 4.4;
 * src/platform/logs/log-query.ts). The lines come from the files named (`-`: standard input, e.g.
 * `journalctl -u cb -o cat | cb logs errors -`; `.gz` files decompressed), else CB_LOG_DIR's daily
 * files for the window and, for days past them, CB_LOG_ARCHIVE_DIR's, else standard input when it
 * is not a terminal.
 */
import type { Command } from 'commander';
import { parseSince } from '../platform/duration.ts';
import { formatPretty } from '../platform/logger.ts';
import {
  clusterErrors,
  type FieldCondition,
  LEVELS,
  type Level,
  type LogFilter,
  type LogSource,
  type LogSources,
  logFilesFor,
  parseCondition,
  searchLogs,
} from '../platform/logs/log-query.ts';
import type { ReadStats } from '../platform/logs/log-shape.ts';
import { logArchiveOf } from '../platform/logs/log-tiers.ts';
import { cliConfig } from './load-config.ts';
import { CliError, printJson, printLine, printTable } from './output.ts';

interface FilterOptions {
  since?: string;
  until?: string;
  level?: string;
  service?: string[];
  instance?: string;
  trace?: string;
  user?: string;
  grep?: string[];
  where?: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function filterOptions(command: Command, defaultSince: string): Command {
  return command
    .option('--since <when>', 'from a duration ago (15m, 24h, 7d) or a time (ISO 8601)', defaultSince)
    .option('--until <when>', 'before a duration ago or a time')
    .option('--level <level>', `the lowest level: ${LEVELS.join(', ').toLowerCase()}`)
    .option('--service <name>', 'only this service (api, db, jobs, chain-listener, …); repeatable', collect)
    .option('--instance <name>', 'only this instance (CB_INSTANCE)')
    .option('--trace <traceId>', 'only this trace: a request and all the work it caused')
    .option('--user <address>', 'only this member (userId)')
    .option(
      '--grep <text>',
      'the line contains this text (case-insensitive); repeatable: all must appear',
      collect,
    )
    .option(
      '--where <field op value>',
      'a field compared: = != ~ (contains) > < (numbers), on a dot path, e.g. context.statusCode=500, metrics.durationMs>1000; repeatable: all must hold',
      collect,
    )
    .option('--json', 'print JSON');
}

function when(text: string, option: string): Date {
  const d = parseSince(text);
  if (!d)
    throw new CliError(
      `${option} must be a duration such as 15m, 24h or 7d, or an ISO 8601 time, got "${text}"`,
    );
  return d;
}

function filterOf(opts: FilterOptions): LogFilter {
  const level = opts.level?.toUpperCase();
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level))
    throw new CliError(`--level must be one of ${LEVELS.join(', ').toLowerCase()}, got "${opts.level}"`);
  const where = (opts.where ?? []).map((w): FieldCondition => {
    const c = parseCondition(w);
    if (!c)
      throw new CliError(
        `--where must be FIELD OP VALUE with OP one of = != ~ > < (> and < take a number), e.g. context.statusCode=500, got "${w}"`,
      );
    return c;
  });
  return {
    since: opts.since === undefined ? undefined : when(opts.since, '--since'),
    until: opts.until === undefined ? undefined : when(opts.until, '--until'),
    level: level as Level | undefined,
    services: opts.service,
    instance: opts.instance,
    traceId: opts.trace,
    userId: opts.user,
    text: opts.grep,
    where,
  };
}

/**
 * The files named (`-`: standard input), else CB_LOG_DIR's files for the window (and the archive's
 * for days past them), else standard input when it is not a terminal. With CB_LOG_DIR set a pipe is
 * read only when asked (`-`): a command run over ssh or from a script has a pipe for standard input
 * that nobody writes to.
 */
async function sourcesOf(files: string[], filter: LogFilter): Promise<LogSources> {
  const stdin: LogSource = { stream: process.stdin, name: 'stdin' };
  if (files.length > 0) return files.map((path) => (path === '-' ? stdin : { path }));
  const config = cliConfig();
  if (config.logDir)
    return logFilesFor(config.logDir, filter.since, filter.until, {
      retentionDays: config.logRetentionDays,
      archive: logArchiveOf(config),
    });
  if (!process.stdin.isTTY) return [stdin];
  throw new CliError(
    'no logs to read: name the files, pipe lines in (journalctl -u cb -o cat | cb logs errors -), or set CB_LOG_DIR (where cb start writes them)',
  );
}

function summary(stats: ReadStats, what: string): void {
  const archived = stats.archivedFiles > 0 ? ` (${stats.archivedFiles} archived, gzip)` : '';
  const skipped = stats.skipped > 0 ? `; ${stats.skipped} line(s) not cb's JSON skipped` : '';
  const cold = stats.coldNotSearched;
  const coldNote = cold
    ? `; days before ${cold.before} are only in the cold tier (CB_LOG_COLD_DIR${cold.files === null ? ', not listable' : `: ${cold.files} file(s) of the window`}), not searched: name them to search them`
    : '';
  process.stderr.write(
    `${what} · ${stats.lines} line(s) read from ${stats.files} source(s)${archived}, ${stats.matched} matched${skipped}${coldNote}\n`,
  );
}

export function registerLogs(program: Command): void {
  const logs = program
    .command('logs')
    .description("Search cb's JSON logs and cluster their errors (files, CB_LOG_DIR, or a pipe).");

  filterOptions(
    logs
      .command('search')
      .argument(
        '[files...]',
        'log files (.gz ones too), - for standard input (default: CB_LOG_DIR and CB_LOG_ARCHIVE_DIR, else standard input)',
      )
      .description(
        'The newest matching lines, oldest first. All filters must hold: a time window, level, service, trace, member, text, and field conditions.',
      ),
    '1h',
  )
    .option('--limit <n>', 'at most this many lines, the newest (1–100000)', '200')
    .option('--pretty', 'one readable line per entry instead of JSON')
    .action(async (files: string[], opts: FilterOptions & { limit: string; pretty?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
        throw new CliError(`--limit must be a whole number from 1 to 100000, got "${opts.limit}"`);
      const filter = filterOf(opts);
      const { lines, stats } = await searchLogs(await sourcesOf(files, filter), filter, limit);
      if (opts.json) printJson(lines.map((l) => l.entry));
      else for (const l of lines) printLine(opts.pretty ? formatPretty(l.line) : l.line);
      summary(stats, stats.matched > limit ? `showing the newest ${limit}` : `${stats.matched} shown`);
    });

  filterOptions(
    logs
      .command('errors')
      .argument(
        '[files...]',
        'log files (.gz ones too), - for standard input (default: CB_LOG_DIR and CB_LOG_ARCHIVE_DIR, else standard input)',
      )
      .description(
        'Errors grouped by service, message (numbers, hashes and ids as ?) and error code, most frequent first: what is failing, since when, where, and a trace to follow. ERROR and FATAL unless --level says otherwise.',
      ),
    '24h',
  )
    .option('--limit <n>', 'at most this many groups (1–1000)', '20')
    .action(async (files: string[], opts: FilterOptions & { limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new CliError(`--limit must be a whole number from 1 to 1000, got "${opts.limit}"`);
      const filter = filterOf(opts);
      const { clusters, stats } = await clusterErrors(await sourcesOf(files, filter), filter);
      const shown = clusters.slice(0, limit);
      if (opts.json) printJson(shown);
      else if (shown.length === 0) printLine('no errors in the window');
      else
        printTable(
          shown.map((c) => ({
            count: c.count,
            level: c.level,
            service: c.service,
            code: c.code || '-',
            message: c.message,
            last: c.lastSeen,
            trace: c.lastTraceId ?? '-',
            instances: c.instances.join(','),
          })),
          ['count', 'level', 'service', 'code', 'message', 'last', 'trace', 'instances'],
        );
      summary(
        stats,
        `${clusters.length} group(s)${clusters.length > limit ? `, the ${limit} largest shown` : ''}`,
      );
    });
}
