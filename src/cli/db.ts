/**
 * `cb db slow-queries`: the slow-query log (seed 6.1 定期分析慢查询日志; see
 * src/platform/db/slow-queries.ts for what is kept and how).
 */
import type { Command } from 'commander';
import { readSlowQueries } from '../platform/db/slow-queries.ts';
import type { SlowQueryReport } from '../platform/db/slow-query-shape.ts';
import { parsePastTime } from '../platform/duration.ts';
import { CliError, printJson, printLine } from './output.ts';
import { withDatabase } from './with-database.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('The database: what it spends its time on.');
  db.command('slow-queries')
    .description(
      'Statements slower than CB_DB_SLOW_QUERY_MS, by shape (literals as ?), slowest total first, each with its calls in the window of the same length before: a new or rising shape is where to look first. Every running cb process writes them about once a minute.',
    )
    .option(
      '--since <when>',
      'a duration back from now (24h, 7d) or a time (ISO 8601); hours are whole',
      '24h',
    )
    .option('--limit <n>', 'at most this many shapes (1–200)', '20')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { since: string; limit: string; json?: boolean }) => {
      const since = parsePastTime(opts.since);
      if (!since)
        throw new CliError(
          `--since must be a duration such as 24h or 7d, or a past ISO 8601 time, got "${opts.since}"`,
        );
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200)
        throw new CliError(`--limit must be a whole number from 1 to 200, got "${opts.limit}"`);
      const { report, thresholdMs } = await withDatabase(async ({ db, config }) => ({
        report: await readSlowQueries(db, { since, limit }),
        thresholdMs: config.dbSlowQueryMs,
      }));
      if (opts.json) printJson(report);
      else printReport(report, thresholdMs);
    });
}

function printReport(r: SlowQueryReport, thresholdMs: number): void {
  printLine(
    `statements slower than ${thresholdMs} ms since ${r.since}: ${r.calls} in ${seconds(r.totalMs)} over ${r.shapes} shape(s); the window before: ${r.previous.calls} in ${seconds(r.previous.totalMs)}`,
  );
  if (r.items.length === 0) return;
  r.items.forEach((q, i) => {
    const before = q.previousCalls === 0 ? 'new' : `${q.previousCalls} before`;
    printLine('');
    printLine(
      `${String(i + 1).padStart(2)}. ${Math.round(q.share * 100)} % of the time: ${seconds(q.totalMs)} in ${q.calls} call(s) (${before}), mean ${Math.round(q.meanMs)} ms, max ${Math.round(q.maxMs)} ms, ${q.operation}`,
    );
    printLine(
      `    last ${q.lastSeen}${q.lastInstance ? ` on ${q.lastInstance}` : ''}${q.lastTraceId ? `, trace ${q.lastTraceId}` : ''}; fingerprint ${q.fingerprint}`,
    );
    printLine(`    ${q.statement}`);
  });
}

const seconds = (ms: number) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
