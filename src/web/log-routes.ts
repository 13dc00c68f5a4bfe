/**
 * The log files of CB_LOG_DIR (platform/logs) searched from the console (seed 4.4 日志分析与可视化),
 * the same search as `cb logs search|errors`:
 *
 * - `GET /v1/ops/logs?since&until&level&service&instance&trace&user&q&where&limit` (`ops:read`): the
 *   newest matching lines, oldest first;
 * - `GET /v1/ops/logs/errors?…` (`ops:read`): errors clustered by service, message shape and code.
 *
 * Lines carry members' addresses, hence the operator scope. One request reads at most
 * {@link READ_BUDGET_BYTES} of files, the newest days first; `partial` says how many older files
 * were left out. Without CB_LOG_DIR: 404 WEB_LOGS_NOT_CONFIGURED.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { parseSince } from '../platform/duration.ts';
import { NotFoundError, ValidationError } from '../platform/errors.ts';
import {
  clusterErrors,
  type FieldCondition,
  LEVELS,
  type Level,
  type LogFilter,
  logFilesFor,
  parseCondition,
  searchLogs,
} from '../platform/logs/log-query.ts';

/** Bytes of log files one request may read. */
export const READ_BUDGET_BYTES = 256 * 1024 * 1024;

export interface LogRoutesDeps {
  /** CB_LOG_DIR; undefined: the routes answer 404 WEB_LOGS_NOT_CONFIGURED. */
  logDir: string | undefined;
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

function time(text: string, field: string): Date {
  const d = parseSince(text);
  if (!d || d.getTime() > Date.now())
    throw new ValidationError(`${field} must be a duration such as 15m, 24h or 7d, or a past ISO 8601 time`, [
      { path: `/${field}`, message: `not a duration or a past time: ${text}` },
    ]);
  return d;
}

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
    since: time(q.since ?? defaultSince, 'since'),
    until: q.until === undefined ? undefined : time(q.until, 'until'),
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
  const sources = (filter: LogFilter) => {
    if (!deps.logDir)
      throw new NotFoundError(
        'Log lines are not written to files on this server: set CB_LOG_DIR (docs/logging.md), or search them where stdout goes.',
        'WEB_LOGS_NOT_CONFIGURED',
      );
    const files = logFilesFor(deps.logDir, filter.since, filter.until, READ_BUDGET_BYTES);
    return { files, partial: files.skipped > 0 ? { skippedFiles: files.skipped } : null };
  };

  return async (app) => {
    app.get(
      '/v1/ops/logs',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            "The newest log lines matching every filter (CB_LOG_DIR's files), oldest first; since defaults to 1h, limit to 200.",
          querystring: Query,
        },
      },
      async (request, reply) => {
        const q = request.query as QueryShape;
        const filter = filterOf(q, '1h');
        const { files, partial } = sources(filter);
        const { lines, stats } = await searchLogs(files, filter, q.limit ?? 200);
        reply.header('cache-control', 'no-store');
        return { items: lines.map((l) => l.entry), stats, partial };
      },
    );

    app.get(
      '/v1/ops/logs/errors',
      {
        config: { scope: 'ops:read' },
        schema: {
          tags: ['ops'],
          summary:
            'Errors (ERROR and FATAL, or from level) of the log files grouped by service, message shape and error code, most frequent first; since defaults to 24h, limit (groups) to 50.',
          querystring: Query,
        },
      },
      async (request, reply) => {
        const q = request.query as QueryShape;
        const filter = filterOf(q, '24h');
        const { files, partial } = sources(filter);
        const { clusters, stats } = await clusterErrors(files, filter);
        reply.header('cache-control', 'no-store');
        return { items: clusters.slice(0, q.limit ?? 50), groups: clusters.length, stats, partial };
      },
    );
  };
}
