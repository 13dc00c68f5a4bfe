/**
 * The log files of CB_LOG_DIR (platform/logs) searched from the console (seed 4.4 日志分析与可视化),
 * the same search as `cb logs search|errors`:
 *
 * - `GET /v1/ops/logs?since&until&level&service&instance&trace&user&q&where&limit` (`ops:read`): the
 *   newest matching lines, oldest first;
 * - `GET /v1/ops/logs/errors?…` (`ops:read`): errors clustered by service, message shape and code.
 *
 * Lines carry members' addresses, hence the operator scope. Days past CB_LOG_DIR's files are read
 * from CB_LOG_ARCHIVE_DIR (`stats.archivedFiles`); days only CB_LOG_COLD_DIR holds are not
 * (`stats.coldNotSearched`). One request reads at most {@link READ_BUDGET_BYTES} of files (of
 * content, for compressed ones), the newest days first; `partial` says how many older files were
 * left out. Without CB_LOG_DIR: 404 WEB_LOGS_NOT_CONFIGURED.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { NotFoundError, ValidationError } from '../platform/errors.ts';
import {
  clusterErrors,
  type FieldCondition,
  LEVELS,
  type Level,
  type LogFilter,
  type LogSources,
  logFilesFor,
  parseCondition,
  searchLogs,
} from '../platform/logs/log-query.ts';
import type { LogArchiveOptions } from '../platform/logs/log-tiers.ts';
import { pastTimeParam } from './time-param.ts';

/** Bytes of log files one request may read. */
export const READ_BUDGET_BYTES = 256 * 1024 * 1024;

export interface LogRoutesDeps {
  /** CB_LOG_DIR; undefined: the routes answer 404 WEB_LOGS_NOT_CONFIGURED. */
  logDir: string | undefined;
  /** CB_LOG_RETENTION_DAYS (which days only the cold tier holds). */
  logRetentionDays?: number | undefined;
  /** CB_LOG_ARCHIVE_DIR, CB_LOG_ARCHIVE_DAYS and CB_LOG_COLD_DIR. */
  logArchive?: LogArchiveOptions | undefined;
}

const Query = Type.Object({
  since: Type.Optional(Type.String({ minLength: 2, maxLength: 40 })),
  until: Type.Optional(Type.String({ minLength: 2, maxLength: 40 })),
  level: Type.Optional(Type.Union(LEVELS.map((l) => Type.Literal(l.toLowerCase())))),
  service: Type.Optional(
    Type.String({ minLength: 1, maxLength: 400, description: 'Comma-separated: any of them.' }),
  ),
  instance: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  trace: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{32}$' })),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Words that must all appear.' })),
  where: Type.Optional(
    Type.Union([
      Type.String({ minLength: 3, maxLength: 300 }),
      Type.Array(Type.String({ minLength: 3, maxLength: 300 }), { maxItems: 10 }),
    ]),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

type QueryShape = {
  since?: string;
  until?: string;
  level?: string;
  service?: string;
  instance?: string;
  trace?: string;
  user?: string;
  q?: string;
  where?: string | string[];
  limit?: number;
};

function filterOf(q: QueryShape, defaultSince: string): LogFilter {
  const where = (q.where === undefined ? [] : Array.isArray(q.where) ? q.where : [q.where]).map(
    (w, i): FieldCondition => {
      const c = parseCondition(w);
      if (!c)
        throw new ValidationError(
          'where must be FIELD OP VALUE with OP one of = != ~ > < (> and < take a number)',
          [{ path: `/where/${i}`, message: `not a condition: ${w}` }],
        );
      return c;
    },
  );
  return {
    since: pastTimeParam(q.since ?? defaultSince, 'since'),
    until: q.until === undefined ? undefined : pastTimeParam(q.until, 'until'),
    level: q.level?.toUpperCase() as Level | undefined,
    services: q.service
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    instance: q.instance,
    traceId: q.trace,
    userId: q.user,
    text: q.q?.split(/\s+/).filter(Boolean),
    where,
  };
}

export function logRoutes(deps: LogRoutesDeps): FastifyPluginAsync {
  const sources = async (filter: LogFilter) => {
    if (!deps.logDir)
      throw new NotFoundError(
        'Log lines are not written to files on this server: set CB_LOG_DIR (docs/logging.md), or search them where stdout goes.',
        'WEB_LOGS_NOT_CONFIGURED',
      );
    const files = await logFilesFor(deps.logDir, filter.since, filter.until, {
      maxBytes: READ_BUDGET_BYTES,
      retentionDays: deps.logRetentionDays,
      archive: deps.logArchive,
    });
    return { files, partial: files.skipped > 0 ? { skippedFiles: files.skipped } : null };
  };

  return async (app) => {
    /** One search route: its files read, its answer given `partial`, never cached. */
    const route = (
      url: string,
      summary: string,
      defaultSince: string,
      answer: (files: LogSources, filter: LogFilter, limit: number | undefined) => Promise<object>,
    ) =>
      app.get(
        url,
        { config: { scope: 'ops:read' }, schema: { tags: ['ops'], summary, querystring: Query } },
        async (request, reply) => {
          const q = request.query as QueryShape;
          const filter = filterOf(q, defaultSince);
          const { files, partial } = await sources(filter);
          const body = await answer(files, filter, q.limit);
          reply.header('cache-control', 'no-store');
          return { ...body, partial };
        },
      );

    route(
      '/v1/ops/logs',
      "The newest log lines matching every filter (CB_LOG_DIR's files), oldest first; since defaults to 1h, limit to 200.",
      '1h',
      async (files, filter, limit) => {
        const { lines, stats } = await searchLogs(files, filter, limit ?? 200);
        return { items: lines.map((l) => l.entry), stats };
      },
    );
    route(
      '/v1/ops/logs/errors',
      'Errors (ERROR and FATAL, or from level) of the log files grouped by service, message shape and error code, most frequent first; since defaults to 24h, limit (groups) to 50.',
      '24h',
      async (files, filter, limit) => {
        const { clusters, stats } = await clusterErrors(files, filter);
        return { items: clusters.slice(0, limit ?? 50), groups: clusters.length, stats };
      },
    );
  };
}
