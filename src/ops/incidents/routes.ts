/**
 * HTTP routes of incidents (mounted by the composition root):
 *
 * - `POST /v1/alerts/webhook` — Alertmanager's webhook (payload version 4). Not an API key: a bearer
 *   token compared in constant time with the configured secret (401 `OPS_WEBHOOK_UNAUTHORIZED`; 503
 *   `OPS_WEBHOOK_NOT_CONFIGURED` without one, which Alertmanager retries), checked before the body is
 *   read, never rate limited. One group per call → one incident change in one transaction.
 * - `GET /v1/incidents` (`incidents:read`): `state`, `severity` (comma lists), `limit`, `cursor`.
 * - `GET /v1/incidents/stats?from=&to=&bucket=` (`incidents:read`): MTTA, MTTR, MTBF by severity.
 * - `GET /v1/incidents/:id` (`incidents:read`): with alerts, timeline, notifications.
 * - `POST /v1/incidents/:id/ack | updates | resolve | close` (`incidents:write`).
 * - Action items: `POST /v1/incidents/:id/actions`, `PATCH /v1/incidents/:id/actions/:actionId`
 *   (`incidents:write`), `GET /v1/incidents/actions` (`incidents:read`).
 * - `GET | PUT /v1/incidents/:id/postmortem` (`incidents:read` | `incidents:write`).
 * - `GET /v1/runbooks/:name` (public): an alert's runbook, the Markdown of docs/runbooks/<name>.md,
 *   where notifications link (runbooks.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { optionalBody } from '../../api/optional-body.ts';
import { ValidationError } from '../../platform/errors.ts';
import { acknowledgeIncident } from './acknowledge-incident.ts';
import { addIncidentUpdate, UPDATE_STATUSES } from './add-incident-update.ts';
import { type AlertmanagerPayload, AlertmanagerPayloadSchema } from './alertmanager-payload.ts';
import type { ApplyResult } from './apply-alert-group.ts';
import { closeIncident } from './close-incident.ts';
import type { IncidentsContext } from './context.ts';
import { WebhookNotConfiguredError, WebhookUnauthorizedError } from './errors.ts';
import {
  ACTION_STATUSES,
  type ActionStatus,
  addIncidentAction,
  listIncidentActions,
  updateIncidentAction,
} from './incident-actions.ts';
import { incidentStats, type StatsBucket } from './incident-stats.ts';
import { getPostmortem, savePostmortem } from './postmortem.ts';
import { getIncident, listIncidents } from './read-incidents.ts';
import { resolveIncident } from './resolve-incident.ts';
import { readRunbook } from './runbooks.ts';
import { INCIDENT_STATES, type IncidentState, SEVERITIES, type Severity } from './types.ts';

export interface IncidentRoutesDeps {
  ctx: IncidentsContext;
  receive(payload: AlertmanagerPayload): Promise<ApplyResult>;
}

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const a = createHash('sha256')
    .update(presented ?? '')
    .digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented !== undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

const Id = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

const AckBody = Type.Object(
  {
    by: Type.Optional(Text(200)),
    assignee: Type.Optional(Text(200)),
    note: Type.Optional(Text(2000)),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  {
    message: Text(10_000),
    kind: Type.Optional(Type.Union([Type.Literal('update'), Type.Literal('note')])),
    status: Type.Optional(Type.Union(UPDATE_STATUSES.map((s) => Type.Literal(s)))),
    by: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);
const ResolveBody = Type.Object(
  { message: Type.Optional(Text(2000)), by: Type.Optional(Text(200)) },
  { additionalProperties: false },
);
const ActionId = Type.Object({
  id: Type.String({ pattern: '^[0-9]{1,18}$' }),
  actionId: Type.String({ pattern: '^[0-9]{1,18}$' }),
});
const NewActionBody = Type.Object(
  {
    title: Text(500),
    owner: Type.Optional(Text(200)),
    dueAt: Type.Optional(Type.String({ format: 'date-time' })),
    by: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);
const ActionChangeBody = Type.Object(
  {
    status: Type.Optional(Type.Union(ACTION_STATUSES.map((s) => Type.Literal(s)))),
    title: Type.Optional(Text(500)),
    owner: Type.Optional(Type.Union([Text(200), Type.Null()])),
    dueAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    note: Type.Optional(Text(2000)),
    by: Type.Optional(Text(200)),
  },
  { additionalProperties: false, minProperties: 1 },
);

const PostmortemBody = Type.Object(
  { markdown: Type.String({ minLength: 1, maxLength: 200_000 }), by: Type.Optional(Text(200)) },
  { additionalProperties: false },
);

function listOf<T extends string>(
  raw: string | undefined,
  allowed: readonly T[],
  name: string,
): T[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const values = raw.split(',').map((v) => v.trim());
  const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length > 0)
    throw new ValidationError(`invalid ${name}: ${bad.join(', ')}`, [
      { path: `querystring.${name}`, message: `must be one or more of ${allowed.join(', ')}` },
    ]);
  return values as T[];
}

function dateOf(raw: string | undefined, name: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms))
    throw new ValidationError(`invalid ${name}`, [
      { path: `querystring.${name}`, message: 'must be an ISO 8601 time' },
    ]);
  return new Date(ms);
}

export function incidentRoutes(deps: IncidentRoutesDeps): FastifyPluginAsync {
  const { ctx } = deps;
  const token = ctx.options.webhookToken;
  const actorOf = (request: FastifyRequest, by: string | undefined) =>
    by ?? request.apiKey?.name ?? 'unknown';

  return async (app) => {
    app.post(
      '/v1/alerts/webhook',
      {
        config: { scope: 'public', rateLimit: false },
        bodyLimit: ctx.options.webhookBodyLimitBytes,
        onRequest: async (request) => {
          if (token === undefined) throw new WebhookNotConfiguredError();
          if (!tokenMatches(bearer(request), token)) throw new WebhookUnauthorizedError();
        },
        schema: {
          tags: ['incidents'],
          summary:
            "Alertmanager's webhook (version 4 payload, Authorization: Bearer <token>): opens or updates the group's incident.",
          body: AlertmanagerPayloadSchema,
        },
      },
      async (request) => {
        const body = request.body as AlertmanagerPayload;
        const result = await deps.receive(body);
        return {
          status: 'ok',
          incidentId: result.incidentId,
          outcome: result.outcome,
          alerts: body.alerts.length,
        };
      },
    );

    app.get(
      '/v1/runbooks/:name',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['incidents'],
          summary:
            "An alert's runbook (the Markdown of docs/runbooks/<name>.md): what notifications link to.",
          params: Type.Object({ name: Type.String({ description: 'The alert name, e.g. RedisDown.' }) }),
        },
      },
      async (request, reply) => {
        const { name } = request.params as { name: string };
        const text = await readRunbook(name);
        return reply
          .header('content-type', 'text/markdown; charset=utf-8')
          .header('cache-control', 'public, max-age=300')
          .send(text);
      },
    );

    app.get(
      '/v1/incidents',
      {
        config: { scope: 'incidents:read' },
        schema: {
          tags: ['incidents'],
          summary: 'Incidents, newest first; filter by state and severity (comma lists).',
          querystring: Type.Object({
            state: Type.Optional(Type.String()),
            severity: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            cursor: Type.Optional(Type.String()),
          }),
        },
      },
      async (request) => {
        const q = request.query as { state?: string; severity?: string; limit?: number; cursor?: string };
        return listIncidents(ctx.db, ctx.options, {
          states: listOf<IncidentState>(q.state, INCIDENT_STATES, 'state'),
          severities: listOf<Severity>(q.severity, SEVERITIES, 'severity'),
          limit: q.limit,
          cursor: q.cursor,
        });
      },
    );

    app.get(
      '/v1/incidents/stats',
      {
        config: { scope: 'incidents:read' },
        schema: {
          tags: ['incidents'],
          summary:
            'MTTA, MTTR and MTBF by severity over [from, to) (default: the last 30 days), optionally by bucket.',
          querystring: Type.Object({
            from: Type.Optional(Type.String()),
            to: Type.Optional(Type.String()),
            bucket: Type.Optional(
              Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
            ),
          }),
        },
      },
      async (request) => {
        const q = request.query as { from?: string; to?: string; bucket?: StatsBucket };
        return incidentStats(
          ctx.db,
          { from: dateOf(q.from, 'from'), to: dateOf(q.to, 'to'), bucket: q.bucket },
          ctx.options.now(),
        );
      },
    );

    app.get(
      '/v1/incidents/:id',
      {
        config: { scope: 'incidents:read' },
        schema: {
          tags: ['incidents'],
          summary: 'One incident with its alerts, timeline and notifications.',
          params: Id,
        },
      },
      async (request) => getIncident(ctx.db, ctx.options, (request.params as { id: string }).id),
    );

    app.post(
      '/v1/incidents/:id/ack',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary: 'Acknowledge: stops escalation. Body (optional): { by, assignee, note }.',
          params: Id,
        },
      },
      async (request) => {
        const body = optionalBody<{ by?: string; assignee?: string; note?: string }>(request, AckBody);
        return acknowledgeIncident(ctx, (request.params as { id: string }).id, {
          actor: actorOf(request, body.by),
          assignee: body.assignee,
          note: body.note,
        });
      },
    );

    app.post(
      '/v1/incidents/:id/updates',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary:
            'A status update (sent on the update channels) or a note. Body: { message, kind?: update|note, status?: investigating|identified|mitigated|monitoring }.',
          params: Id,
        },
      },
      async (request, reply) => {
        const body = optionalBody<{
          message: string;
          kind?: 'update' | 'note';
          status?: (typeof UPDATE_STATUSES)[number];
          by?: string;
        }>(request, UpdateBody);
        const entry = await addIncidentUpdate(ctx, (request.params as { id: string }).id, {
          actor: actorOf(request, body.by),
          message: body.message,
          kind: body.kind,
          status: body.status,
        });
        reply.code(201);
        return entry;
      },
    );

    app.post(
      '/v1/incidents/:id/resolve',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary: 'Resolve: recovery notice and postmortem draft. Body (optional): { message }.',
          params: Id,
        },
      },
      async (request) => {
        const body = optionalBody<{ message?: string; by?: string }>(request, ResolveBody);
        return resolveIncident(ctx, (request.params as { id: string }).id, {
          actor: actorOf(request, body.by),
          message: body.message,
        });
      },
    );

    app.post(
      '/v1/incidents/:id/close',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary:
            'Close a resolved incident; its postmortem must have been edited (422 OPS_POSTMORTEM_UNEDITED).',
          params: Id,
        },
      },
      async (request) => {
        const body = optionalBody<{ message?: string; by?: string }>(request, ResolveBody);
        return closeIncident(ctx, (request.params as { id: string }).id, {
          actor: actorOf(request, body.by),
          message: body.message,
        });
      },
    );

    app.get(
      '/v1/incidents/actions',
      {
        config: { scope: 'incidents:read' },
        schema: {
          tags: ['incidents'],
          summary:
            'Action items across incidents: ?status=open|done|dropped, ?overdue=true (open and past due), ?owner=; open ones by due date.',
          querystring: Type.Object({
            status: Type.Optional(Type.Union(ACTION_STATUSES.map((s) => Type.Literal(s)))),
            overdue: Type.Optional(Type.Boolean()),
            owner: Type.Optional(Text(200)),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          }),
        },
      },
      async (request) => ({
        items: await listIncidentActions(ctx, request.query as Parameters<typeof listIncidentActions>[1]),
      }),
    );

    app.post(
      '/v1/incidents/:id/actions',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary:
            'Add an action item (what must change so it does not happen again). Body: { title, owner?, dueAt? }.',
          params: Id,
          body: NewActionBody,
        },
      },
      async (request, reply) => {
        const body = request.body as { title: string; owner?: string; dueAt?: string; by?: string };
        reply.code(201);
        return addIncidentAction(ctx, (request.params as { id: string }).id, {
          actor: actorOf(request, body.by),
          title: body.title,
          owner: body.owner,
          dueAt: body.dueAt === undefined ? undefined : new Date(body.dueAt),
        });
      },
    );

    app.patch(
      '/v1/incidents/:id/actions/:actionId',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary:
            'Change an action item: { status?: open|done|dropped, title?, owner?, dueAt?, note? } (dropping needs a note).',
          params: ActionId,
          body: ActionChangeBody,
        },
      },
      async (request) => {
        const { id, actionId } = request.params as { id: string; actionId: string };
        const body = request.body as {
          status?: ActionStatus;
          title?: string;
          owner?: string | null;
          dueAt?: string | null;
          note?: string;
          by?: string;
        };
        return updateIncidentAction(ctx, id, actionId, {
          actor: actorOf(request, body.by),
          status: body.status,
          title: body.title,
          owner: body.owner,
          dueAt: body.dueAt === undefined ? undefined : body.dueAt === null ? null : new Date(body.dueAt),
          note: body.note,
        });
      },
    );

    app.get(
      '/v1/incidents/:id/postmortem',
      {
        config: { scope: 'incidents:read' },
        schema: {
          tags: ['incidents'],
          summary: 'The postmortem (markdown); 404 before the incident resolves.',
          params: Id,
        },
      },
      async (request) => getPostmortem(ctx, (request.params as { id: string }).id),
    );

    app.put(
      '/v1/incidents/:id/postmortem',
      {
        config: { scope: 'incidents:write' },
        schema: {
          tags: ['incidents'],
          summary: 'Replace the postmortem text. Body: { markdown }.',
          params: Id,
        },
      },
      async (request) => {
        const body = optionalBody<{ markdown: string; by?: string }>(request, PostmortemBody);
        return savePostmortem(ctx, (request.params as { id: string }).id, {
          actor: actorOf(request, body.by),
          markdown: body.markdown,
        });
      },
    );
  };
}
